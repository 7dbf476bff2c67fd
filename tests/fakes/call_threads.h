#ifndef CITECHECK_TESTS_FAKES_CALL_THREADS_H_
#define CITECHECK_TESTS_FAKES_CALL_THREADS_H_

#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace citecheck {

// Runs each call it is given on a thread of its own: how the fakes with a Start-style API
// (FakeChecker, FakeLlmClient) answer from another thread, as a real event loop would. The
// destructor joins every thread: make it the owner's last member, so that the owner's other
// members are still there while a call runs. Thread-safe.
class CallThreads {
 public:
  CallThreads() = default;
  CallThreads(const CallThreads&) = delete;
  CallThreads& operator=(const CallThreads&) = delete;
  ~CallThreads() {
    std::vector<std::thread> threads;
    {
      absl::MutexLock lock(&mu_);
      threads.swap(threads_);
    }
    for (std::thread& thread : threads) thread.join();
  }

  void Run(absl::AnyInvocable<void() &&> call) {
    absl::MutexLock lock(&mu_);
    threads_.emplace_back([call = std::move(call)]() mutable { std::move(call)(); });
  }

 private:
  absl::Mutex mu_;
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_CALL_THREADS_H_

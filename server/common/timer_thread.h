#ifndef CITECHECK_SERVER_COMMON_TIMER_THREAD_H_
#define CITECHECK_SERVER_COMMON_TIMER_THREAD_H_

#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace citecheck {

// Runs callbacks after a delay, on one thread of its own: the waits of asynchronous work (a
// retry's backoff, a rate limit) without a thread sleeping per wait. Callbacks run in the order
// of their due times (those due at the same time in the order they were added), one at a time,
// outside the timer's lock; they must not block, and may call After() again.
//
// Time is the real clock (absl::Now()): a callback never runs before its delay has passed.
//
// Thread-safe. The thread starts with the first After() and stops in the destructor; callbacks
// still pending then are destroyed without running (the owner makes sure no work waits on
// them). REQUIRES: not destroyed from one of its own callbacks.
class TimerThread {
 public:
  TimerThread() = default;
  ~TimerThread();
  TimerThread(const TimerThread&) = delete;
  TimerThread& operator=(const TimerThread&) = delete;

  // Runs `callback` on the timer's thread once `delay` has passed (a delay <= 0: soon).
  void After(absl::Duration delay, absl::AnyInvocable<void() &&> callback);

  // Callbacks added and not yet run.
  int pending() const;

 private:
  void Loop();

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t added_ ABSL_GUARDED_BY(mu_) = 0;  // ties broken in the order of adding
  std::map<std::pair<absl::Time, uint64_t>, absl::AnyInvocable<void() &&>> due_
      ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_TIMER_THREAD_H_

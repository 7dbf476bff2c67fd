#ifndef CITECHECK_SERVER_COMMON_STOP_WAITERS_H_
#define CITECHECK_SERVER_COMMON_STOP_WAITERS_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace citecheck {

// The process's waits on a stop flag (a `const std::atomic<bool>*` such as
// CheckRequest::cancelled) that sleep in something the flag cannot interrupt, e.g. a curl
// transfer in poll(). Such a wait registers a wake function for as long as it sleeps; whoever
// sets a stop flag calls WakeAll() afterwards, and every registered waiter wakes once to look
// at its own flag (stops are rare, so waking them all costs less than each polling on a timer).
//
// Protocol, so that no stop is missed: the waiter registers, then checks its flag before each
// sleep; the setter stores the flag, then calls WakeAll(). A wake that arrives between the
// check and the sleep must make the sleep return at once (curl_multi_wakeup does).
//
// Thread-safe. A wake function runs under this object's lock: it must not block, nor register
// or unregister.
class StopWaiters {
 public:
  using WakeFunction = void (*)(void* waiter);

  // The process's instance.
  static StopWaiters& Get();

  // Registers `waiter` (woken with wake(waiter)) until its Registration goes.
  class Registration {
   public:
    Registration(StopWaiters& waiters, void* waiter, WakeFunction wake);
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;

   private:
    StopWaiters& waiters_;
    void* waiter_;
  };

  // Wakes every registered waiter once.
  void WakeAll();

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<void*, WakeFunction> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_STOP_WAITERS_H_

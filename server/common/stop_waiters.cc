#include "server/common/stop_waiters.h"

namespace citecheck {

StopWaiters& StopWaiters::Get() {
  static StopWaiters* const instance = new StopWaiters();
  return *instance;
}

StopWaiters::Registration::Registration(StopWaiters& waiters, void* waiter, WakeFunction wake)
    : waiters_(waiters), waiter_(waiter) {
  absl::MutexLock lock(&waiters_.mu_);
  waiters_.waiters_[waiter_] = wake;
}

StopWaiters::Registration::~Registration() {
  absl::MutexLock lock(&waiters_.mu_);
  waiters_.waiters_.erase(waiter_);
}

void StopWaiters::WakeAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [waiter, wake] : waiters_) wake(waiter);
}

}  // namespace citecheck

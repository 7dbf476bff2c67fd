#include "server/common/timer_thread.h"

#include "absl/time/clock.h"

namespace citecheck {

TimerThread::~TimerThread() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void TimerThread::After(absl::Duration delay, absl::AnyInvocable<void() &&> callback) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return;
  due_.emplace(std::make_pair(absl::Now() + delay, added_++), std::move(callback));
  if (!started_) {
    started_ = true;
    thread_ = std::thread([this] { Loop(); });
  }
}

int TimerThread::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(due_.size());
}

void TimerThread::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (due_.empty()) {
      auto woken = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !due_.empty(); };
      mu_.Await(absl::Condition(&woken));
      continue;
    }
    const absl::Time next = due_.begin()->first.first;
    if (absl::Now() < next) {
      // Wakes early when an earlier callback is added or the timer stops.
      auto earlier = [this, next]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || due_.begin()->first.first < next;
      };
      mu_.AwaitWithDeadline(absl::Condition(&earlier), next);
      continue;
    }
    absl::AnyInvocable<void() &&> callback = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    mu_.Unlock();
    std::move(callback)();
    mu_.Lock();
  }
}

}  // namespace citecheck

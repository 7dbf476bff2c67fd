#include "server/api/wakeup_queue.h"

#include <algorithm>

namespace citecheck {

WakeupQueue::WakeupQueue(Clock* clock, absl::Duration max_sleep)
    : clock_(clock), max_sleep_(max_sleep) {}

WakeupQueue::~WakeupQueue() { Stop(); }

void WakeupQueue::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void WakeupQueue::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WakeupQueue::Add(std::weak_ptr<Wakeable> target, absl::Time due) {
  absl::MutexLock lock(&mu_);
  entries_.push(Entry{due, std::move(target)});
}

size_t WakeupQueue::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

void WakeupQueue::Loop() {
  std::vector<Entry> due;
  std::vector<Entry> again;
  while (true) {
    due.clear();
    again.clear();
    const absl::Time now = clock_->Now();
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      while (!entries_.empty() && entries_.top().due <= now) {
        due.push_back(entries_.top());
        entries_.pop();
      }
      if (due.empty()) {
        // Nothing due: sleep until the first entry is (an Add() of an earlier one is noticed
        // within max_sleep_; heartbeats are added at now + interval, never before the first).
        const absl::Duration wait =
            entries_.empty() ? max_sleep_ : std::min(max_sleep_, entries_.top().due - now);
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), wait);
        continue;
      }
    }
    // Without the lock: a target's Wake() may write to its stream (and Add()).
    for (Entry& entry : due) {
      std::shared_ptr<Wakeable> target = entry.target.lock();
      if (target == nullptr) continue;
      std::optional<absl::Time> next = target->Wake(now, entry.due);
      if (next.has_value()) again.push_back(Entry{*next, std::move(entry.target)});
    }
    absl::MutexLock lock(&mu_);
    for (Entry& entry : again) entries_.push(std::move(entry));
  }
}

}  // namespace citecheck

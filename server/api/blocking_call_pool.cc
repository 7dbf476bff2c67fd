#include "server/api/blocking_call_pool.h"

#include <utility>

namespace citecheck {

BlockingCallPool::BlockingCallPool(int threads, int max_queued) : max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

BlockingCallPool::~BlockingCallPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& thread : threads_) thread.join();
}

bool BlockingCallPool::Schedule(absl::AnyInvocable<void() &&> call) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || static_cast<int>(queue_.size()) >= max_queued_) return false;
  queue_.push_back(std::move(call));
  return true;
}

void BlockingCallPool::Loop() {
  while (true) {
    absl::AnyInvocable<void() &&> call;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping and drained
      call = std::move(queue_.front());
      queue_.pop_front();
    }
    std::move(call)();
  }
}

}  // namespace citecheck

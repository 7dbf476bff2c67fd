#include "server/jobs/chunk_executor.h"

#include <utility>

namespace citecheck {

ChunkExecutor::ChunkExecutor(Options options, ClaimFn claim, RunFn run)
    : options_(options), claim_(std::move(claim)), run_(std::move(run)) {}

ChunkExecutor::~ChunkExecutor() { Shutdown(); }

void ChunkExecutor::Start() {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void ChunkExecutor::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

bool ChunkExecutor::TryAdmit(int chunks) {
  absl::MutexLock lock(&mu_);
  if (chunks > options_.max_queued_chunks - queued_) return false;
  queued_ += chunks;
  return true;
}

void ChunkExecutor::Release(int chunks) {
  absl::MutexLock lock(&mu_);
  queued_ -= chunks;
  if (queued_ < 0) queued_ = 0;
}

void ChunkExecutor::Notify() {
  absl::MutexLock lock(&mu_);
  ++generation_;
}

int ChunkExecutor::queued() const {
  absl::MutexLock lock(&mu_);
  return queued_;
}

int ChunkExecutor::running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

void ChunkExecutor::WorkerLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      seen = generation_;
    }
    std::optional<Chunk> chunk = claim_();
    if (!chunk.has_value()) {
      // Nothing claimable: sleep until Notify() (or the poll interval, for work that appears
      // without a local Notify, e.g. a deadline passing).
      absl::MutexLock lock(&mu_);
      auto woken = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || generation_ != seen;
      };
      mu_.AwaitWithTimeout(absl::Condition(&woken), options_.idle_poll);
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      if (queued_ > 0) --queued_;
      ++running_;
    }
    run_(*std::move(chunk));
    {
      absl::MutexLock lock(&mu_);
      --running_;
    }
  }
}

}  // namespace citecheck

#include "server/jobs/chunk_executor.h"

#include <atomic>
#include <deque>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

// A claim source with a queue of chunks, and a run function that blocks until released.
class Harness {
 public:
  void Add(int n) {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < n; ++i) {
      Chunk chunk;
      chunk.chunk_id = next_++;
      queue_.push_back(std::move(chunk));
    }
  }
  std::optional<Chunk> Claim() {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return std::nullopt;
    Chunk chunk = std::move(queue_.front());
    queue_.pop_front();
    return chunk;
  }
  void Run(Chunk) {
    absl::MutexLock lock(&mu_);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_; };
    mu_.Await(absl::Condition(&open));
    --running_;
    ++done_;
  }
  void Open() {
    absl::MutexLock lock(&mu_);
    open_ = true;
  }
  bool AwaitRunning(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return running_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }
  bool AwaitDone(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }
  int max_running() {
    absl::MutexLock lock(&mu_);
    return max_running_;
  }

 private:
  absl::Mutex mu_;
  std::deque<Chunk> queue_ ABSL_GUARDED_BY(mu_);
  int64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  int max_running_ ABSL_GUARDED_BY(mu_) = 0;
  int done_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

ChunkExecutor::Options Opts(int workers, int queue) {
  ChunkExecutor::Options options;
  options.workers = workers;
  options.max_queued_chunks = queue;
  options.idle_poll = absl::Seconds(30);  // wake-ups must come from Notify()
  return options;
}

TEST(ChunkExecutorTest, RunsAtMostWorkersChunksAtOnce) {
  Harness h;
  ChunkExecutor executor(Opts(3, 100), [&] { return h.Claim(); },
                         [&](Chunk c) { h.Run(std::move(c)); });
  executor.Start();
  ASSERT_TRUE(executor.TryAdmit(10));
  h.Add(10);
  executor.Notify();
  ASSERT_TRUE(h.AwaitRunning(3));
  absl::SleepFor(absl::Milliseconds(100));  // give a fourth worker the chance to misbehave
  EXPECT_EQ(executor.running(), 3);
  EXPECT_EQ(executor.queued(), 7);
  h.Open();
  ASSERT_TRUE(h.AwaitDone(10));
  EXPECT_EQ(h.max_running(), 3);
  EXPECT_EQ(executor.queued(), 0);
  executor.Shutdown();
}

TEST(ChunkExecutorTest, AdmissionSaysNoWhenTheQueueWouldOverflow) {
  Harness h;
  ChunkExecutor executor(Opts(1, 5), [&] { return h.Claim(); },
                         [&](Chunk c) { h.Run(std::move(c)); });
  EXPECT_TRUE(executor.TryAdmit(3));
  EXPECT_FALSE(executor.TryAdmit(3));  // all or nothing
  EXPECT_EQ(executor.queued(), 3);
  EXPECT_TRUE(executor.TryAdmit(2));
  EXPECT_FALSE(executor.TryAdmit(1));
  executor.Release(2);
  EXPECT_TRUE(executor.TryAdmit(1));
  EXPECT_EQ(executor.queued(), 4);
}

TEST(ChunkExecutorTest, IdleWorkersWakeOnNotify) {
  Harness h;
  h.Open();
  ChunkExecutor executor(Opts(2, 100), [&] { return h.Claim(); },
                         [&](Chunk c) { h.Run(std::move(c)); });
  executor.Start();
  absl::SleepFor(absl::Milliseconds(50));  // workers found nothing and sleep
  ASSERT_TRUE(executor.TryAdmit(4));
  h.Add(4);
  executor.Notify();
  EXPECT_TRUE(h.AwaitDone(4));
  executor.Shutdown();
}

TEST(ChunkExecutorTest, ShutdownWaitsForRunningChunks) {
  Harness h;
  ChunkExecutor executor(Opts(1, 100), [&] { return h.Claim(); },
                         [&](Chunk c) { h.Run(std::move(c)); });
  executor.Start();
  ASSERT_TRUE(executor.TryAdmit(1));
  h.Add(1);
  executor.Notify();
  ASSERT_TRUE(h.AwaitRunning(1));
  std::atomic<bool> shut{false};
  std::thread stopper([&] {
    executor.Shutdown();
    shut = true;
  });
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_FALSE(shut.load());
  h.Open();
  stopper.join();
  EXPECT_TRUE(shut.load());
  EXPECT_TRUE(h.AwaitDone(1));
}

}  // namespace
}  // namespace citecheck

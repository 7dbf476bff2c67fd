#include "server/api/wakeup_queue.h"

#include <memory>
#include <optional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {

// Records every wake-up and answers with the next due time it was told to ask for.
class Target final : public Wakeable {
 public:
  // Each wake-up answers the next of `answers` (nullopt: leave); after the last, leaves.
  explicit Target(std::vector<std::optional<absl::Time>> answers) : answers_(std::move(answers)) {}

  std::optional<absl::Time> Wake(absl::Time now, absl::Time due) override {
    absl::MutexLock lock(&mu_);
    wakes_.push_back({now, due});
    const size_t i = wakes_.size() - 1;
    return i < answers_.size() ? answers_[i] : std::nullopt;
  }

  struct WakeUp {
    absl::Time now;
    absl::Time due;
  };
  // Waits until the target was woken `count` times; returns the wake-ups.
  std::vector<WakeUp> AwaitWakes(size_t count) {
    absl::MutexLock lock(&mu_);
    auto woken = [this, count]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return wakes_.size() >= count; };
    mu_.Await(absl::Condition(&woken));
    return wakes_;
  }
  size_t wakes() const {
    absl::MutexLock lock(&mu_);
    return wakes_.size();
  }

 private:
  const std::vector<std::optional<absl::Time>> answers_;
  mutable absl::Mutex mu_;
  std::vector<WakeUp> wakes_ ABSL_GUARDED_BY(mu_);
};

class WakeupQueueTest : public ::testing::Test {
 protected:
  absl::Time T(int seconds) const { return start_ + absl::Seconds(seconds); }

  const absl::Time start_ = absl::FromUnixSeconds(1798761600);
  FakeClock clock_{start_};
  WakeupQueue queue_{&clock_, absl::Milliseconds(1)};
};

TEST_F(WakeupQueueTest, WakesEachTargetAtItsTimeInOrder) {
  auto later = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{});
  auto now = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{});
  queue_.Add(later, T(10));
  queue_.Add(now, T(0));
  queue_.Start();
  const std::vector<Target::WakeUp> first = now->AwaitWakes(1);
  EXPECT_EQ(first[0].due, T(0));
  EXPECT_EQ(first[0].now, T(0));
  // The queue took everything due at T(0) at once; `later` is not due.
  EXPECT_EQ(later->wakes(), 0u);
  EXPECT_EQ(queue_.size(), 1u);

  clock_.Advance(absl::Seconds(10));
  const std::vector<Target::WakeUp> second = later->AwaitWakes(1);
  EXPECT_EQ(second[0].due, T(10));
  EXPECT_EQ(second[0].now, T(10));
  EXPECT_EQ(now->wakes(), 1u);
}

TEST_F(WakeupQueueTest, ATargetStaysWhileItAsksForALaterTimeAndLeavesWithNullopt) {
  auto target = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{T(5), T(7)});
  queue_.Add(target, T(1));
  queue_.Start();
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(target->AwaitWakes(1)[0].due, T(1));
  clock_.Advance(absl::Seconds(4));  // T(5)
  EXPECT_EQ(target->AwaitWakes(2)[1].due, T(5));
  clock_.Advance(absl::Seconds(3));  // T(8): past T(7)
  const std::vector<Target::WakeUp> wakes = target->AwaitWakes(3);
  EXPECT_EQ(wakes[2].due, T(7));
  EXPECT_EQ(wakes[2].now, T(8));
  // Its answer after T(7) was nullopt: gone once the queue has handled that wake-up.
  queue_.Stop();
  EXPECT_EQ(queue_.size(), 0u);
  EXPECT_EQ(target->wakes(), 3u);
}

TEST_F(WakeupQueueTest, ADestroyedTargetLeavesTheQueue) {
  auto gone = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{T(100)});
  auto marker = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{});
  queue_.Add(gone, T(1));
  queue_.Add(marker, T(2));
  gone.reset();
  queue_.Start();
  clock_.Advance(absl::Seconds(2));
  marker->AwaitWakes(1);  // the queue has passed T(1) and T(2)
  queue_.Stop();
  EXPECT_EQ(queue_.size(), 0u);
}

TEST_F(WakeupQueueTest, AnEarlierEntryOfTheSameTargetIsWokenFirstAndTellsItsDue) {
  auto target =
      std::make_shared<Target>(std::vector<std::optional<absl::Time>>{std::nullopt, std::nullopt});
  queue_.Add(target, T(10));
  queue_.Add(target, T(3));  // e.g. a read retry before the next heartbeat
  queue_.Start();
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(target->AwaitWakes(1)[0].due, T(3));
  clock_.Advance(absl::Seconds(7));
  EXPECT_EQ(target->AwaitWakes(2)[1].due, T(10));
}

TEST_F(WakeupQueueTest, StopEndsTheThreadWithEntriesLeft) {
  auto target = std::make_shared<Target>(std::vector<std::optional<absl::Time>>{});
  queue_.Add(target, T(60));
  queue_.Start();
  queue_.Stop();
  queue_.Stop();  // idempotent
  EXPECT_EQ(queue_.size(), 1u);
  EXPECT_EQ(target->wakes(), 0u);
}

}  // namespace
}  // namespace citecheck

#include "server/common/timer_thread.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;

TEST(TimerThreadTest, RunsCallbacksInDueOrderOnItsOwnThreadNeverEarly) {
  absl::Mutex mu;
  std::vector<int> order;
  std::vector<std::thread::id> threads;
  absl::Notification last;
  const absl::Time added = absl::Now();
  std::vector<absl::Duration> ran_after(3);
  auto record = [&](int tag) {
    absl::MutexLock lock(&mu);
    ran_after[tag] = absl::Now() - added;
    order.push_back(tag);
    threads.push_back(std::this_thread::get_id());
  };
  TimerThread timer;  // last: destroyed (its thread joined) first
  timer.After(absl::Milliseconds(60), [&] {
    record(2);
    last.Notify();
  });
  timer.After(absl::Milliseconds(20), [&] { record(1); });
  timer.After(absl::ZeroDuration(), [&] { record(0); });
  last.WaitForNotification();

  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre(0, 1, 2));
  EXPECT_GE(ran_after[1], absl::Milliseconds(20));
  EXPECT_GE(ran_after[2], absl::Milliseconds(60));
  ASSERT_EQ(threads.size(), 3u);
  EXPECT_NE(threads[0], std::this_thread::get_id());
  EXPECT_EQ(threads[0], threads[1]);
  EXPECT_EQ(threads[1], threads[2]);
  EXPECT_EQ(timer.pending(), 0);
}

TEST(TimerThreadTest, SameDueTimeKeepsTheOrderOfAdding) {
  absl::Mutex mu;
  std::vector<int> order;
  absl::Notification last;
  // Held back by a first callback that waits until every other one has been added.
  absl::Notification all_added;
  TimerThread timer;  // last: destroyed (its thread joined) first
  timer.After(absl::ZeroDuration(), [&] { all_added.WaitForNotification(); });
  for (int i = 0; i < 5; ++i) {
    timer.After(absl::ZeroDuration(), [&, i] {
      absl::MutexLock lock(&mu);
      order.push_back(i);
      if (i == 4) last.Notify();
    });
  }
  all_added.Notify();
  last.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
}

TEST(TimerThreadTest, ACallbackMayAddAnother) {
  absl::Notification second;
  TimerThread timer;  // last: destroyed (its thread joined) first
  timer.After(absl::Milliseconds(1),
              [&] { timer.After(absl::Milliseconds(1), [&] { second.Notify(); }); });
  second.WaitForNotification();
  EXPECT_EQ(timer.pending(), 0);
}

TEST(TimerThreadTest, AnEarlierCallbackAddedDuringALongWaitRunsFirst) {
  absl::Notification late_ran;
  absl::Notification early_ran;
  TimerThread timer;  // last: destroyed (its thread joined) first
  timer.After(absl::Hours(1), [&] { late_ran.Notify(); });
  timer.After(absl::Milliseconds(5), [&] { early_ran.Notify(); });
  early_ran.WaitForNotification();
  EXPECT_FALSE(late_ran.HasBeenNotified());
  EXPECT_EQ(timer.pending(), 1);
}

TEST(TimerThreadTest, DestructionDropsPendingCallbacksWithoutRunningThem) {
  auto ran = std::make_shared<bool>(false);
  auto alive = std::make_shared<int>(0);
  std::weak_ptr<int> watch = alive;
  {
    TimerThread timer;  // last: destroyed (its thread joined) first
    timer.After(absl::Hours(1), [ran, alive = std::move(alive)] { *ran = true; });
    EXPECT_EQ(timer.pending(), 1);
  }
  EXPECT_FALSE(*ran);
  EXPECT_TRUE(watch.expired());  // the callback (and what it held) was destroyed
}

}  // namespace
}  // namespace citecheck

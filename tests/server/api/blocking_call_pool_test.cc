#include "server/api/blocking_call_pool.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(BlockingCallPoolTest, RunsEveryScheduledCallBeforeItIsDestroyed) {
  std::atomic<int> ran{0};
  {
    BlockingCallPool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.Schedule([&ran] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(BlockingCallPoolTest, RefusesWorkBeyondTheQueueBound) {
  absl::Notification release;
  absl::Notification started;
  BlockingCallPool pool(1, 2);
  ASSERT_TRUE(pool.Schedule([&] {
    started.Notify();
    release.WaitForNotification();
  }));
  started.WaitForNotification();  // the only thread is busy
  EXPECT_TRUE(pool.Schedule([] {}));
  EXPECT_TRUE(pool.Schedule([] {}));
  EXPECT_FALSE(pool.Schedule([] {}));  // two waiting already
  release.Notify();
}

TEST(BlockingCallPoolTest, ABlockedCallDoesNotHoldBackTheOthers) {
  absl::Notification release;
  absl::Notification other_ran;
  BlockingCallPool pool(2, 10);
  ASSERT_TRUE(pool.Schedule([&] { release.WaitForNotification(); }));
  ASSERT_TRUE(pool.Schedule([&] { other_ran.Notify(); }));
  EXPECT_TRUE(other_ran.WaitForNotificationWithTimeout(absl::Seconds(10)));
  release.Notify();
}

}  // namespace
}  // namespace citecheck

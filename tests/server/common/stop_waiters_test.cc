// Tests of StopWaiters: who is registered is woken, once per WakeAll, and no longer after the
// registration goes.
#include "server/common/stop_waiters.h"

#include <optional>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

void CountWake(void* waiter) { ++*static_cast<int*>(waiter); }

TEST(StopWaitersTest, WakesEveryRegisteredWaiterOncePerWakeAll) {
  StopWaiters waiters;
  int first = 0;
  int second = 0;
  StopWaiters::Registration a(waiters, &first, &CountWake);
  {
    StopWaiters::Registration b(waiters, &second, &CountWake);
    waiters.WakeAll();
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
  }
  waiters.WakeAll();
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 1);  // unregistered with `b`
}

TEST(StopWaitersTest, WakeAllWithoutWaitersDoesNothing) {
  StopWaiters waiters;
  waiters.WakeAll();
  int woken = 0;
  std::optional<StopWaiters::Registration> registration;
  registration.emplace(waiters, &woken, &CountWake);
  registration.reset();
  waiters.WakeAll();
  EXPECT_EQ(woken, 0);
}

}  // namespace
}  // namespace citecheck

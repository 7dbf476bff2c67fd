#include "server/jobs/cancel_registry.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

TEST(CancelRegistryTest, ChunksOfOneJobShareOneFlagUntilTheLastLeaves) {
  CancelRegistry registry;
  auto first = registry.Enter("j1");
  auto second = registry.Enter("j1");
  EXPECT_EQ(first.get(), second.get());
  EXPECT_THAT(registry.RunningJobs(), ElementsAre("j1"));
  registry.Leave("j1");
  EXPECT_THAT(registry.RunningJobs(), ElementsAre("j1"));
  registry.Leave("j1");
  EXPECT_THAT(registry.RunningJobs(), IsEmpty());
  // A later chunk of the job starts with a fresh flag.
  auto third = registry.Enter("j1");
  EXPECT_NE(third.get(), first.get());
  EXPECT_FALSE(third->stop.load());
}

TEST(CancelRegistryTest, StopSetsTheFlagOfOneJobAndTheFirstReasonSticks) {
  CancelRegistry registry;
  auto j1 = registry.Enter("j1");
  auto j2 = registry.Enter("j2");
  registry.Stop("j1", StopReason::kJobEnded);
  registry.Stop("j1", StopReason::kAbandon);
  registry.Stop("unknown", StopReason::kJobEnded);
  EXPECT_TRUE(j1->stop.load());
  EXPECT_EQ(j1->Reason(), StopReason::kJobEnded);
  EXPECT_FALSE(j2->stop.load());
  EXPECT_EQ(j2->Reason(), StopReason::kNone);
  // Stopped jobs no longer need watching.
  EXPECT_THAT(registry.RunningJobs(), ElementsAre("j2"));
}

TEST(CancelRegistryTest, StopAllAbandonsEveryRunningJob) {
  CancelRegistry registry;
  auto j1 = registry.Enter("j1");
  auto j2 = registry.Enter("j2");
  registry.Stop("j2", StopReason::kJobEnded);
  registry.StopAll(StopReason::kAbandon);
  EXPECT_EQ(j1->Reason(), StopReason::kAbandon);
  EXPECT_EQ(j2->Reason(), StopReason::kJobEnded);
  EXPECT_THAT(registry.RunningJobs(), IsEmpty());
}

}  // namespace
}  // namespace citecheck

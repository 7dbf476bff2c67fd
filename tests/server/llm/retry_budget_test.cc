#include "server/llm/retry_budget.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(RetryBudgetTest, StartsFullAndAllowsRetries) {
  RetryBudget budget;  // 100 tokens, ratio 0.1
  EXPECT_EQ(budget.Tokens(), 100);
  EXPECT_TRUE(budget.AllowRetry());
}

TEST(RetryBudgetTest, FailuresStopRetriesAndSuccessesBringThemBack) {
  RetryBudget budget(100, 0.1);
  for (int i = 0; i < 49; ++i) budget.OnFailure();
  EXPECT_EQ(budget.Tokens(), 51);
  EXPECT_TRUE(budget.AllowRetry());
  budget.OnFailure();
  EXPECT_EQ(budget.Tokens(), 50);
  EXPECT_FALSE(budget.AllowRetry());  // 50 is not above 100 / 2
  budget.OnFailure();                 // the 51st failure
  EXPECT_EQ(budget.Tokens(), 49);
  EXPECT_FALSE(budget.AllowRetry());

  // 49 + 10 * 0.1 = 50 exactly: still not above half.
  for (int i = 0; i < 10; ++i) {
    budget.OnSuccess();
    EXPECT_FALSE(budget.AllowRetry()) << "after " << i + 1 << " successes";
  }
  EXPECT_EQ(budget.Tokens(), 50);
  budget.OnSuccess();  // the 11th
  EXPECT_DOUBLE_EQ(budget.Tokens(), 50.1);
  EXPECT_TRUE(budget.AllowRetry());
}

TEST(RetryBudgetTest, StaysWithinZeroAndMax) {
  RetryBudget budget(10, 0.5);
  for (int i = 0; i < 5; ++i) budget.OnSuccess();
  EXPECT_EQ(budget.Tokens(), 10);
  for (int i = 0; i < 25; ++i) budget.OnFailure();
  EXPECT_EQ(budget.Tokens(), 0);
  EXPECT_FALSE(budget.AllowRetry());
  // From 0, 11 successes at 0.5 reach 5.5 > 5.
  for (int i = 0; i < 10; ++i) budget.OnSuccess();
  EXPECT_FALSE(budget.AllowRetry());
  budget.OnSuccess();
  EXPECT_TRUE(budget.AllowRetry());
}

TEST(RetryBudgetTest, OddMaximumComparesAgainstTheExactHalf) {
  RetryBudget budget(3, 0.1);
  budget.OnFailure();  // 2 > 1.5
  EXPECT_TRUE(budget.AllowRetry());
  budget.OnFailure();  // 1 <= 1.5
  EXPECT_FALSE(budget.AllowRetry());
}

TEST(RetryBudgetTest, ZeroMaxTokensTurnsThrottlingOff) {
  for (int max_tokens : {0, -1}) {
    SCOPED_TRACE(max_tokens);
    RetryBudget budget(max_tokens, 0.1);
    for (int i = 0; i < 1000; ++i) budget.OnFailure();
    EXPECT_TRUE(budget.AllowRetry());
  }
}

TEST(RetryBudgetTest, NonPositiveRatioNeverRefills) {
  RetryBudget budget(4, -1.0);
  budget.OnFailure();
  budget.OnFailure();
  EXPECT_FALSE(budget.AllowRetry());
  for (int i = 0; i < 100; ++i) budget.OnSuccess();
  EXPECT_EQ(budget.Tokens(), 2);
}

}  // namespace
}  // namespace citecheck

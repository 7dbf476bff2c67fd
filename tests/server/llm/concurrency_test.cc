// The one multi-threaded test of server/llm: the shared counters lose no update and queue
// concurrent reservations one behind the other.

#include <algorithm>
#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/llm/rate_limiter.h"
#include "server/llm/retry_budget.h"

namespace citecheck {
namespace {

TEST(LlmConcurrencyTest, BudgetAndBucketCountEveryCallOnce) {
  constexpr int kThreads = 4;
  constexpr int kCallsPerThread = 2000;
  const absl::Time now = absl::FromUnixSeconds(1798761600);
  RetryBudget budget(10'000, 0.5);
  TokenBucket bucket(6000);  // one unit per 10 ms
  std::vector<std::vector<absl::Duration>> waits(kThreads);

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        budget.OnFailure();
        if (i % 2 == 0) budget.OnSuccess();
        waits[t].push_back(bucket.Reserve(1, now));
        budget.AllowRetry();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  // 8000 failures, 4000 successes at 0.5: 10000 - 8000 + 2000 (never clamped at 0 here).
  EXPECT_EQ(budget.Tokens(), 4000);
  EXPECT_FALSE(budget.AllowRetry());

  // The first 6000 reservations were free; the other 2000 queued 10 ms apart.
  std::vector<absl::Duration> all;
  for (const auto& w : waits) all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), size_t{kThreads * kCallsPerThread});
  for (size_t i = 0; i < all.size(); ++i) {
    const absl::Duration expected =
        i < 6000 ? absl::ZeroDuration() : absl::Milliseconds(10) * static_cast<int64_t>(i - 5999);
    ASSERT_EQ(all[i], expected) << "reservation " << i;
  }
}

}  // namespace
}  // namespace citecheck

#include "server/llm/rate_limiter.h"

#include <cmath>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {

TEST(TokenBucketTest, ZeroOrNegativeLimitIsOff) {
  FakeClock clock;
  for (int64_t per_minute : {0, -5}) {
    SCOPED_TRACE(per_minute);
    TokenBucket bucket(per_minute);
    EXPECT_FALSE(bucket.enabled());
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(bucket.Reserve(1'000'000, clock.Now()), absl::ZeroDuration());
    }
    EXPECT_TRUE(std::isinf(bucket.Available(clock.Now())));
  }
}

TEST(TokenBucketTest, BurstOfCapacityThenQueuesOnePerSecond) {
  FakeClock clock;
  TokenBucket bucket(60);
  EXPECT_EQ(bucket.capacity(), 60);
  EXPECT_EQ(bucket.Available(clock.Now()), 60);
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration()) << "request " << i;
  }
  EXPECT_EQ(bucket.Available(clock.Now()), 0);
  // Later callers queue behind each other, a second apart.
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::Seconds(1));
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::Seconds(2));
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::Seconds(3));
  EXPECT_EQ(bucket.Available(clock.Now()), -3);
}

TEST(TokenBucketTest, SteadyStateIsOneRequestPerSecond) {
  FakeClock clock;
  TokenBucket bucket(60);
  for (int i = 0; i < 60; ++i) bucket.Reserve(1, clock.Now());
  for (int second = 1; second <= 30; ++second) {
    clock.Advance(absl::Seconds(1));
    ASSERT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration()) << "second " << second;
  }
  // A second request within the same second waits for the next refill.
  clock.Advance(absl::Milliseconds(1250));
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration());
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::Milliseconds(750));
}

TEST(TokenBucketTest, RefillsContinuouslyUpToTheCapacity) {
  FakeClock clock;
  TokenBucket bucket(60);
  for (int i = 0; i < 60; ++i) bucket.Reserve(1, clock.Now());
  clock.Advance(absl::Milliseconds(500));
  EXPECT_DOUBLE_EQ(bucket.Available(clock.Now()), 0.5);
  clock.Advance(absl::Seconds(29.5));
  EXPECT_EQ(bucket.Available(clock.Now()), 30);
  clock.Advance(absl::Minutes(10));
  EXPECT_EQ(bucket.Available(clock.Now()), 60);  // capped: no 600-request burst
  for (int i = 0; i < 60; ++i) {
    ASSERT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration());
  }
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::Seconds(1));
}

TEST(TokenBucketTest, CostsAreWeighed) {
  FakeClock clock;
  TokenBucket tokens(1000);  // 1000 tokens per minute: 1 token per 60 ms
  EXPECT_EQ(tokens.Reserve(600, clock.Now()), absl::ZeroDuration());
  // 200 tokens short: 200 * 60 ms.
  EXPECT_EQ(tokens.Reserve(600, clock.Now()), absl::Seconds(12));
  EXPECT_EQ(tokens.Reserve(0, clock.Now()), absl::Seconds(12));    // free, but still queued
  EXPECT_EQ(tokens.Reserve(-50, clock.Now()), absl::Seconds(12));  // negative counts as 0
  clock.Advance(absl::Seconds(12));
  EXPECT_EQ(tokens.Available(clock.Now()), 0);
}

TEST(TokenBucketTest, ACostAboveTheCapacityWaitsForTheRefill) {
  FakeClock clock;
  TokenBucket tokens(1000);
  EXPECT_EQ(tokens.Reserve(1500, clock.Now()), absl::Seconds(30));
}

TEST(TokenBucketTest, HandlesIntervalsThatAreNotWholeSeconds) {
  FakeClock clock;
  TokenBucket bucket(7);
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration());
  }
  const absl::Duration wait = bucket.Reserve(1, clock.Now());
  EXPECT_GT(wait, absl::Seconds(60.0 / 7) - absl::Nanoseconds(1));
  EXPECT_LT(wait, absl::Seconds(60.0 / 7) + absl::Nanoseconds(1));
}

TEST(TokenBucketTest, AbsurdCostsTakeNothing) {
  FakeClock clock;
  TokenBucket bucket(1);
  EXPECT_EQ(bucket.Reserve(int64_t{1} << 62, clock.Now()), absl::InfiniteDuration());
  EXPECT_EQ(bucket.Reserve(1, clock.Now()), absl::ZeroDuration());
}

TEST(RateLimiterTest, WaitsForTheScarcerOfRequestsAndTokens) {
  FakeClock clock;
  RateLimiter limiter({/*requests_per_minute=*/60, /*tokens_per_minute=*/600});
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(limiter.Reserve(100, clock.Now()), absl::ZeroDuration());
  }
  // Requests are plentiful; tokens are 100 short at 10 per second.
  EXPECT_EQ(limiter.Reserve(100, clock.Now()), absl::Seconds(10));
  EXPECT_EQ(limiter.requests().Available(clock.Now()), 53);

  RateLimiter by_requests({/*requests_per_minute=*/2, /*tokens_per_minute=*/1'000'000});
  EXPECT_EQ(by_requests.Reserve(10, clock.Now()), absl::ZeroDuration());
  EXPECT_EQ(by_requests.Reserve(10, clock.Now()), absl::ZeroDuration());
  EXPECT_EQ(by_requests.Reserve(10, clock.Now()), absl::Seconds(30));
}

TEST(RateLimiterTest, ZeroLimitsAreOff) {
  FakeClock clock;
  RateLimiter limiter(RateLimitOptions{});
  EXPECT_FALSE(limiter.requests().enabled());
  EXPECT_FALSE(limiter.tokens().enabled());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(limiter.Reserve(100'000, clock.Now()), absl::ZeroDuration());
  }
  RateLimiter only_requests({/*requests_per_minute=*/1, /*tokens_per_minute=*/0});
  EXPECT_EQ(only_requests.Reserve(100'000, clock.Now()), absl::ZeroDuration());
  EXPECT_EQ(only_requests.Reserve(100'000, clock.Now()), absl::Minutes(1));
}

}  // namespace
}  // namespace citecheck

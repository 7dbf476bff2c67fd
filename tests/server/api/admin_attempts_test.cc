#include "server/api/admin_attempts.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;

AdminAttemptOptions PerMinute(int failures) {
  AdminAttemptOptions options;
  options.max_failures_per_minute = failures;
  options.log_interval = absl::Hours(1);  // the tests take the summaries themselves
  return options;
}

// One failed attempt of `address`: admitted, then refused.
absl::Status FailOnce(AdminAttemptLimiter& limiter, const std::string& address) {
  absl::Status admitted = limiter.Admit(address);
  if (admitted.ok()) limiter.Failed(address, "GrantCredits", "wrong x-admin-key");
  return admitted;
}

TEST(AdminAttemptLimiterTest, AnAddressGetsItsFailuresPerMinuteThenWaitsForTheRefill) {
  FakeClock clock;
  AdminAttemptLimiter limiter(PerMinute(6), &clock);
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(FailOnce(limiter, "ip4:192.0.2.1").ok()) << i;
  absl::Status throttled = FailOnce(limiter, "ip4:192.0.2.1");
  EXPECT_EQ(throttled.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(throttled), reason::kTooManyAdminAttempts);
  EXPECT_EQ(ErrorMetadata(throttled)["max_failures_per_minute"], "6");
  EXPECT_THAT(throttled.message(), HasSubstr("try again in 10s"));  // one token: 60 s / 6
  // Another address is not affected.
  EXPECT_TRUE(FailOnce(limiter, "ip4:192.0.2.2").ok());
  // One token back after 10 s, not before.
  clock.Advance(absl::Seconds(9));
  EXPECT_FALSE(FailOnce(limiter, "ip4:192.0.2.1").ok());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(FailOnce(limiter, "ip4:192.0.2.1").ok());
  EXPECT_FALSE(FailOnce(limiter, "ip4:192.0.2.1").ok());
  // A full minute refills the whole allowance, never more.
  clock.Advance(absl::Minutes(5));
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(FailOnce(limiter, "ip4:192.0.2.1").ok()) << i;
  EXPECT_FALSE(FailOnce(limiter, "ip4:192.0.2.1").ok());
}

TEST(AdminAttemptLimiterTest, SuccessesCostNothingAndConcurrentGuessesCannotOvertakeTheCount) {
  FakeClock clock;
  AdminAttemptLimiter limiter(PerMinute(3), &clock);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limiter.Admit("ip4:192.0.2.1").ok()) << i;
    limiter.Succeeded("ip4:192.0.2.1");
  }
  // Three guesses in flight at once hold all three tokens: the fourth is refused before any
  // of them is decided.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("ip4:192.0.2.1").ok());
  EXPECT_FALSE(limiter.Admit("ip4:192.0.2.1").ok());
}

TEST(AdminAttemptLimiterTest, ZeroMeansNoLimit) {
  FakeClock clock;
  AdminAttemptLimiter limiter(PerMinute(0), &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(FailOnce(limiter, "ip4:192.0.2.1").ok()) << i;
}

TEST(AdminAttemptLimiterTest, OneSummaryLineCountsTheIntervalThenStartsAnother) {
  FakeClock clock;
  AdminAttemptLimiter limiter(PerMinute(5), &clock);
  EXPECT_EQ(limiter.TakeSummary(), "");
  for (int i = 0; i < 3900; ++i) (void)FailOnce(limiter, "ip4:192.0.2.1");
  (void)FailOnce(limiter, "ip4:192.0.2.2");
  limiter.Admit("ip4:192.0.2.3").IgnoreError();
  limiter.Failed("ip4:192.0.2.3", "GrantPass", "no x-admin-key");
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(limiter.TakeSummary(),
            "admin key refused 7 times in the last 1m (GrantCredits: wrong x-admin-key x6, "
            "GrantPass: no x-admin-key x1), 3895 more calls throttled; from 3 addresses, most "
            "from \"ip4:192.0.2.1\" x3900, \"ip4:192.0.2.2\" x1, \"ip4:192.0.2.3\" x1");
  EXPECT_EQ(limiter.TakeSummary(), "");
}

TEST(AdminAttemptLimiterTest, TrackedAddressesAreBoundedAndFullBucketsDropped) {
  FakeClock clock;
  AdminAttemptLimiter limiter(PerMinute(1), &clock);
  // Every tracked address used its one failure; beyond the bound they share one bucket.
  for (int i = 0; i < AdminAttemptLimiter::kMaxTrackedAddresses; ++i) {
    ASSERT_TRUE(FailOnce(limiter, absl::StrCat("addr:", i)).ok()) << i;
  }
  EXPECT_TRUE(FailOnce(limiter, "addr:new-1").ok());
  EXPECT_FALSE(FailOnce(limiter, "addr:new-2").ok());  // the shared bucket is empty
  // A minute later every bucket is full again: they are dropped and new addresses have their
  // own buckets.
  clock.Advance(absl::Minutes(1));
  EXPECT_TRUE(FailOnce(limiter, "addr:new-3").ok());
  EXPECT_TRUE(FailOnce(limiter, "addr:new-4").ok());
  EXPECT_FALSE(FailOnce(limiter, "addr:new-4").ok());
}

}  // namespace
}  // namespace citecheck

#include "server/accounts/gating.h"

#include <cstdlib>
#include <limits>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

struct FreeCase {
  const char* name;
  int requested;
  int free_limit;
  int used;
  int accepted;
  int locked;
  v1::LimitType limit_type;
};

TEST(ValidateGrantIdsTest, OrderIdsArePrintableAsciiOfAtMost128Bytes) {
  EXPECT_TRUE(ValidateGrantIds("tok", "order-1 / 2027:A_b~").ok());
  EXPECT_TRUE(ValidateGrantIds("tok", std::string(kMaxOrderIdBytes, 'o')).ok());
  for (const std::string& bad :
       {std::string(""), std::string(kMaxOrderIdBytes + 1, 'o'), std::string("a\nb"),
        std::string("nul\0", 4), std::string("\x1b[31m"), std::string("caf\xc3\xa9"),
        std::string("del\x7f")}) {
    absl::Status status = ValidateGrantIds("tok", bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad.size();
    EXPECT_EQ(ErrorReason(status), "INVALID_GRANT") << bad.size();
  }
  EXPECT_EQ(ErrorReason(ValidateGrantIds("", "order")), "INVALID_GRANT");
}

TEST(AdmitFreeTest, AcceptsUpToWhatIsLeftOfTheAllowance) {
  const FreeCase cases[] = {
      {"all fit", 3, 5, 0, 3, 0, v1::LIMIT_TYPE_NONE},
      {"exactly fills", 5, 5, 0, 5, 0, v1::LIMIT_TYPE_NONE},
      {"partial", 5, 10, 8, 2, 3, v1::LIMIT_TYPE_FREE_LIMIT},
      {"nothing left", 2, 10, 10, 0, 2, v1::LIMIT_TYPE_FREE_LIMIT},
      {"used above limit", 2, 5, 9, 0, 2, v1::LIMIT_TYPE_FREE_LIMIT},
      {"zero requested", 0, 5, 1, 0, 0, v1::LIMIT_TYPE_NONE},
      {"zero requested at limit", 0, 5, 5, 0, 0, v1::LIMIT_TYPE_NONE},
      {"negative requested", -3, 5, 0, 0, 0, v1::LIMIT_TYPE_NONE},
      {"zero limit", 4, 0, 0, 0, 4, v1::LIMIT_TYPE_FREE_LIMIT},
      {"negative limit", 4, -1, 0, 0, 4, v1::LIMIT_TYPE_FREE_LIMIT},
      {"huge used", 1, 5, std::numeric_limits<int>::max(), 0, 1, v1::LIMIT_TYPE_FREE_LIMIT},
      {"huge limit", 7, std::numeric_limits<int>::max(), std::numeric_limits<int>::min() + 1, 7, 0,
       v1::LIMIT_TYPE_NONE},
  };
  for (const FreeCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Admission a = AdmitFree(c.requested, c.free_limit, c.used);
    EXPECT_EQ(a.accepted, c.accepted);
    EXPECT_EQ(a.locked, c.locked);
    EXPECT_EQ(a.limit_type, c.limit_type);
  }
}

TEST(AdmitFreeTest, FloorOfEightOnLimitTenAdmitsTwoOfFiveThenNothing) {
  const int used = EffectiveFreeUsed(/*server_used=*/0, /*floor=*/8);
  ASSERT_EQ(used, 8);
  const Admission first = AdmitFree(5, 10, used);
  EXPECT_EQ(first.accepted, 2);
  EXPECT_EQ(first.locked, 3);
  EXPECT_EQ(first.limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
  const int used_after = used + first.accepted;
  EXPECT_EQ(used_after, 10);

  const Admission second = AdmitFree(2, 10, EffectiveFreeUsed(used_after, 8));
  EXPECT_EQ(second.accepted, 0);
  EXPECT_EQ(second.locked, 2);
  EXPECT_EQ(second.limit_type, v1::LIMIT_TYPE_FREE_LIMIT);
}

struct CreditsCase {
  const char* name;
  int requested;
  int64_t credits;
  int accepted;
  int locked;
  v1::LimitType limit_type;
};

TEST(AdmitCreditsTest, AcceptsOneCitationPerCredit) {
  const CreditsCase cases[] = {
      {"plenty", 5, 100, 5, 0, v1::LIMIT_TYPE_NONE},
      {"exact", 5, 5, 5, 0, v1::LIMIT_TYPE_NONE},
      {"partial", 5, 3, 3, 2, v1::LIMIT_TYPE_CREDITS_EXHAUSTED},
      {"no credits", 5, 0, 0, 5, v1::LIMIT_TYPE_CREDITS_EXHAUSTED},
      {"negative credits", 5, -7, 0, 5, v1::LIMIT_TYPE_CREDITS_EXHAUSTED},
      {"zero requested", 0, 0, 0, 0, v1::LIMIT_TYPE_NONE},
      {"negative requested", -1, 10, 0, 0, v1::LIMIT_TYPE_NONE},
      {"credits beyond int", 9, std::numeric_limits<int64_t>::max(), 9, 0, v1::LIMIT_TYPE_NONE},
  };
  for (const CreditsCase& c : cases) {
    SCOPED_TRACE(c.name);
    const Admission a = AdmitCredits(c.requested, c.credits);
    EXPECT_EQ(a.accepted, c.accepted);
    EXPECT_EQ(a.locked, c.locked);
    EXPECT_EQ(a.limit_type, c.limit_type);
  }
}

struct PassCase {
  const char* name;
  int requested;
  int daily_used;
  int daily_limit;
  bool admits;
};

TEST(PassAdmitsTest, AdmitsOnlyWholeBatchesWithinTheDailyLimit) {
  const PassCase cases[] = {
      {"fits", 10, 0, 1000, true},
      {"exactly reaches limit", 10, 990, 1000, true},
      {"one over", 11, 990, 1000, false},
      {"already at limit", 1, 1000, 1000, false},
      {"zero at limit", 0, 1000, 1000, true},
      {"zero limit", 1, 0, 0, false},
      {"batch larger than limit", 1001, 0, 1000, false},
      {"no overflow", std::numeric_limits<int>::max(), std::numeric_limits<int>::max(),
       std::numeric_limits<int>::max(), false},
  };
  for (const PassCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(PassAdmits(c.requested, c.daily_used, c.daily_limit), c.admits);
  }
}

TEST(EffectiveFreeUsedTest, FloorOnlyRaisesTheServerCount) {
  struct Case {
    const char* name;
    int server_used;
    std::optional<int> floor;
    int want;
  };
  const Case cases[] = {
      {"no floor", 3, std::nullopt, 3}, {"higher floor", 3, 8, 8},
      {"lower floor", 3, 1, 3},         {"equal floor", 3, 3, 3},
      {"zero floor", 3, 0, 3},          {"negative floor ignored", 3, -5, 3},
      {"floor from nothing", 0, 4, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(EffectiveFreeUsed(c.server_used, c.floor), c.want);
  }
}

TEST(NextUtcMidnightTest, IsTheNextUtcDayBoundary) {
  struct Case {
    const char* name;
    absl::Time now;
    absl::Time want;
  };
  const Case cases[] = {
      {"just before midnight", Utc(2027, 1, 1, 23, 59, 59) + absl::Milliseconds(999),
       Utc(2027, 1, 2)},
      {"exactly midnight", Utc(2027, 1, 2), Utc(2027, 1, 3)},
      {"just after midnight", Utc(2027, 1, 2) + absl::Nanoseconds(1), Utc(2027, 1, 3)},
      {"noon", Utc(2027, 1, 2, 12), Utc(2027, 1, 3)},
      {"end of year", Utc(2026, 12, 31, 23, 30), Utc(2027, 1, 1)},
      {"leap day", Utc(2028, 2, 28, 23), Utc(2028, 2, 29)},
      {"before epoch", Utc(1969, 12, 31, 23, 59, 59), Utc(1970, 1, 1)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(NextUtcMidnight(c.now), c.want);
  }
}

TEST(NextUtcMidnightTest, IgnoresTheLocalTimeZone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old == nullptr ? "" : old;
  // 10:30 UTC is already the next day in Kiritimati (UTC+14).
  setenv("TZ", "Pacific/Kiritimati", 1);
  const absl::Time now = Utc(2027, 3, 10, 10, 30);
  EXPECT_EQ(NextUtcMidnight(now), Utc(2027, 3, 11));
  EXPECT_EQ(UtcDay(now), absl::CivilDay(2027, 3, 10));
  if (old == nullptr) {
    unsetenv("TZ");
  } else {
    setenv("TZ", saved.c_str(), 1);
  }
}

TEST(UtcDayTest, SplitsAtUtcMidnight) {
  EXPECT_EQ(UtcDay(Utc(2027, 1, 1, 23, 59, 59)), absl::CivilDay(2027, 1, 1));
  EXPECT_EQ(UtcDay(Utc(2027, 1, 2)), absl::CivilDay(2027, 1, 2));
}

TEST(PassDaysTest, OnlyOneSevenAndThirtyDaysAreValid) {
  struct Case {
    int days;
    bool valid;
    const char* type;
  };
  const Case cases[] = {{1, true, "1day"}, {7, true, "7day"}, {30, true, "30day"},
                        {0, false, ""},    {-1, false, ""},   {2, false, ""},
                        {31, false, ""},   {365, false, ""}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.days);
    EXPECT_EQ(IsValidPassDays(c.days), c.valid);
    EXPECT_EQ(PassTypeForDays(c.days), c.type);
  }
}

TEST(FormatRfc3339UtcTest, FormatsInUtcWithSeconds) {
  EXPECT_EQ(FormatRfc3339Utc(Utc(2027, 1, 2)), "2027-01-02T00:00:00Z");
}

TEST(DailyLimitReachedErrorTest, CarriesReasonResetTimeQuotaFailureAndRetryInfo) {
  const absl::Time now = Utc(2027, 1, 1, 18);
  const absl::Status status = DailyLimitReachedError(20, 990, 1000, now);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(status), "DAILY_LIMIT_REACHED");
  auto metadata = ErrorMetadata(status);
  EXPECT_EQ(metadata["reset_time"], "2027-01-02T00:00:00Z");
  EXPECT_EQ(metadata["daily_used"], "990");
  EXPECT_EQ(metadata["daily_limit"], "1000");

  const google::rpc::Status rpc = ToRpcStatus(status);
  google::rpc::QuotaFailure quota;
  google::rpc::RetryInfo retry;
  bool has_quota_failure = false, has_retry_info = false;
  for (const auto& any : rpc.details()) {
    if (any.type_url() == "type.googleapis.com/google.rpc.QuotaFailure") {
      has_quota_failure = quota.ParseFromString(any.value());
    }
    if (any.type_url() == "type.googleapis.com/google.rpc.RetryInfo") {
      has_retry_info = retry.ParseFromString(any.value());
    }
  }
  ASSERT_TRUE(has_quota_failure);
  EXPECT_EQ(quota.violations_size(), 1);
  ASSERT_TRUE(has_retry_info);
  EXPECT_EQ(retry.retry_delay().seconds(), 6 * 3600);  // 18:00 → midnight UTC
}

}  // namespace
}  // namespace citecheck

#include "server/llm/retry_policy.h"

#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "server/common/proto_time.h"
#include "server/llm/attempt_outcome.h"

namespace citecheck {
namespace {

using Kind = AttemptOutcome::Kind;

// 2027-01-01 00:00:00 UTC, a Friday (FakeClock's default start).
constexpr absl::Time kNow = absl::FromUnixSeconds(1798761600);

// A random source that must not be consulted.
double NoRandom() {
  ADD_FAILURE() << "uniform01 called although the server set the delay";
  return 0;
}

std::optional<absl::Duration> RetryInfoDelay(const absl::Status& status) {
  const google::rpc::Status rpc = ToRpcStatus(status);
  for (const auto& any : rpc.details()) {
    google::rpc::RetryInfo retry;
    if (any.type_url() == "type.googleapis.com/google.rpc.RetryInfo" &&
        retry.ParseFromString(any.value())) {
      return FromDuration(retry.retry_delay());
    }
  }
  return std::nullopt;
}

struct StatusCase {
  int http_status;
  bool retryable;
  absl::string_view reason;
  absl::StatusCode code;
};

TEST(IsRetryableTest, FollowsTheStatusClass) {
  const StatusCase cases[] = {
      {400, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {401, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {403, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {404, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {422, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {418, false, reason::kLlmRejected, absl::StatusCode::kFailedPrecondition},
      {408, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {409, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {429, true, reason::kLlmRateLimited, absl::StatusCode::kResourceExhausted},
      {500, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {502, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {503, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {504, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {599, true, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
      {302, false, reason::kLlmUnavailable, absl::StatusCode::kUnavailable},
  };
  for (const StatusCase& c : cases) {
    SCOPED_TRACE(c.http_status);
    const AttemptOutcome outcome = AttemptOutcome::Http(c.http_status);
    EXPECT_EQ(IsRetryable(outcome), c.retryable);
    const absl::Status status = FailureStatus(outcome);
    EXPECT_EQ(status.code(), c.code);
    EXPECT_EQ(ErrorReason(status), c.reason);
    EXPECT_EQ(ErrorMetadata(status)["http_status"], std::to_string(c.http_status));
    EXPECT_NE(status.message().find(std::to_string(c.http_status)), absl::string_view::npos)
        << status.message();
  }
}

TEST(IsRetryableTest, TransportFailuresAndBadAnswersAreRetriedSuccessIsNot) {
  struct Case {
    const char* name;
    AttemptOutcome outcome;
    bool retryable;
    absl::string_view reason;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {"success", AttemptOutcome::Success(), false, "", absl::StatusCode::kOk},
      {"connection", AttemptOutcome::ConnectionError(), true, reason::kLlmUnavailable,
       absl::StatusCode::kUnavailable},
      {"timeout", AttemptOutcome::Timeout(), true, reason::kLlmUnavailable,
       absl::StatusCode::kUnavailable},
      {"bad answer", AttemptOutcome::BadAnswer(), true, reason::kLlmBadAnswer,
       absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(IsRetryable(c.outcome), c.retryable);
    const absl::Status status = FailureStatus(c.outcome);
    EXPECT_EQ(status.code(), c.code);
    EXPECT_EQ(ErrorReason(status), c.reason);
  }
}

TEST(IsRetryableTest, XShouldRetryOverridesTheStatusRuleBothWays) {
  struct Case {
    int http_status;
    const char* header;
    bool retryable;
  };
  const Case cases[] = {
      {400, "true", true},   {422, "true", true},   {503, "false", false},
      {429, "false", false}, {400, " TRUE ", true}, {500, "False", false},
      {400, "yes", false},   {503, "maybe", true},  {503, "", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << c.http_status << " x-should-retry=" << c.header);
    EXPECT_EQ(IsRetryable(AttemptOutcome::Http(c.http_status, {{"x-should-retry", c.header}})),
              c.retryable);
  }
}

TEST(IsRetryableTest, InsufficientQuotaIsFinalEvenWithXShouldRetry) {
  const AttemptOutcome plain = AttemptOutcome::Http(429, {}, "insufficient_quota");
  const AttemptOutcome insisting =
      AttemptOutcome::Http(429, {{"x-should-retry", "true"}}, "insufficient_quota");
  EXPECT_FALSE(IsRetryable(plain));
  EXPECT_FALSE(IsRetryable(insisting));
  const absl::Status status = FailureStatus(plain);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(status), reason::kLlmQuotaExhausted);
  EXPECT_EQ(ErrorMetadata(status)["llm_error_code"], "insufficient_quota");

  // Another code on a 429 is an ordinary rate limit.
  const AttemptOutcome limited = AttemptOutcome::Http(429, {}, "rate_limit_exceeded");
  EXPECT_TRUE(IsRetryable(limited));
  EXPECT_EQ(ErrorReason(FailureStatus(limited)), reason::kLlmRateLimited);
}

TEST(FailureStatusTest, NeverCopiesTheProviderText) {
  AttemptOutcome outcome = AttemptOutcome::Http(401, {}, "invalid_api_key");
  outcome.detail = "Incorrect API key provided: sk-abc123";
  const absl::Status status = FailureStatus(outcome);
  EXPECT_EQ(status.message().find("sk-abc123"), absl::string_view::npos) << status.message();
  EXPECT_EQ(ErrorReason(status), reason::kLlmRejected);
}

// Found by fuzzing (llm_http_response_fuzzer): the provider's error code is cut to 64 bytes in
// the status; cut inside a multi-byte character, it made the ErrorInfo invalid UTF-8, which
// protobuf refuses to read back, so the failure lost its reason (clients got none). The cut
// now ends before the character.
TEST(FailureStatusTest, ALongErrorCodeIsCutBetweenCharacters) {
  const std::string code = std::string(62, 'a') + "\xF0\x9F\x98\x80" + "tail";
  const absl::Status status = FailureStatus(AttemptOutcome::Http(429, {}, code));
  EXPECT_EQ(ErrorReason(status), reason::kLlmRateLimited);
  EXPECT_EQ(ErrorMetadata(status)["llm_error_code"], std::string(62, 'a'));
}

TEST(ServerRequestedDelayTest, ParsesRetryAfterMsThenRetryAfter) {
  struct Case {
    const char* name;
    HttpHeaders headers;
    std::optional<absl::Duration> delay;
  };
  const Case cases[] = {
      {"none", {}, std::nullopt},
      {"ms", {{"retry-after-ms", "1500"}}, absl::Milliseconds(1500)},
      {"fractional ms", {{"retry-after-ms", "2.5"}}, absl::Microseconds(2500)},
      {"ms beats seconds",
       {{"retry-after-ms", "200"}, {"retry-after", "30"}},
       absl::Milliseconds(200)},
      {"garbage ms falls back",
       {{"retry-after-ms", "soon"}, {"retry-after", "3"}},
       absl::Seconds(3)},
      {"seconds", {{"retry-after", "2"}}, absl::Seconds(2)},
      {"fractional seconds", {{"retry-after", "1.5"}}, absl::Milliseconds(1500)},
      {"whitespace", {{"retry-after", " 7 "}}, absl::Seconds(7)},
      {"zero", {{"retry-after", "0"}}, absl::ZeroDuration()},
      {"over a minute", {{"retry-after", "120"}}, absl::Seconds(120)},
      {"http date", {{"retry-after", "Fri, 01 Jan 2027 00:00:30 GMT"}}, absl::Seconds(30)},
      {"http date far", {{"retry-after", "Fri, 01 Jan 2027 00:02:00 GMT"}}, absl::Seconds(120)},
      {"http date in the past",
       {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}},
       absl::ZeroDuration()},
      {"garbage", {{"retry-after", "later"}}, std::nullopt},
      {"negative", {{"retry-after", "-5"}}, std::nullopt},
      {"negative ms", {{"retry-after-ms", "-5"}}, std::nullopt},
      {"nan", {{"retry-after", "nan"}}, std::nullopt},
      {"infinite", {{"retry-after-ms", "inf"}}, std::nullopt},
      {"empty", {{"retry-after", ""}}, std::nullopt},
      {"date without zone", {{"retry-after", "Fri, 01 Jan 2027 00:00:30"}}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ServerRequestedDelay(c.headers, kNow), c.delay);
  }
}

TEST(BackoffTest, DoublesFromHalfASecondUpToEightSecondsTimesTheJitter) {
  const double full[] = {0.5, 1, 2, 4, 8, 8, 8};
  for (int n = 0; n <= 6; ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(Backoff(n, 0.0), absl::Seconds(full[n]));          // factor 1
    EXPECT_EQ(Backoff(n, 1.0), absl::Seconds(full[n] * 0.75));   // factor 0.75
    EXPECT_EQ(Backoff(n, 0.5), absl::Seconds(full[n] * 0.875));  // in between
  }
  EXPECT_EQ(Backoff(40, 0.0), absl::Seconds(8));
  EXPECT_EQ(Backoff(std::numeric_limits<int>::max(), 0.0), absl::Seconds(8));
  EXPECT_EQ(Backoff(-1, 0.0), absl::Milliseconds(500));
  // Out-of-range randomness is clamped.
  EXPECT_EQ(Backoff(0, -3.0), absl::Milliseconds(500));
  EXPECT_EQ(Backoff(0, 7.0), absl::Milliseconds(375));
  EXPECT_EQ(Backoff(0, std::nan("")), absl::Milliseconds(500));
}

TEST(BackoffTest, FollowsTheOptions) {
  RetryOptions options;
  options.initial_backoff = absl::Seconds(1);
  options.max_backoff = absl::Seconds(3);
  EXPECT_EQ(Backoff(0, 0.0, options), absl::Seconds(1));
  EXPECT_EQ(Backoff(1, 0.0, options), absl::Seconds(2));
  EXPECT_EQ(Backoff(2, 0.0, options), absl::Seconds(3));
}

struct DecideCase {
  const char* name;
  AttemptOutcome outcome;
  int attempt;
  bool retry;
  absl::Duration delay;
  absl::string_view reason;
};

TEST(DecideRetryTest, CombinesRetryabilityAttemptsAndDelays) {
  const DecideCase cases[] = {
      {"success", AttemptOutcome::Success(), 1, false, absl::ZeroDuration(), ""},
      {"503 first attempt", AttemptOutcome::Http(503), 1, true, absl::Milliseconds(500),
       reason::kLlmUnavailable},
      {"503 second attempt", AttemptOutcome::Http(503), 2, true, absl::Seconds(1),
       reason::kLlmUnavailable},
      {"503 attempt 3 of 3", AttemptOutcome::Http(503), 3, false, absl::ZeroDuration(),
       reason::kLlmUnavailable},
      {"beyond the cap", AttemptOutcome::Http(503), 7, false, absl::ZeroDuration(),
       reason::kLlmUnavailable},
      {"400", AttemptOutcome::Http(400), 1, false, absl::ZeroDuration(), reason::kLlmRejected},
      {"418", AttemptOutcome::Http(418), 1, false, absl::ZeroDuration(), reason::kLlmRejected},
      {"400 told to retry", AttemptOutcome::Http(400, {{"x-should-retry", "true"}}), 1, true,
       absl::Milliseconds(500), reason::kLlmRejected},
      {"503 told not to", AttemptOutcome::Http(503, {{"x-should-retry", "false"}}), 1, false,
       absl::ZeroDuration(), reason::kLlmUnavailable},
      {"timeout", AttemptOutcome::Timeout(), 2, true, absl::Seconds(1), reason::kLlmUnavailable},
      {"connection", AttemptOutcome::ConnectionError(), 1, true, absl::Milliseconds(500),
       reason::kLlmUnavailable},
      {"bad answer", AttemptOutcome::BadAnswer(), 1, true, absl::Milliseconds(500),
       reason::kLlmBadAnswer},
      {"insufficient quota",
       AttemptOutcome::Http(429, {{"retry-after", "1"}}, "insufficient_quota"), 1, false,
       absl::ZeroDuration(), reason::kLlmQuotaExhausted},
      {"429 retry-after-ms beats retry-after",
       AttemptOutcome::Http(429, {{"retry-after-ms", "250"}, {"retry-after", "20"}}), 1, true,
       absl::Milliseconds(250), reason::kLlmRateLimited},
      {"429 retry-after seconds", AttemptOutcome::Http(429, {{"retry-after", "20"}}), 1, true,
       absl::Seconds(20), reason::kLlmRateLimited},
      {"429 retry-after fractional", AttemptOutcome::Http(429, {{"retry-after", "0.25"}}), 1, true,
       absl::Milliseconds(250), reason::kLlmRateLimited},
      {"429 retry-after date",
       AttemptOutcome::Http(429, {{"retry-after", "Fri, 01 Jan 2027 00:00:45 GMT"}}), 1, true,
       absl::Seconds(45), reason::kLlmRateLimited},
      {"429 retry-after date in the past",
       AttemptOutcome::Http(429, {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}}), 1, true,
       absl::ZeroDuration(), reason::kLlmRateLimited},
      {"429 retry-after exactly 60 s", AttemptOutcome::Http(429, {{"retry-after", "60"}}), 1, true,
       absl::Seconds(60), reason::kLlmRateLimited},
      {"429 retry-after over 60 s", AttemptOutcome::Http(429, {{"retry-after", "61"}}), 1, false,
       absl::ZeroDuration(), reason::kLlmRateLimited},
      {"429 retry-after-ms over 60 s", AttemptOutcome::Http(429, {{"retry-after-ms", "60001"}}), 1,
       false, absl::ZeroDuration(), reason::kLlmRateLimited},
      {"429 retry-after garbage", AttemptOutcome::Http(429, {{"retry-after", "whenever"}}), 2, true,
       absl::Seconds(1), reason::kLlmRateLimited},
      {"503 retry-after", AttemptOutcome::Http(503, {{"retry-after", "5"}}), 1, true,
       absl::Seconds(5), reason::kLlmUnavailable},
      {"429 retry-after on the last attempt", AttemptOutcome::Http(429, {{"retry-after", "5"}}), 3,
       false, absl::ZeroDuration(), reason::kLlmRateLimited},
  };
  const RetryOptions options;  // 3 attempts
  for (const DecideCase& c : cases) {
    SCOPED_TRACE(c.name);
    const RetryDecision d = DecideRetry(c.outcome, c.attempt, options, kNow, [] { return 0.0; });
    EXPECT_EQ(d.retry, c.retry);
    EXPECT_EQ(d.delay, c.delay);
    EXPECT_EQ(ErrorReason(d.failure), c.reason);
    EXPECT_EQ(d.failure.ok(), c.outcome.kind == Kind::kSuccess);
  }
}

TEST(DecideRetryTest, UsesTheRandomFactorForBackoffOnly) {
  int calls = 0;
  auto three_quarters = [&calls] {
    ++calls;
    return 1.0;  // the lowest factor, 0.75
  };
  RetryDecision d = DecideRetry(AttemptOutcome::Http(502), 2, RetryOptions(), kNow, three_quarters);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, absl::Milliseconds(750));
  EXPECT_EQ(calls, 1);

  d = DecideRetry(AttemptOutcome::Http(429, {{"retry-after-ms", "100"}}), 1, RetryOptions(), kNow,
                  NoRandom);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.delay, absl::Milliseconds(100));
}

TEST(DecideRetryTest, ARateLimitWithADelayPausesTheEndpointEvenWhenNotRetried) {
  RetryDecision d = DecideRetry(AttemptOutcome::Http(429, {{"retry-after", "90"}}), 1,
                                RetryOptions(), kNow, NoRandom);
  EXPECT_FALSE(d.retry);
  EXPECT_EQ(d.server_delay, absl::Seconds(90));
  EXPECT_EQ(d.pause_endpoint_until, kNow + absl::Seconds(90));
  EXPECT_EQ(ErrorReason(d.failure), reason::kLlmRateLimited);
  EXPECT_EQ(RetryInfoDelay(d.failure), absl::Seconds(90));

  d = DecideRetry(AttemptOutcome::Http(429, {{"retry-after", "2"}}), 1, RetryOptions(), kNow,
                  NoRandom);
  EXPECT_TRUE(d.retry);
  EXPECT_EQ(d.pause_endpoint_until, kNow + absl::Seconds(2));

  // No delay named, or not a 429: no pause.
  d = DecideRetry(AttemptOutcome::Http(429), 1, RetryOptions(), kNow, [] { return 0.0; });
  EXPECT_EQ(d.pause_endpoint_until, std::nullopt);
  EXPECT_EQ(RetryInfoDelay(d.failure), std::nullopt);
  d = DecideRetry(AttemptOutcome::Http(503, {{"retry-after", "2"}}), 1, RetryOptions(), kNow,
                  NoRandom);
  EXPECT_EQ(d.pause_endpoint_until, std::nullopt);
}

TEST(DecideRetryTest, HonoursMaxAttempts) {
  struct Case {
    int max_attempts;
    int attempt;
    bool retry;
  };
  const Case cases[] = {{1, 1, false}, {0, 1, false}, {-4, 1, false}, {2, 1, true},
                        {2, 2, false}, {5, 4, true},  {5, 5, false}};
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "attempt " << c.attempt << " of " << c.max_attempts);
    RetryOptions options;
    options.max_attempts = c.max_attempts;
    EXPECT_EQ(
        DecideRetry(AttemptOutcome::Timeout(), c.attempt, options, kNow, [] { return 0.0; }).retry,
        c.retry);
  }
}

TEST(DecideRetryTest, BackoffGrowsWithTheAttempt) {
  RetryOptions options;
  options.max_attempts = 10;
  const absl::Duration expected[] = {absl::Milliseconds(500), absl::Seconds(1), absl::Seconds(2),
                                     absl::Seconds(4),        absl::Seconds(8), absl::Seconds(8)};
  for (int attempt = 1; attempt <= 6; ++attempt) {
    SCOPED_TRACE(attempt);
    EXPECT_EQ(
        DecideRetry(AttemptOutcome::Http(500), attempt, options, kNow, [] { return 0.0; }).delay,
        expected[attempt - 1]);
  }
}

}  // namespace
}  // namespace citecheck

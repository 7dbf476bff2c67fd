#include "server/llm/retry_policy.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/common/errors.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

constexpr absl::string_view kInsufficientQuota = "insufficient_quota";
constexpr absl::string_view kHttpDateFormat = "%a, %d %b %Y %H:%M:%S GMT";
constexpr size_t kMaxErrorCodeInStatus = 64;

std::optional<absl::string_view> Header(const HttpHeaders& headers, absl::string_view name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return absl::StripAsciiWhitespace(it->second);
}

// A finite, non-negative decimal number.
std::optional<double> ParseNonNegative(absl::string_view text) {
  double value;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

bool IsQuotaExhausted(const AttemptOutcome& outcome) {
  return outcome.kind == AttemptOutcome::Kind::kHttpStatus && outcome.http_status == 429 &&
         outcome.error_code == kInsufficientQuota;
}

bool StatusIsRetryable(int status) {
  return status == 408 || status == 409 || status == 429 || status >= 500;
}

}  // namespace

bool IsRetryable(const AttemptOutcome& outcome) {
  switch (outcome.kind) {
    case AttemptOutcome::Kind::kSuccess:
      return false;
    case AttemptOutcome::Kind::kConnectionError:
    case AttemptOutcome::Kind::kTimeout:
    case AttemptOutcome::Kind::kBadAnswer:
      return true;
    case AttemptOutcome::Kind::kHttpStatus:
      break;
  }
  if (IsQuotaExhausted(outcome)) return false;
  if (std::optional<absl::string_view> should = Header(outcome.headers, "x-should-retry")) {
    if (absl::EqualsIgnoreCase(*should, "true")) return true;
    if (absl::EqualsIgnoreCase(*should, "false")) return false;
  }
  return StatusIsRetryable(outcome.http_status);
}

std::optional<absl::Duration> ServerRequestedDelay(const HttpHeaders& headers, absl::Time now) {
  if (std::optional<absl::string_view> ms = Header(headers, "retry-after-ms")) {
    if (std::optional<double> value = ParseNonNegative(*ms)) return absl::Milliseconds(*value);
  }
  std::optional<absl::string_view> after = Header(headers, "retry-after");
  if (!after) return std::nullopt;
  if (std::optional<double> value = ParseNonNegative(*after)) return absl::Seconds(*value);
  absl::Time when;
  std::string error;
  if (!absl::ParseTime(kHttpDateFormat, *after, absl::UTCTimeZone(), &when, &error)) {
    return std::nullopt;
  }
  return std::max(when - now, absl::ZeroDuration());
}

absl::Duration Backoff(int retry_index, double uniform01, const RetryOptions& options) {
  // Doubling past 2^30 cannot stay under any sane cap; stop there to avoid overflow.
  const int n = std::clamp(retry_index, 0, 30);
  const absl::Duration base =
      std::min(options.initial_backoff * (int64_t{1} << n), options.max_backoff);
  if (!(uniform01 >= 0)) uniform01 = 0;  // also catches NaN
  uniform01 = std::min(uniform01, 1.0);
  return base * (1 - 0.25 * uniform01);
}

absl::Status FailureStatus(const AttemptOutcome& outcome) {
  absl::Status status;
  switch (outcome.kind) {
    case AttemptOutcome::Kind::kSuccess:
      return absl::OkStatus();
    case AttemptOutcome::Kind::kConnectionError:
      return MakeError(absl::StatusCode::kUnavailable, reason::kLlmUnavailable,
                       "could not connect to the LLM service");
    case AttemptOutcome::Kind::kTimeout:
      return MakeError(absl::StatusCode::kUnavailable, reason::kLlmUnavailable,
                       "the LLM service did not answer in time");
    case AttemptOutcome::Kind::kBadAnswer:
      status = MakeError(absl::StatusCode::kInternal, reason::kLlmBadAnswer,
                         "the LLM service's answer could not be understood");
      break;
    case AttemptOutcome::Kind::kHttpStatus: {
      const int code = outcome.http_status;
      if (IsQuotaExhausted(outcome)) {
        status = MakeError(absl::StatusCode::kResourceExhausted, reason::kLlmQuotaExhausted,
                           "the LLM service's quota is exhausted");
      } else if (code == 429) {
        status = MakeError(absl::StatusCode::kResourceExhausted, reason::kLlmRateLimited,
                           "the LLM service is rate-limiting requests (HTTP 429)");
      } else if (code >= 400 && code < 500 && code != 408 && code != 409) {
        status = MakeError(absl::StatusCode::kFailedPrecondition, reason::kLlmRejected,
                           absl::StrCat("the LLM service rejected the request (HTTP ", code, ")"));
      } else {
        status = MakeError(absl::StatusCode::kUnavailable, reason::kLlmUnavailable,
                           absl::StrCat("the LLM service is unavailable (HTTP ", code, ")"));
      }
      break;
    }
  }
  if (outcome.http_status != 0) {
    AddErrorMetadata(status, "http_status", absl::StrCat(outcome.http_status));
  }
  if (!outcome.error_code.empty()) {
    AddErrorMetadata(status, "llm_error_code",
                     Utf8Prefix(outcome.error_code, kMaxErrorCodeInStatus));
  }
  return status;
}

RetryDecision DecideRetry(const AttemptOutcome& outcome, int attempt, const RetryOptions& options,
                          absl::Time now, absl::FunctionRef<double()> uniform01) {
  RetryDecision decision;
  decision.failure = FailureStatus(outcome);
  if (outcome.kind == AttemptOutcome::Kind::kSuccess) return decision;

  decision.server_delay = ServerRequestedDelay(outcome.headers, now);
  if (decision.server_delay) {
    if (*decision.server_delay < absl::InfiniteDuration()) {
      AddRetryInfo(decision.failure, *decision.server_delay);
    }
    if (outcome.kind == AttemptOutcome::Kind::kHttpStatus && outcome.http_status == 429) {
      decision.pause_endpoint_until = now + *decision.server_delay;
    }
  }

  if (!IsRetryable(outcome) || attempt >= std::max(options.max_attempts, 1)) return decision;
  if (decision.server_delay) {
    if (*decision.server_delay > options.max_server_delay) return decision;
    decision.retry = true;
    decision.delay = *decision.server_delay;
    return decision;
  }
  decision.retry = true;
  decision.delay = Backoff(attempt - 1, uniform01(), options);
  return decision;
}

}  // namespace citecheck

#ifndef CITECHECK_SERVER_LLM_RETRY_POLICY_H_
#define CITECHECK_SERVER_LLM_RETRY_POLICY_H_

// When to retry an LLM request, how long to wait first, and how a citation fails when it is not
// retried. These are the retry rules of the official OpenAI client as our design states them:
//
// - At most `max_attempts` attempts per citation, the first included.
// - Retryable: HTTP 408, 409, 429, >= 500, connection errors, timeouts and unparsable answers.
//   Never other statuses (400, 401, 403, 404, 422, 418, ...). An `x-should-retry: true|false`
//   header overrides the status rule both ways. A 429 with error code `insufficient_quota` is
//   final, whatever the headers say.
// - The wait before retry n (n = 0 for the first retry) is min(0.5 s * 2^n, 8 s) times a random
//   factor in [0.75, 1], unless the server asked for a delay (`retry-after-ms`, else
//   `retry-after`) of at most 60 s, which replaces it. A longer requested delay means: do not
//   retry.
//
// Everything here is a pure function: "now" and randomness are passed in. Thread-safe.
//
// Typical use by the HTTP client, per attempt:
//
//   RetryDecision d = DecideRetry(outcome, attempt, options, clock->Now(), uniform01);
//   if (d.pause_endpoint_until) pause.PauseUntil(*d.pause_endpoint_until);
//   if (outcome is a success) { budget.OnSuccess(); done; }
//   if (IsRetryable(outcome)) budget.OnFailure();
//   if (!d.retry || !budget.AllowRetry()) fail the citation with d.failure;
//   else wait d.delay (and pause.WaitDuration(...)) and try again.

#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/llm/attempt_outcome.h"

namespace citecheck {

struct RetryOptions {
  // Attempts per citation, the first included; values below 1 count as 1.
  int max_attempts = 3;
  // Backoff before retry n: min(initial_backoff * 2^n, max_backoff) * [0.75, 1].
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(8);
  // A server-requested delay longer than this ends the retries.
  absl::Duration max_server_delay = absl::Seconds(60);
};

struct RetryDecision {
  // Whether to make another attempt (before consulting the RetryBudget).
  bool retry = false;
  // How long to wait before that attempt; zero when `retry` is false.
  absl::Duration delay = absl::ZeroDuration();
  // OK for a success. Otherwise the ItemFailure status of this outcome (see FailureStatus),
  // set even when `retry` is true so that a caller whose budget refuses the retry can use it.
  // When the server asked for a delay, the status carries it as RetryInfo.
  absl::Status failure;
  // The delay the server asked for (retry-after-ms / retry-after), if any was parsable; may
  // exceed max_server_delay.
  std::optional<absl::Duration> server_delay;
  // Set after a 429 with a server delay: until then the whole server must send that endpoint
  // nothing (EndpointPause::PauseUntil).
  std::optional<absl::Time> pause_endpoint_until;
};

// Whether `outcome` may be retried, ignoring attempt counts, delays and budgets.
// Success: no. Connection error, timeout, bad answer: yes. HTTP status: a 429 with error code
// "insufficient_quota" never; else `x-should-retry` ("true"/"false", case-insensitive; other
// values are ignored) if present; else 408, 409, 429 and >= 500 only.
bool IsRetryable(const AttemptOutcome& outcome);

// The delay the server asked for, relative to `now`: `retry-after-ms` (milliseconds, may be
// fractional) if present and parsable, else `retry-after` (seconds, may be fractional, or an
// RFC 1123 HTTP date such as "Wed, 21 Oct 2026 07:28:00 GMT"; the weekday is not checked). A
// date in the past gives zero. nullopt when neither header is present or parsable; negative or
// non-finite numbers count as unparsable. The result is not capped (see
// RetryOptions::max_server_delay).
std::optional<absl::Duration> ServerRequestedDelay(const HttpHeaders& headers, absl::Time now);

// The exponential backoff before retry `retry_index` (0 = the first retry; negative counts as
// 0): min(initial * 2^n, max) * (1 - 0.25 * uniform01). `uniform01` is clamped to [0, 1], so 0
// gives the full delay and 1 gives 75% of it.
absl::Duration Backoff(int retry_index, double uniform01,
                       const RetryOptions& options = RetryOptions());

// The ItemFailure status for a failed `outcome` (OK for a success), made with MakeError:
//   429 insufficient_quota        -> RESOURCE_EXHAUSTED  LLM_QUOTA_EXHAUSTED
//   429                           -> RESOURCE_EXHAUSTED  LLM_RATE_LIMITED
//   408, 409, >= 500, other non-4xx statuses, connection error, timeout
//                                 -> UNAVAILABLE         LLM_UNAVAILABLE
//   other 4xx (400, 401, 403, 404, 422, ...)
//                                 -> FAILED_PRECONDITION LLM_REJECTED
//   unparsable answer             -> INTERNAL            LLM_BAD_ANSWER
// The ErrorInfo metadata holds "http_status" and, when known, "llm_error_code". The message
// never includes the provider's text (AttemptOutcome::detail).
absl::Status FailureStatus(const AttemptOutcome& outcome);

// The whole decision after attempt number `attempt` (1-based: attempts made so far, this one
// included) ended with `outcome`. `uniform01` returns uniform values in [0, 1); it is called at
// most once, and only when the backoff is needed.
RetryDecision DecideRetry(const AttemptOutcome& outcome, int attempt, const RetryOptions& options,
                          absl::Time now, absl::FunctionRef<double()> uniform01);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_RETRY_POLICY_H_

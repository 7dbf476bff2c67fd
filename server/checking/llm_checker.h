#ifndef CITECHECK_SERVER_CHECKING_LLM_CHECKER_H_
#define CITECHECK_SERVER_CHECKING_LLM_CHECKER_H_

// The Checker that asks an OpenAI-compatible LLM (through an LlmClient) to check citations and
// to match in-text citations (MatchInline, below), with the official OpenAI client's retry rules
// (server/llm/retry_policy.h).
//
// One Check() call:
//   1. Sends the chunk as one request: system SystemPrompt(style), user
//      NumberedCitations(citations); the answer is read with ParseLlmAnswer.
//   2. Before every attempt it waits for the endpoint's pause (after a 429 that named a delay,
//      server-wide) and its rate limiter, in small steps, giving up early on a cancel or when
//      the wait would outlast the job's deadline. Each attempt's timeout is
//      min(attempt_timeout, time left before the deadline).
//   3. A failed attempt (an HTTP error, a transport error, a timeout, or a 2xx without a single
//      parsable block, which counts as kBadAnswer) goes through DecideRetry and the endpoint's
//      RetryBudget, in the order retry_policy.h gives: the pause is set first, OnSuccess after
//      a usable answer, OnFailure only for retryable failures, and no retry unless the decision
//      says so AND the budget allows it. The decision's delay is waited (interruptibly).
//   4. Citations missing from an otherwise usable answer are asked again ON THEIR OWN (a request
//      holding only that citation, numbered 1), right away and without consulting the budget
//      (the endpoint answered). Every citation gets at most RetryOptions::max_attempts attempts
//      on an endpoint, counting the requests it was part of.
//   5. Citations whose attempts on the primary ended with a retryable failure (attempts used
//      up, budget refused, or a server delay beyond the limit) go to the fallback endpoint, if
//      any, as one request with attempts of their own. Citations that still fail get
//      FailureStatus of their last outcome (LLM_UNAVAILABLE, LLM_RATE_LIMITED,
//      LLM_QUOTA_EXHAUSTED, LLM_REJECTED, LLM_BAD_ANSWER), or JOB_DEADLINE_EXCEEDED when the
//      deadline ended their attempts (then no fallback either).
//
// A request for the fallback model goes to the fallback endpoint only (no further fallback).
// When request.cancelled is set, no new attempt starts; unfinished citations get a CANCELLED
// status (the job manager discards them).
//
// Logging: failures at debug/warn level with endpoint, model, status and counts; never a
// citation's text or the provider's key.
//
// Threads: a check is a chain of steps, each started by the completion of the one before (an
// attempt's response, a wait's end). With clients that have an event loop and no `sleep`
// (Asynchronous()), attempts complete on the clients' loop threads and waits on the checker's
// timer thread, so checks take no thread while they wait; Check() and MatchInline() run the
// same chain and block their caller until it ends.
//
// Thread-safe if the clients, budgets, pauses, limiters, clock, `uniform01` and `sleep` are
// (the defaults are). Every pointer in the options must outlive the checker, and no check may
// be running when it is destroyed.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "server/checking/checker.h"
#include "server/common/clock.h"
#include "server/common/service_metrics.h"
#include "server/common/timer_thread.h"
#include "server/llm/endpoint_pause.h"
#include "server/llm/llm_client.h"
#include "server/llm/rate_limiter.h"
#include "server/llm/retry_budget.h"
#include "server/llm/retry_policy.h"

namespace citecheck {

// One LLM endpoint and model, with the server-wide state kept for that endpoint.
struct LlmEndpoint {
  LlmClient* client = nullptr;  // required
  std::string model;            // required, e.g. "gpt-4o-mini"
  // Shared by every request to the endpoint; null = no retry throttling.
  RetryBudget* budget = nullptr;
  // Shared by every request to the endpoint; null = 429 delays do not pause other requests.
  EndpointPause* pause = nullptr;
  // Client-side RPM/TPM limits; null = none.
  RateLimiter* rate_limiter = nullptr;
  // For logs only (e.g. "api.openai.com"); never a URL with credentials.
  std::string label = "llm";
  // Where attempts are counted (citecheck_llm_*{endpoint}); null = not counted.
  const LlmEndpointMetrics* metrics = nullptr;
};

struct LlmCheckerOptions {
  LlmEndpoint primary;
  std::optional<LlmEndpoint> fallback;
  RetryOptions retry;
  // The longest single attempt (also capped by the job's deadline).
  absl::Duration attempt_timeout = absl::Seconds(60);
  // The completion tokens a request is assumed to use per citation, for the rate limiter's
  // token estimate (prompt bytes / 4 + this * citations).
  int64_t completion_tokens_per_citation = 400;
  // The same for one in-text citation (MatchInline).
  int64_t completion_tokens_per_inline_citation = 80;
  // Null = RealClock::Get().
  Clock* clock = nullptr;
  // Uniform values in [0, 1) for the backoff jitter; empty = absl::BitGen per thread.
  std::function<double()> uniform01;
  // Blocks for the given duration; empty = absl::SleepFor. Waits are made of calls of at most
  // `sleep_step` each, with cancellation checked between them. A test sleeper may advance a
  // fake clock instead of sleeping: waits end when the clock OR the sum of requested sleeps
  // says so.
  std::function<void(absl::Duration)> sleep;
  absl::Duration sleep_step = absl::Milliseconds(50);
};

class LlmChecker final : public Checker {
 public:
  // REQUIRES: options.primary (and options.fallback, if set) have a client and a model.
  explicit LlmChecker(LlmCheckerOptions options);

  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;

  // True when every endpoint's client has an event loop and no `sleep` was given: then a
  // check's attempts run on the clients' event loops and its waits on the checker's timer
  // thread, and StartCheck()/StartMatchInline() return at once. Otherwise they complete on the
  // calling thread (a client without an event loop blocks in Start, a `sleep` blocks).
  bool Asynchronous() const override;
  void StartCheck(CheckRequest request, CheckDone done) override;
  void StartMatchInline(InlineCheckRequest request, MatchDone done) override;

  // The same machinery for a chunk of in-text citations: one request with InlineSystemPrompt and
  // InlineUserMessage (the whole reference list and the chunk), the answer read with
  // ParseInlineAnswer (an unusable answer — no JSON, no valid entry, a reference number out of
  // range — is a failed attempt, retried like a 5xx), ids missing from a usable answer asked
  // again on their own, the same attempts, budget, pauses, rate limits, fallback and failure
  // statuses as Check().
  std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) override;

  // The primary model.
  std::string ModelName() const override;

  // True for "", the primary model and the fallback model.
  bool SupportsModel(const std::string& model) const override;

 private:
  LlmCheckerOptions options_;
  // The waits (backoff, pauses, rate limits) of asynchronous checks. REQUIRES: no check is
  // running when the checker is destroyed.
  TimerThread timer_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_LLM_CHECKER_H_

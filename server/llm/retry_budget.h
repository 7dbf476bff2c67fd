#ifndef CITECHECK_SERVER_LLM_RETRY_BUDGET_H_
#define CITECHECK_SERVER_LLM_RETRY_BUDGET_H_

// Retry throttling as in gRPC (gRFC A6), shared by all requests to one LLM endpoint so that a
// struggling endpoint is not buried under retries.
//
// A token count starts at `max_tokens`. Every failed attempt that could have been retried
// (IsRetryable) costs one token; every successful attempt earns `ratio` tokens; the count stays
// within [0, max_tokens]. Retries are allowed only while the count is above max_tokens / 2.
// Failures that retrying cannot fix (e.g. HTTP 400) say nothing about the endpoint's health and,
// as in gRFC A6, should not be reported. Counts are kept in thousandths of a token (A6 allows
// three decimals in `ratio`), so the arithmetic is exact.
//
// Thread-safe.

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/common/metrics.h"

namespace citecheck {

class RetryBudget {
 public:
  // `max_tokens` <= 0 turns throttling off (AllowRetry() is always true). `ratio` is rounded to
  // three decimals; negative values count as 0.
  explicit RetryBudget(int max_tokens = 100, double ratio = 0.1);

  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // Reports a successful attempt: + ratio tokens.
  void OnSuccess();
  // Reports a failed, retryable attempt: - 1 token.
  void OnFailure();
  // Whether a retry may be sent now: tokens > max_tokens / 2.
  bool AllowRetry() const;
  // The current token count (for metrics and tests).
  double Tokens() const;
  // Keeps `gauge` equal to Tokens() from now on (e.g. citecheck_llm_retry_budget_tokens). The
  // gauge must outlive the budget.
  void ExportTo(Gauge* gauge);

 private:
  const int64_t max_milli_;  // 0 = throttling off
  const int64_t ratio_milli_;
  mutable absl::Mutex mu_;
  int64_t milli_tokens_ ABSL_GUARDED_BY(mu_);
  std::vector<Gauge*> gauges_ ABSL_GUARDED_BY(mu_);

  void Publish() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_RETRY_BUDGET_H_

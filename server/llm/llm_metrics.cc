#include "server/llm/llm_metrics.h"

#include "server/llm/retry_policy.h"

namespace citecheck {

LlmOutcome ClassifyLlmAttempt(const AttemptOutcome& outcome, bool usable, bool cancelled) {
  if (cancelled) return LlmOutcome::kCancelled;
  if (usable) return LlmOutcome::kOk;
  return IsRetryable(outcome) ? LlmOutcome::kRetryable : LlmOutcome::kFinal;
}

void RecordLlmAttempt(const LlmEndpointMetrics* metrics, const AttemptOutcome& outcome, bool usable,
                      bool cancelled, absl::Duration took) {
  if (metrics == nullptr) return;
  metrics->RecordAttempt(ClassifyLlmAttempt(outcome, usable, cancelled), took,
                         outcome.kind != AttemptOutcome::Kind::kConnectionError);
}

}  // namespace citecheck

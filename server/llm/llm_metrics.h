#ifndef CITECHECK_SERVER_LLM_LLM_METRICS_H_
#define CITECHECK_SERVER_LLM_LLM_METRICS_H_

// How one LLM attempt is counted in citecheck_llm_requests_total and
// citecheck_llm_request_duration_seconds (DESIGN §6).

#include "absl/time/time.h"
#include "server/common/service_metrics.h"
#include "server/llm/attempt_outcome.h"

namespace citecheck {

// cancelled (the job was cancelled while the attempt ran: its answer is discarded) before ok
// (`usable`: the answer was used) before retryable (IsRetryable) before final.
LlmOutcome ClassifyLlmAttempt(const AttemptOutcome& outcome, bool usable, bool cancelled);

// Counts the attempt in `metrics` (nothing when null); its duration `took` is observed unless it
// ended with a connection error (no answer and no timeout).
void RecordLlmAttempt(const LlmEndpointMetrics* metrics, const AttemptOutcome& outcome, bool usable,
                      bool cancelled, absl::Duration took);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_LLM_METRICS_H_

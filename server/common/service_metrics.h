#ifndef CITECHECK_SERVER_COMMON_SERVICE_METRICS_H_
#define CITECHECK_SERVER_COMMON_SERVICE_METRICS_H_

// The citecheck_* metric families of DESIGN §6 and the calls that record them, in one place so
// that names, label values and buckets are spelled once. The grpc_server_* families live with
// the interceptor that records them (server/api/metrics_interceptor.h), the process_* ones in
// server/common/process_metrics.h.
//
// Every child with a known label value is created up front, so each family is exposed with zero
// values before anything happens (also the families that do not apply to the running store).
// Recording is lock-free (see metrics.h): these methods are safe on any hot path.
//
// Thread-safe.

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/common/metrics.h"

namespace citecheck {

// citecheck_citations_total{outcome}.
enum class CitationOutcome {
  kChecked,   // a result was recorded (and charged)
  kFailed,    // an ItemFailure was recorded
  kLocked,    // locked at submit (free limit or credits exhausted)
  kReleased,  // reserved but not charged: failed or cancelled
};

// citecheck_ledger_entries_total{kind}.
enum class LedgerKind { kReserve, kCharge, kRelease, kGrant };

// The LLM endpoints of DESIGN §3 (label endpoint="primary" / "fallback").
enum class LlmEndpointRole { kPrimary, kFallback };

// What one LLM attempt came to (citecheck_llm_requests_total{outcome}).
enum class LlmOutcome {
  kOk,         // a usable answer
  kRetryable,  // a failure the retry rules would retry (429, 5xx, timeout, bad answer, ...)
  kFinal,      // a failure never retried (400, 401, insufficient_quota, x-should-retry: false)
  kCancelled,  // the answer came after its job was cancelled and was discarded
};

// The LLM families' children of one endpoint.
struct LlmEndpointMetrics {
  Counter* requests[4];  // by LlmOutcome
  Histogram* duration;   // attempts that got an answer or timed out
  Gauge* retry_budget_tokens;

  // Counts one attempt, and observes `took` unless it ended without an answer other than a
  // timeout (`observe_duration` false for connection errors).
  void RecordAttempt(LlmOutcome outcome, absl::Duration took, bool observe_duration) const;
};

class ServiceMetrics {
 public:
  // Registers the families in `registry` (which must outlive this).
  explicit ServiceMetrics(MetricsRegistry& registry);
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // The process-wide instance, on MetricsRegistry::Global().
  static ServiceMetrics& Get();

  // ---- jobs (recorded by the job pipeline) ----
  // A job was created by SubmitBatch (not for an idempotent replay of the same request).
  void JobSubmitted(v1::Style style);
  // A job reached SUCCEEDED, FAILED or CANCELLED (other states are ignored). Once per job.
  void JobFinished(v1::JobState state);
  // `n` citations reached `outcome`.
  void Citations(CitationOutcome outcome, int64_t n = 1);
  // Chunks running on this replica's executor now.
  Gauge& executor_inflight_chunks() { return *executor_inflight_chunks_; }
  // Unfinished chunks in the queue (the whole queue: with --store=mysql, all replicas').
  Gauge& queue_chunks() { return *queue_chunks_; }

  // ---- watch streams ----
  // Open WatchJob streams on this replica.
  Gauge& watch_streams() { return *watch_streams_; }
  // Events written to watch streams (heartbeats included).
  void WatchEventsSent(int64_t n = 1) { watch_events_sent_->Increment(static_cast<uint64_t>(n)); }

  // ---- accounting ----
  // `n` ledger rows of `kind` were committed.
  void LedgerEntries(LedgerKind kind, int64_t n = 1);

  // ---- database ----
  // One run of a transaction body that failed with a retryable error and is run again.
  void DbTransactionRetried() { db_transactions_[1]->Increment(); }
  // A transaction call ended after `took`, its retries included, with `status`: OK counts as
  // commit; UNAVAILABLE, ABORTED, INTERNAL, UNKNOWN, DEADLINE_EXCEEDED and DATA_LOSS (the
  // database failed) as error; any other status (the body declined and rolled back, e.g. an
  // order id reused) as rollback.
  void DbTransactionDone(const absl::Status& status, absl::Duration took);

  // ---- LLM ----
  const LlmEndpointMetrics& llm(LlmEndpointRole role) const {
    return llm_[role == LlmEndpointRole::kPrimary ? 0 : 1];
  }

 private:
  Counter* jobs_submitted_[4];  // by Style (unspecified counts as apa7)
  Counter* jobs_finished_[3];   // succeeded, failed, cancelled
  Counter* citations_[4];       // by CitationOutcome
  Gauge* executor_inflight_chunks_;
  Gauge* queue_chunks_;
  Gauge* watch_streams_;
  Counter* watch_events_sent_;
  Counter* ledger_[4];           // by LedgerKind
  Counter* db_transactions_[4];  // commit, retry, error, rollback
  Histogram* db_transaction_seconds_;
  LlmEndpointMetrics llm_[2];
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_SERVICE_METRICS_H_

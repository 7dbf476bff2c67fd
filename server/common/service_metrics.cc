#include "server/common/service_metrics.h"

#include "server/common/process_metrics.h"

namespace citecheck {

void LlmEndpointMetrics::RecordAttempt(LlmOutcome outcome, absl::Duration took,
                                       bool observe_duration) const {
  requests[static_cast<int>(outcome)]->Increment();
  if (observe_duration) duration->ObserveDuration(took);
}

ServiceMetrics::ServiceMetrics(MetricsRegistry& registry) {
  CounterFamily& submitted =
      registry.AddCounter("citecheck_jobs_submitted_total",
                          "Jobs created by SubmitBatch, by citation style.", {"style"});
  jobs_submitted_[v1::STYLE_UNSPECIFIED] = &submitted.Labels({"apa7"});
  jobs_submitted_[v1::STYLE_APA7] = jobs_submitted_[v1::STYLE_UNSPECIFIED];
  jobs_submitted_[v1::STYLE_MLA9] = &submitted.Labels({"mla9"});
  jobs_submitted_[v1::STYLE_CHICAGO17] = &submitted.Labels({"chicago17"});

  CounterFamily& finished = registry.AddCounter(
      "citecheck_jobs_finished_total", "Jobs that reached a terminal state, by state.", {"state"});
  jobs_finished_[0] = &finished.Labels({"succeeded"});
  jobs_finished_[1] = &finished.Labels({"failed"});
  jobs_finished_[2] = &finished.Labels({"cancelled"});

  CounterFamily& citations = registry.AddCounter(
      "citecheck_citations_total",
      "Citations by outcome: checked (result recorded and charged), failed (item failure), "
      "locked (over the limit at submit), released (reserved but not charged).",
      {"outcome"});
  citations_[static_cast<int>(CitationOutcome::kChecked)] = &citations.Labels({"checked"});
  citations_[static_cast<int>(CitationOutcome::kFailed)] = &citations.Labels({"failed"});
  citations_[static_cast<int>(CitationOutcome::kLocked)] = &citations.Labels({"locked"});
  citations_[static_cast<int>(CitationOutcome::kReleased)] = &citations.Labels({"released"});

  executor_inflight_chunks_ = &registry
                                   .AddGauge("citecheck_executor_inflight_chunks",
                                             "Chunks being checked on this replica's executor now.")
                                   .Get();
  queue_chunks_ =
      &registry.AddGauge("citecheck_queue_chunks", "Unfinished chunks waiting in the job queue.")
           .Get();
  watch_streams_ =
      &registry.AddGauge("citecheck_watch_streams", "Open WatchJob streams on this replica.").Get();
  watch_events_sent_ = &registry
                            .AddCounter("citecheck_watch_events_sent_total",
                                        "Events written to WatchJob streams, heartbeats included.")
                            .Get();

  CounterFamily& ledger = registry.AddCounter("citecheck_ledger_entries_total",
                                              "Ledger rows committed, by kind.", {"kind"});
  ledger_[static_cast<int>(LedgerKind::kReserve)] = &ledger.Labels({"reserve"});
  ledger_[static_cast<int>(LedgerKind::kCharge)] = &ledger.Labels({"charge"});
  ledger_[static_cast<int>(LedgerKind::kRelease)] = &ledger.Labels({"release"});
  ledger_[static_cast<int>(LedgerKind::kGrant)] = &ledger.Labels({"grant"});

  CounterFamily& transactions = registry.AddCounter(
      "citecheck_db_transactions_total",
      "Database transaction calls by outcome: commit, error (the database failed), rollback (the "
      "transaction declined, e.g. a reused order id); retry counts reruns after a deadlock, "
      "lock wait timeout or lost connection.",
      {"outcome"});
  db_transactions_[0] = &transactions.Labels({"commit"});
  db_transactions_[1] = &transactions.Labels({"retry"});
  db_transactions_[2] = &transactions.Labels({"error"});
  db_transactions_[3] = &transactions.Labels({"rollback"});
  db_transaction_seconds_ =
      &registry
           .AddHistogram("citecheck_db_transaction_seconds",
                         "Time of a database transaction call, its retries included.", {},
                         buckets::DbSeconds())
           .Get();

  CounterFamily& llm_requests = registry.AddCounter(
      "citecheck_llm_requests_total",
      "LLM attempts by endpoint and outcome: ok, retryable (failed, may be retried), final "
      "(failed, never retried), cancelled (answer discarded: its job was cancelled).",
      {"endpoint", "outcome"});
  HistogramFamily& llm_duration = registry.AddHistogram(
      "citecheck_llm_request_duration_seconds",
      "Time of LLM attempts that got an answer or timed out.", {"endpoint"}, buckets::LlmSeconds());
  GaugeFamily& llm_budget = registry.AddGauge(
      "citecheck_llm_retry_budget_tokens",
      "Retry throttling tokens left per endpoint (gRFC A6); retries stop at half the maximum.",
      {"endpoint"});
  const char* const endpoints[] = {"primary", "fallback"};
  const char* const outcomes[] = {"ok", "retryable", "final", "cancelled"};
  for (int e = 0; e < 2; ++e) {
    for (int o = 0; o < 4; ++o) {
      llm_[e].requests[o] = &llm_requests.Labels({endpoints[e], outcomes[o]});
    }
    llm_[e].duration = &llm_duration.Labels({endpoints[e]});
    llm_[e].retry_budget_tokens = &llm_budget.Labels({endpoints[e]});
  }
}

ServiceMetrics& ServiceMetrics::Get() {
  static ServiceMetrics* const metrics = [] {
    MetricsRegistry& registry = MetricsRegistry::Global();
    auto* created = new ServiceMetrics(registry);
    AddProcessMetrics(registry);
    return created;
  }();
  return *metrics;
}

void ServiceMetrics::JobSubmitted(v1::Style style) {
  const int index = style >= 0 && style <= v1::STYLE_CHICAGO17 ? style : v1::STYLE_APA7;
  jobs_submitted_[index]->Increment();
}

void ServiceMetrics::JobFinished(v1::JobState state) {
  switch (state) {
    case v1::JOB_STATE_SUCCEEDED:
      jobs_finished_[0]->Increment();
      break;
    case v1::JOB_STATE_FAILED:
      jobs_finished_[1]->Increment();
      break;
    case v1::JOB_STATE_CANCELLED:
      jobs_finished_[2]->Increment();
      break;
    default:
      break;
  }
}

void ServiceMetrics::Citations(CitationOutcome outcome, int64_t n) {
  citations_[static_cast<int>(outcome)]->Increment(static_cast<uint64_t>(n));
}

void ServiceMetrics::LedgerEntries(LedgerKind kind, int64_t n) {
  ledger_[static_cast<int>(kind)]->Increment(static_cast<uint64_t>(n));
}

void ServiceMetrics::DbTransactionDone(const absl::Status& status, absl::Duration took) {
  int outcome = 3;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      outcome = 0;
      break;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kDataLoss:
      outcome = 2;
      break;
    default:
      break;
  }
  db_transactions_[outcome]->Increment();
  db_transaction_seconds_->ObserveDuration(took);
}

}  // namespace citecheck

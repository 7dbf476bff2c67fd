#include "server/jobs/job_metrics.h"

#include "server/common/service_metrics.h"
#include "server/jobs/job_protos.h"

namespace citecheck {

void CountCommittedEvents(
    const std::vector<std::pair<std::string, std::vector<v1::JobEvent>>>& outbox) {
  ServiceMetrics& metrics = ServiceMetrics::Get();
  for (const auto& [job_id, events] : outbox) {
    for (const v1::JobEvent& event : events) {
      if (event.has_result()) {
        metrics.Citations(CitationOutcome::kChecked);
        metrics.LedgerEntries(LedgerKind::kCharge);
      } else if (event.has_failure()) {
        metrics.Citations(CitationOutcome::kFailed);
        metrics.Citations(CitationOutcome::kReleased);
        metrics.LedgerEntries(LedgerKind::kRelease);
      } else if (event.has_job_update() && IsTerminalState(event.job_update().state())) {
        metrics.JobFinished(event.job_update().state());
      }
    }
  }
}

void CountSubmittedJob(const v1::Job& job) {
  ServiceMetrics& metrics = ServiceMetrics::Get();
  metrics.JobSubmitted(job.style());
  if (job.locked() > 0) metrics.Citations(CitationOutcome::kLocked, job.locked());
  metrics.LedgerEntries(LedgerKind::kReserve);
}

void CountCancelReleases(int released) {
  if (released <= 0) return;
  ServiceMetrics& metrics = ServiceMetrics::Get();
  metrics.Citations(CitationOutcome::kReleased, released);
  metrics.LedgerEntries(LedgerKind::kRelease, released);
}

}  // namespace citecheck

#include "server/jobs/job_rules.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/errors.h"
#include "server/common/proto_time.h"

namespace citecheck {

int ChunkCount(int items, int per_chunk) {
  per_chunk = std::max(1, per_chunk);
  return items <= 0 ? 0 : (items + per_chunk - 1) / per_chunk;
}

v1::Job NewJobSnapshot(const NewJob& spec, const Reservation& reservation, absl::Time create_time) {
  const int total = static_cast<int>(spec.citations.size());
  const int accepted = std::clamp(reservation.accepted, 0, total);
  v1::Job job;
  job.set_job_id(spec.job_id);
  job.set_state(accepted == 0 ? v1::JOB_STATE_SUCCEEDED : v1::JOB_STATE_PENDING);
  job.set_style(spec.style);
  job.set_total(total);
  job.set_accepted(accepted);
  job.set_locked(total - accepted);
  job.set_partial(total > accepted);
  job.set_limit_type(reservation.limit_type);
  *job.mutable_user_status() = reservation.user_status;
  SetTimestamp(create_time, job.mutable_create_time());
  if (accepted == 0) SetTimestamp(create_time, job.mutable_finish_time());
  job.set_model(spec.model);
  job.set_request_id(spec.request_id);
  job.set_inline_total(static_cast<int32_t>(spec.inline_citations.size()));
  job.set_inline_skipped(spec.document && job.partial());
  return job;
}

v1::JobEvent JobUpdateEvent(const v1::Job& job, int64_t sequence, absl::Time now) {
  v1::JobEvent event;
  event.set_job_id(job.job_id());
  event.set_sequence(sequence);
  SetTimestamp(now, event.mutable_time());
  v1::Job& update = *event.mutable_job_update();
  update = job;
  update.clear_results();
  update.clear_failures();
  update.clear_inline_citations();
  update.set_last_sequence(sequence);
  return event;
}

v1::ItemFailure ItemFailureOf(int index, const absl::Status& status) {
  v1::ItemFailure failure;
  failure.set_index(index);
  *failure.mutable_status() = ToRpcStatus(status);
  return failure;
}

v1::JobEvent ItemEvent(const std::string& job_id, const absl::StatusOr<v1::CitationResult>& outcome,
                       int index, int64_t sequence, absl::Time now) {
  v1::JobEvent event;
  event.set_job_id(job_id);
  event.set_sequence(sequence);
  SetTimestamp(now, event.mutable_time());
  if (outcome.ok()) {
    *event.mutable_result() = *outcome;
    event.mutable_result()->set_index(index);
  } else {
    *event.mutable_failure() = ItemFailureOf(index, outcome.status());
  }
  return event;
}

int InlineToCheck(const v1::Job& job) { return job.inline_skipped() ? 0 : job.inline_total(); }

bool AllItemsDone(const v1::Job& job, int inline_done) {
  return job.succeeded() + job.failed() >= job.accepted() && inline_done >= InlineToCheck(job);
}

v1::JobEvent InlineEvent(const std::string& job_id, const v1::InlineCitation& citation,
                         int64_t sequence, absl::Time now) {
  v1::JobEvent event;
  event.set_job_id(job_id);
  event.set_sequence(sequence);
  SetTimestamp(now, event.mutable_time());
  *event.mutable_inline_citation() = citation;
  return event;
}

v1::InlineCitation UncheckedInline(int index, const std::string& text, int offset,
                                   const absl::Status& status) {
  v1::InlineCitation citation;
  citation.set_index(index);
  citation.set_text(text);
  citation.set_offset(offset);
  *citation.mutable_error() = ToRpcStatus(status);
  return citation;
}

void SetTerminal(v1::Job& job, v1::JobState state, absl::Time now) {
  job.set_state(state);
  SetTimestamp(now, job.mutable_finish_time());
}

void FinishByOutcome(v1::Job& job, const google::rpc::Status& last_failure, absl::Time now) {
  if (job.succeeded() == 0 && job.accepted() > 0) {
    // Nothing could be checked: the job failed, for the reason its items failed.
    *job.mutable_error() = last_failure;
    SetTerminal(job, v1::JOB_STATE_FAILED, now);
  } else {
    SetTerminal(job, v1::JOB_STATE_SUCCEEDED, now);
  }
}

std::string FormatJobId(uint64_t high, uint64_t low) {
  return absl::StrFormat("job_%016x%016x", high, low);
}

bool IsWellFormedJobId(absl::string_view id) {
  constexpr absl::string_view kPrefix = "job_";
  if (id.size() != kPrefix.size() + 32 || !absl::StartsWith(id, kPrefix)) return false;
  for (char c : id.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

absl::Status JobNotFoundError() {
  return MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound, "job not found");
}

absl::Status QueueFullError(int queued, int wanted, int max_queued) {
  absl::Status full =
      MakeError(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                absl::StrCat("the work queue is full (", queued, " chunks queued, this job needs ",
                             wanted, ", the limit is ", max_queued, "); retry later"));
  AddRetryInfo(full, absl::Seconds(5));
  return full;
}

absl::Status RequestIdReusedError() {
  return FieldError(reason::kRequestIdReused, "request_id",
                    "this request_id was already used with a different input");
}

absl::Status DeadlineExceededFailure() {
  return MakeError(absl::StatusCode::kDeadlineExceeded, reason::kJobDeadlineExceeded,
                   "the job's deadline passed before this citation could be checked");
}

absl::Status WorkerLostFailure() {
  return MakeError(absl::StatusCode::kAborted, reason::kWorkerLost,
                   "the servers checking this citation stopped repeatedly while doing so");
}

}  // namespace citecheck

#ifndef CITECHECK_SERVER_JOBS_JOB_RULES_H_
#define CITECHECK_SERVER_JOBS_JOB_RULES_H_

// The job rules both JobStores apply (DESIGN §1 "Jobs and events"), as pure functions, so that
// the memory and the MySQL store cannot drift apart: the initial snapshot, job_update events,
// when and how a job ends, and the errors the job API returns.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/account_store.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// The job as Submit creates it at `create_time` (PENDING, or SUCCEEDED at once when nothing
// was accepted), without last_sequence. accepted = min(reservation.accepted, citations).
v1::Job NewJobSnapshot(const NewJob& job, const Reservation& reservation, absl::Time create_time);

// A job_update event for `job` (results, failures and inline citations cleared), stamped
// `now`, whose last_sequence is `sequence` (the event's own sequence number, set too).
v1::JobEvent JobUpdateEvent(const v1::Job& job, int64_t sequence, absl::Time now);

// An inline_citation event of `citation` at `sequence`.
v1::JobEvent InlineEvent(const std::string& job_id, const v1::InlineCitation& citation,
                         int64_t sequence, absl::Time now);
// The verdict recorded for in-text citation `query` whose check ended with `status` (an error:
// deadline, worker lost, ...): match UNSPECIFIED with `error` set.
v1::InlineCitation UncheckedInline(int index, const std::string& text, int offset,
                                   const absl::Status& status);

// A result or failure event of item `index` at `sequence`.
v1::JobEvent ItemEvent(const std::string& job_id, const absl::StatusOr<v1::CitationResult>& outcome,
                       int index, int64_t sequence, absl::Time now);
// The failure recorded for an item whose outcome is `status` (an error).
v1::ItemFailure ItemFailureOf(int index, const absl::Status& status);

// The in-text citations of `job` that are checked: all of a document's, unless it is partial.
int InlineToCheck(const v1::Job& job);
// True when every accepted citation of `job` has a result or a failure and `inline_done`
// in-text citations have their verdict out of InlineToCheck(job).
bool AllItemsDone(const v1::Job& job, int inline_done);
// Ends `job` (REQUIRES: AllItemsDone) at `now`: SUCCEEDED when anything was checked, else
// FAILED with `last_failure` (the status of the item that failed last) as its error.
void FinishByOutcome(v1::Job& job, const google::rpc::Status& last_failure, absl::Time now);
// Moves `job` to terminal `state` at `now`.
void SetTerminal(v1::Job& job, v1::JobState state, absl::Time now);

// Job ids: "job_" and 32 lowercase hex digits, the 128 bits `high` then `low`. Nothing else is
// ever issued, so the API answers any other id JOB_NOT_FOUND without asking a store.
std::string FormatJobId(uint64_t high, uint64_t low);
bool IsWellFormedJobId(absl::string_view id);

// Errors of the job API.
absl::Status JobNotFoundError();
absl::Status QueueFullError(int queued, int wanted, int max_queued);
absl::Status RequestIdReusedError();
// Item failures the job layer itself decides.
absl::Status DeadlineExceededFailure();
absl::Status WorkerLostFailure();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_RULES_H_

#ifndef CITECHECK_SERVER_JOBS_JOB_STORE_H_
#define CITECHECK_SERVER_JOBS_JOB_STORE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/account_store.h"
#include "server/jobs/event_log.h"

namespace citecheck {

// A job as the JobManager asks a store to create it: the batch, who owns it and what was
// reserved for it. Citations [0, reservation.accepted) are checked; the rest are locked.
struct NewJob {
  std::string job_id;
  std::string owner_key;          // Caller::OwnerKey(); only this owner sees the job
  std::string request_id;         // "" = none
  std::string input_fingerprint;  // identifies the input for request_id reuse checks
  v1::Style style = v1::STYLE_APA7;
  std::string model;              // the model that checks the job
  std::vector<std::string> citations;
  Reservation reservation;
  int citations_per_chunk = 5;
  absl::Time create_time;
  absl::Time deadline;            // create_time + job deadline
};

// A unit of work: consecutive accepted citations of one job, checked in one Checker call.
struct Chunk {
  std::string job_id;
  int64_t chunk_id = 0;
  std::vector<int> indices;             // batch indices, ascending
  std::vector<std::string> citations;   // citations[i] is the citation at indices[i]
  v1::Style style = v1::STYLE_APA7;
  std::string model;
  absl::Time deadline;
  // Set when the job is cancelled; the checker may stop early. Never null.
  std::shared_ptr<const std::atomic<bool>> cancelled;
};

// The outcome of one citation of a chunk.
struct ItemOutcome {
  int index = 0;
  absl::StatusOr<v1::CitationResult> result;  // error = an item failure with its reason
};

// What a store did when it cancelled a job.
struct CancelOutcome {
  v1::Job job;                           // the job after the call (unchanged if finished)
  std::vector<Settlement> releases;      // reserved citations that will never be checked
  int dropped_chunks = 0;                // queued chunks removed from the queue
};

// Where a request id already points.
struct RequestIdEntry {
  std::string job_id;
  std::string input_fingerprint;
};

// Durable state of jobs: the job record, its items, the queue of unfinished chunks and the
// event log. Every method is atomic (one transaction in a database-backed store), so that a
// crash between two calls never leaves a job half-updated. Settlements of recorded or
// cancelled citations join that transaction through the AccountStore the store was built with.
//
// Visibility: methods taking `owner_key` answer NOT_FOUND (reason JOB_NOT_FOUND) for a job
// owned by someone else, exactly as for a job that does not exist.
//
// Thread-safe.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Creates the job, its items, its chunks (queued) and its first event (a job_update). A job
  // with nothing accepted is created SUCCEEDED, its only event the terminal job_update.
  // ALREADY_EXISTS when (owner_key, request_id) already names a job (nothing is created).
  // Returns the job as SubmitBatch reports it.
  virtual absl::StatusOr<v1::Job> Create(const NewJob& job) = 0;

  // Claims up to `max_chunks` queued chunks, jobs taking turns (round-robin by job, so a small
  // job is never stuck behind a large one). A job's first claimed chunk moves it to RUNNING
  // (with a job_update event).
  virtual std::vector<Chunk> Claim(int max_chunks, absl::Time now) = 0;

  // Records the outcomes of a claimed chunk: each still-pending item becomes SUCCEEDED or
  // FAILED with a result or failure event; when every accepted item is done the job ends
  // (SUCCEEDED, or FAILED when nothing could be checked) with its terminal job_update.
  // Outcomes of items that are no longer pending (the job was cancelled) are discarded.
  // Each item that changes is settled in the same transaction (AccountStore::Settle: charge
  // for a result, release for a failure), so no observer sees a result whose charge is
  // missing. Returns those settlements.
  virtual absl::StatusOr<std::vector<Settlement>> Record(const std::string& job_id,
                                                         int64_t chunk_id,
                                                         std::vector<ItemOutcome> outcomes,
                                                         absl::Time now) = 0;

  // Cancels the job: queued chunks are dropped, pending items released (settled in the same
  // transaction), the job ends CANCELLED with its terminal job_update. A finished job is
  // returned unchanged.
  virtual absl::StatusOr<CancelOutcome> Cancel(const std::string& job_id,
                                               const std::string& owner_key, absl::Time now) = 0;

  // A snapshot of the job, including results and failures so far.
  virtual absl::StatusOr<v1::Job> Get(const std::string& job_id,
                                      const std::string& owner_key) = 0;

  // The job's event log, for reading and following.
  virtual absl::StatusOr<std::shared_ptr<EventLog>> Events(const std::string& job_id,
                                                           const std::string& owner_key) = 0;

  // The job a request id of `owner_key` names, if any.
  virtual std::optional<RequestIdEntry> FindRequest(const std::string& owner_key,
                                                    const std::string& request_id) = 0;

  // Forgets finished jobs (and their request ids) that finished before `cutoff`. Returns how
  // many were removed.
  virtual int Sweep(absl::Time cutoff) = 0;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_STORE_H_

#ifndef CITECHECK_SERVER_JOBS_JOB_MANAGER_H_
#define CITECHECK_SERVER_JOBS_JOB_MANAGER_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/account_store.h"
#include "server/accounts/identity.h"
#include "server/checking/checker.h"
#include "server/common/clock.h"
#include "server/jobs/chunk_executor.h"
#include "server/jobs/job_store.h"

namespace citecheck {

struct JobManagerOptions {
  int citations_per_call = 5;          // citations per Checker call (one chunk)
  int max_inflight = 16;               // chunks checked at once, whole server
  int max_queued_chunks = 10000;       // chunks waiting; more → RESOURCE_EXHAUSTED QUEUE_FULL
  absl::Duration job_deadline = absl::Minutes(30);   // what is unchecked then fails
  absl::Duration job_retention = absl::Hours(168);   // finished jobs are forgotten after this
  absl::Duration sweep_interval = absl::Minutes(1);  // how often retention is applied
  // A chunk whose results the store refuses (e.g. the database is restarting) is recorded
  // again after this backoff, doubling up to record_retry_max, until it is stored.
  absl::Duration record_retry_initial = absl::Milliseconds(100);
  absl::Duration record_retry_max = absl::Seconds(5);
};

// A validated batch, ready to become a job.
struct BatchSpec {
  v1::Style style = v1::STYLE_APA7;  // never unspecified
  std::string model;                 // "" = the checker's primary model
  std::string request_id;            // "" = none
  std::string input_fingerprint;     // identifies the input for request_id reuse
  std::vector<std::string> citations;
};

// Runs jobs: reserves quota, cuts batches into chunks, runs them on the bounded executor (fair
// across jobs), records results with their charge and failures with their release, and answers
// the job API. The data flow is one way: Submit → AccountStore::Reserve → JobStore::Create →
// executor → Checker → JobStore::Record (+ events, + AccountStore::Settle in one step).
//
// Thread-safe. Never calls the checker, the stores or the clock while holding a lock of its own.
class JobManager {
 public:
  // The stores, the checker and the clock must outlive the manager. `jobs` settles recorded
  // citations with `accounts` (see JobStore).
  JobManager(JobManagerOptions options, JobStore* jobs, AccountStore* accounts, Checker* checker,
             Clock* clock);
  ~JobManager();  // Shutdown()
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Starts the workers and the retention sweeper. REQUIRES: called once.
  void Start();
  // Stops claiming chunks, waits for running chunks, stops the sweeper. Idempotent.
  void Shutdown();

  // Creates a job for `batch`, owned by `caller`, after reserving its quota. Returns the job as
  // SubmitBatch reports it. The same request_id with the same input returns the existing job
  // (nothing reserved again); with another input → INVALID_ARGUMENT REQUEST_ID_REUSED.
  // RESOURCE_EXHAUSTED QUEUE_FULL when the executor's queue has no room (nothing reserved);
  // RESOURCE_EXHAUSTED DAILY_LIMIT_REACHED from the account store.
  absl::StatusOr<v1::Job> Submit(const Caller& caller, BatchSpec batch);

  // A snapshot with the results so far. NOT_FOUND unless `caller` submitted the job.
  absl::StatusOr<v1::Job> Get(const Caller& caller, const std::string& job_id);

  // Cancels the job (see JobStore::Cancel) and releases its unchecked citations.
  absl::StatusOr<v1::Job> Cancel(const Caller& caller, const std::string& job_id);

  // The job's event log, for WatchJob. NOT_FOUND unless `caller` submitted the job.
  absl::StatusOr<std::shared_ptr<EventLog>> Events(const Caller& caller,
                                                   const std::string& job_id);

  const ChunkExecutor& executor() const { return executor_; }

 private:
  std::optional<Chunk> ClaimOne();
  void RunChunk(Chunk chunk);
  // Records `outcomes` of `chunk`, retrying with backoff while the store fails, until stored,
  // the job is gone, or the manager stops.
  void RecordUntilStored(const Chunk& chunk, std::vector<ItemOutcome> outcomes);
  void Settle(const std::vector<Settlement>& settlements);
  absl::StatusOr<v1::Job> ExistingRequest(const Caller& caller, const BatchSpec& batch);
  std::string NewJobId();

  const JobManagerOptions options_;
  JobStore* const jobs_;
  AccountStore* const accounts_;
  Checker* const checker_;
  Clock* const clock_;
  ChunkExecutor executor_;
  absl::Notification stopping_;  // notified first thing in Shutdown()
  std::thread sweeper_;
  bool started_ = false;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_MANAGER_H_

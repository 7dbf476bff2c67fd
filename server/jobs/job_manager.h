#ifndef CITECHECK_SERVER_JOBS_JOB_MANAGER_H_
#define CITECHECK_SERVER_JOBS_JOB_MANAGER_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/identity.h"
#include "server/checking/checker.h"
#include "server/common/clock.h"
#include "server/jobs/cancel_registry.h"
#include "server/jobs/job_store.h"

namespace citecheck {

struct JobManagerOptions {
  int citations_per_call = 5;  // citations per Checker call (one chunk)
  int inline_per_call = 10;    // in-text citations per MatchInline call
  int max_inflight = 16;       // chunks being checked by this replica at once: its LLM
                               // concurrency
  absl::Duration job_deadline = absl::Minutes(30);  // what is unchecked then fails
  absl::Duration job_retention = absl::Hours(168);  // finished jobs are removed after this
  std::string replica_name = "citecheck";           // this replica's row in the store
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration replica_dead_after = absl::Seconds(30);  // silent this long = dead
  absl::Duration shutdown_grace = absl::Seconds(10);      // Shutdown: running chunks get this long
  // How often the replica looks for jobs cancelled or expired elsewhere whose chunks it runs.
  absl::Duration cancel_poll = absl::Milliseconds(200);
  // An idle claimer looks for work (e.g. submitted on another replica) at this interval at
  // most, starting from claim_poll_min after it last found some.
  absl::Duration claim_poll_min = absl::Milliseconds(10);
  absl::Duration claim_poll_max = absl::Seconds(1);
  // Deadlines and retention are applied every maintenance_interval, in batches of this size.
  absl::Duration maintenance_interval = absl::Seconds(1);
  int maintenance_batch = 20;
  // Recording retries back off from record_retry_initial, doubling up to record_retry_max.
  absl::Duration record_retry_initial = absl::Milliseconds(100);
  absl::Duration record_retry_max = absl::Seconds(5);
  // Chunks recorded in one transaction at most (chunks finishing together are coalesced). As
  // many checked chunks may wait for the recorder besides the max_inflight being checked, so
  // that recordings grow with the load instead of being bounded by the claim slots.
  int max_record_batch = 64;
};

// A validated batch, ready to become a job.
struct BatchSpec {
  v1::Style style = v1::STYLE_APA7;  // never unspecified
  std::string model;                 // "" = the checker's primary model
  std::string request_id;            // "" = none
  std::string input_fingerprint;     // identifies the input for request_id reuse
  std::vector<std::string> citations;
  // Document input: the in-text citations of the body (see NewJob).
  bool document = false;
  std::vector<NewJob::InlineItem> inline_citations;
};

// Runs this replica's share of the jobs (DESIGN §4a): registers the replica and keeps its lease
// alive; claims chunks from the store only as fast as it has free slots (jobs take turns); checks
// them on a bounded set of workers, or, with an asynchronous checker, starts at most as many
// checks on the checker's own event loop; records their results in batches, each batch one store
// transaction that also charges them; stops running checks within `cancel_poll` of a cancel or
// expiry made anywhere; applies deadlines, retention and the sweeping of dead replicas; and
// answers the job API. Data flows one way: Submit -> JobStore::Submit (job + reservation) ->
// claim -> Checker -> JobStore::Record (results + charges + events) -> event hub.
//
// Thread-safe. No lock of the manager is held across a call to the store, the checker or the
// clock.
class JobManager {
 public:
  // The store, the checker and the clock must outlive the manager.
  JobManager(JobManagerOptions options, JobStore* store, Checker* checker, Clock* clock);
  ~JobManager();  // Shutdown()
  JobManager(const JobManager&) = delete;
  JobManager& operator=(const JobManager&) = delete;

  // Starts the replica: registers it (taking back what a previous process under its name
  // left), then a thread releases orphan reservations once and keeps the lease while the
  // claimer and the workers run. The registration's error (e.g. FAILED_PRECONDITION: a live
  // process holds the replica name) stops everything and is returned. REQUIRES: called once.
  absl::Status Start();
  // True once registered, and while the store answered the last heartbeat.
  bool Ready() const;
  // Called (on the lease thread) whenever Ready() changes.
  void OnReadyChange(std::function<void(bool)> callback);

  // Drains the replica (SIGTERM): refuses new submits, stops claiming, lets running chunks
  // finish and records their results for up to `shutdown_grace`, then abandons the checks
  // still running and hands their chunks back to the queue, and removes the replica's row.
  // Idempotent; blocks until done.
  void Shutdown();

  // Creates a job for `batch`, owned by `caller`, reserving its quota (see JobStore::Submit).
  // UNAVAILABLE SERVER_SHUTTING_DOWN once Shutdown began (nothing reserved).
  absl::StatusOr<v1::Job> Submit(const Caller& caller, BatchSpec batch);
  // A snapshot with the results so far. NOT_FOUND unless `caller` submitted the job.
  absl::StatusOr<v1::Job> Get(const Caller& caller, const std::string& job_id);
  // Cancels the job (see JobStore::Cancel); its checks running here stop at once.
  absl::StatusOr<v1::Job> Cancel(const Caller& caller, const std::string& job_id);

  // A page of the caller's jobs (see JobStore::List).
  absl::StatusOr<JobPage> List(const Caller& caller, const JobListQuery& query);
  // The key of ListJobs page tokens (see JobStore::PageTokenKey).
  absl::StatusOr<std::string> PageTokenKey() { return store_->PageTokenKey(); }

  // Chunks claimed by this replica now (waiting, being checked or waiting to be recorded).
  int inflight() const;

 private:
  struct Finished {
    Chunk chunk;
    std::vector<ItemOutcome> items;
  };

  void LeaseLoop();
  void ClaimLoop();
  void WorkerLoop();
  void RecordLoop();
  void CancelWatchLoop();
  // Starts checking `chunk`; FinishChunk runs when the check ends: before this returns with a
  // synchronous checker (the caller is a worker thread), later on the checker's thread with an
  // asynchronous one (the caller is the claimer).
  void StartChunk(Chunk chunk) ABSL_LOCKS_EXCLUDED(mu_);
  // A chunk's check ended (with its outcomes; none when it was stopped before it started):
  // queues it for recording or handing back, or drops it, by why its check stopped.
  void FinishChunk(Chunk chunk, const std::shared_ptr<CancelRegistry::Entry>& entry,
                   std::vector<ItemOutcome> outcomes) ABSL_LOCKS_EXCLUDED(mu_);
  // The checker's requests for a chunk. (StartChunk sends none for a chunk already past its
  // deadline: every item fails with JOB_DEADLINE_EXCEEDED.)
  CheckRequest ReferenceRequest(const Chunk& chunk, const std::atomic<bool>* cancelled) const;
  InlineCheckRequest InlineRequest(const Chunk& chunk, const std::atomic<bool>* cancelled) const;
  // The model a chunk asks the checker for ("" = the checker's primary model).
  std::string RequestedModel(const Chunk& chunk) const;
  // `chunks` claimed chunks left this replica (recorded, handed back or dropped).
  void Done(int chunks);
  absl::Status Register();
  void Maintain(absl::Time now);
  void SetReady(bool ready);
  std::string NewJobId();

  const JobManagerOptions options_;
  JobStore* const store_;
  Checker* const checker_;
  Clock* const clock_;
  // The checker runs its checks on an event loop of its own (Checker::Asynchronous): the
  // claimer starts them and no worker threads run. Otherwise max_inflight workers each run one
  // check at a time.
  const bool asynchronous_;
  CancelRegistry registry_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // no new submits, no new claims
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // every thread exits
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  bool registered_ ABSL_GUARDED_BY(mu_) = false;
  int64_t incarnation_ ABSL_GUARDED_BY(mu_) = 0;
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;  // claimed and not yet done
  // Claimed and not yet checked (<= max_inflight); with an asynchronous checker, the checks
  // whose callbacks have not yet run.
  int checking_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t claim_wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<Chunk> to_check_ ABSL_GUARDED_BY(mu_);
  std::vector<Finished> to_record_ ABSL_GUARDED_BY(mu_);
  std::vector<Chunk> to_hand_back_ ABSL_GUARDED_BY(mu_);
  std::function<void(bool)> on_ready_change_ ABSL_GUARDED_BY(mu_);

  absl::Notification registration_done_;
  absl::Status registration_status_;  // written before registration_done_ is notified
  absl::Notification stop_lease_;
  std::thread lease_thread_;
  std::thread claim_thread_;
  std::thread record_thread_;
  std::thread cancel_watch_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_MANAGER_H_

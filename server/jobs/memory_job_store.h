#ifndef CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_
#define CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// A JobStore that keeps everything in process memory: jobs are lost when the process exits.
// Each method runs atomically under one mutex.
//
// Lock order: mu_, then the AccountStore's locks (settlements run under mu_ so that a change
// and its charge or release are seen together), then an EventLog's own lock (events are
// appended under mu_ so that their order matches the order of the changes; listeners run on
// this thread and never call back into the store).
//
// Thread-safe.
class MemoryJobStore final : public JobStore {
 public:
  // `accounts` settles recorded and cancelled citations; it must outlive the store.
  explicit MemoryJobStore(AccountStore* accounts) : accounts_(accounts) {}

  absl::StatusOr<v1::Job> Create(const NewJob& job) override;
  std::vector<Chunk> Claim(int max_chunks, absl::Time now) override;
  absl::StatusOr<std::vector<Settlement>> Record(const std::string& job_id, int64_t chunk_id,
                                                 std::vector<ItemOutcome> outcomes,
                                                 absl::Time now) override;
  absl::StatusOr<CancelOutcome> Cancel(const std::string& job_id, const std::string& owner_key,
                                       absl::Time now) override;
  absl::StatusOr<v1::Job> Get(const std::string& job_id, const std::string& owner_key) override;
  absl::StatusOr<std::shared_ptr<EventLog>> Events(const std::string& job_id,
                                                   const std::string& owner_key) override;
  std::optional<RequestIdEntry> FindRequest(const std::string& owner_key,
                                            const std::string& request_id) override;
  int Sweep(absl::Time cutoff) override;

 private:
  enum class ItemState { kPending, kSucceeded, kFailed, kCancelled };

  struct JobRecord {
    v1::Job job;  // counts, state and snapshot fields; results/failures live below
    std::string owner_key;
    std::string input_fingerprint;
    std::vector<ItemState> items;  // one per accepted citation
    std::map<int, v1::CitationResult> results;
    std::map<int, v1::ItemFailure> failures;
    std::deque<Chunk> queued;
    std::shared_ptr<EventLog> log;
    std::shared_ptr<std::atomic<bool>> cancelled;
    absl::Time finish_time = absl::InfiniteFuture();
  };

  // The record of `job_id` if `owner_key` owns it, else nullptr.
  JobRecord* FindOwned(const std::string& job_id, const std::string& owner_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A job_update event carrying the job's current snapshot.
  static v1::JobEvent JobUpdate(const JobRecord& record, absl::Time now);
  // The full snapshot: the job plus results and failures in index order.
  static v1::Job Snapshot(const JobRecord& record);
  // Moves the job to a terminal `state` and appends the terminal job_update.
  static void Finish(JobRecord& record, v1::JobState state, absl::Time now);

  AccountStore* const accounts_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<JobRecord>> jobs_ ABSL_GUARDED_BY(mu_);
  // Jobs with queued chunks, in the order they take turns.
  std::deque<std::string> ready_ ABSL_GUARDED_BY(mu_);
  // (owner_key, request_id) → job id.
  std::map<std::pair<std::string, std::string>, std::string> request_ids_ ABSL_GUARDED_BY(mu_);
  int64_t next_chunk_id_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_

#ifndef CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_
#define CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "server/accounts/memory_account_store.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// A JobStore in process memory (--store=memory, development and tests): the semantics of
// MysqlJobStore in one process, without durability — replicas, leases, tokens and deaths
// included, so that one conformance suite runs against both. Each method runs atomically
// under one mutex; quota moves through the MemoryAccountStore under that mutex, so that a
// change and its charge or release are seen together.
//
// Sweep removes a job's reservation and ledger entries with the job (MemoryAccountStore::Forget),
// so that neither store grows with the jobs served.
//
// Lock order: mu_, then the MemoryAccountStore's lock. Events are published to the sink after
// mu_ is released.
//
// Thread-safe.
class MemoryJobStore final : public JobStore {
 public:
  // `accounts` and `sink` must outlive the store.
  MemoryJobStore(JobStoreOptions options, MemoryAccountStore* accounts, EventSink* sink);

  absl::StatusOr<v1::Job> Submit(const NewJob& job) override;
  absl::StatusOr<std::vector<Chunk>> Claim(const std::string& owner, int max_chunks,
                                           absl::Time now) override;
  absl::StatusOr<RecordResult> Record(const std::string& owner, std::vector<ChunkOutcome> outcomes,
                                      absl::Time now) override;
  absl::Status HandBack(const std::string& owner, absl::Span<const Chunk> chunks) override;
  absl::StatusOr<v1::Job> Cancel(const std::string& job_id, const std::string& owner_key,
                                 absl::Time now) override;
  absl::StatusOr<v1::Job> Get(const std::string& job_id, const std::string& owner_key) override;
  absl::StatusOr<JobHead> Head(const std::string& job_id, const std::string& owner_key) override;
  absl::StatusOr<std::vector<v1::JobEvent>> ReadEvents(const std::string& job_id, int64_t after,
                                                       int limit) override;
  absl::StatusOr<std::vector<JobHead>> ReadHeads(absl::Span<const std::string> job_ids) override;
  absl::StatusOr<JobPage> List(const std::string& owner_key, const JobListQuery& query) override;
  absl::StatusOr<int> ExpireDeadlines(absl::Time now, int max_jobs) override;
  absl::StatusOr<int> Sweep(absl::Time cutoff, int max_jobs) override;
  absl::StatusOr<ReplicaRegistration> RegisterReplica(const std::string& name,
                                                      absl::Time now) override;
  absl::Status Heartbeat(const std::string& name, int64_t incarnation, absl::Time now) override;
  absl::StatusOr<int> SweepDeadReplicas(const std::string& self, absl::Time now,
                                        absl::Duration dead_after) override;
  absl::Status UnregisterReplica(const std::string& name, int64_t incarnation) override;
  absl::StatusOr<int> ReleaseOrphanReservations(absl::Time now) override;
  absl::StatusOr<int64_t> QueuedChunks() override;
  absl::StatusOr<std::string> PageTokenKey() override;

 private:
  enum class ItemState { kPending, kSucceeded, kFailed, kCancelled };

  struct Item {
    std::string input;
    ItemState state = ItemState::kPending;
    int offset = 0;  // in-text items: the body offset
  };

  struct JobRecord {
    v1::Job job;  // counts, state and snapshot fields; outcomes live below
    std::string owner_key;
    std::string input_fingerprint;
    absl::Time create_time;
    absl::Time deadline;
    absl::Time finish_time = absl::InfiniteFuture();
    std::vector<Item> items;  // one per accepted citation
    std::map<int, v1::CitationResult> results;
    std::map<int, v1::ItemFailure> failures;
    bool document = false;
    std::vector<Item> inline_items;  // one per in-text citation checked (none when skipped)
    std::map<int, v1::InlineCitation> inline_results;
    std::vector<v1::JobEvent> events;  // events[i].sequence() == i + 1
  };

  struct ChunkRecord {
    std::string job_id;
    ItemKind kind = ItemKind::kReference;
    int first_index = 0;
    int count = 0;
    int64_t turn = 0;
    std::string owner;  // "" while queued
    int64_t token = 0;
    int deaths = 0;
  };

  struct Process {
    int64_t incarnation = 0;
    absl::Time heartbeat;
  };

  // Events made under mu_, published after it is released.
  using Outbox = std::vector<std::pair<std::string, std::vector<v1::JobEvent>>>;

  void Publish(Outbox outbox);
  JobRecord* FindOwned(const std::string& job_id, const std::string& owner_key)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends the job's next event (sequence and job id set here) and returns a copy.
  static const v1::JobEvent& AddEvent(JobRecord& record, v1::JobEvent event);
  static v1::JobEvent& AddJobUpdate(JobRecord& record, absl::Time now);
  // The full snapshot: the job plus results and failures in index order.
  static v1::Job Snapshot(const JobRecord& record);
  // Records `outcome` of pending item `index` (REQUIRES: pending); returns its event.
  static v1::JobEvent RecordItem(JobRecord& record, int index,
                                 const absl::StatusOr<v1::CitationResult>& outcome, absl::Time now);
  // Records the verdict of pending in-text item `citation.index()`; returns its event.
  static v1::JobEvent RecordInline(JobRecord& record, v1::InlineCitation citation, absl::Time now);
  // Ends the job by its outcome (with its uncited references) when every item is done.
  static void FinishIfDone(JobRecord& record, const google::rpc::Status& last_failure,
                           absl::Time now, std::vector<v1::JobEvent>& events);
  // The pending items of [first, first + count) of `kind` fail with `status` (references are
  // released).
  void FailPending(JobRecord& record, ItemKind kind, int first, int count,
                   const absl::Status& status, absl::Time now, std::vector<v1::JobEvent>& events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Removes every chunk of `job_id` from the queue and the chunk table.
  void DropChunks(const std::string& job_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails every pending item of `record` with `status` (references released), then ends the
  // job by its outcome. Appends the events to `events`.
  void FailPendingAndFinish(JobRecord& record, const absl::Status& status, absl::Time now,
                            std::vector<v1::JobEvent>& events) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A chunk whose holder died: queued again, or failed with WORKER_LOST after kMaxChunkDeaths.
  void ChunkHolderDied(int64_t chunk_id, absl::Time now, Outbox& outbox)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Enqueue(int64_t chunk_id, const ChunkRecord& chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    queue_.emplace(chunk.turn, chunk_id);
  }

  const JobStoreOptions options_;
  MemoryAccountStore* const accounts_;
  EventSink* const sink_;
  const std::string page_token_key_;

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<JobRecord>> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, ChunkRecord> chunks_ ABSL_GUARDED_BY(mu_);        // unfinished chunks by id
  std::set<std::pair<int64_t, int64_t>> queue_ ABSL_GUARDED_BY(mu_);  // (turn, chunk id) queued
  std::map<std::pair<std::string, std::string>, std::string> request_ids_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Process> processes_ ABSL_GUARDED_BY(mu_);
  int64_t next_chunk_id_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t next_incarnation_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_MEMORY_JOB_STORE_H_

#ifndef CITECHECK_SERVER_JOBS_JOB_STORE_H_
#define CITECHECK_SERVER_JOBS_JOB_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/account_store.h"
#include "server/accounts/identity.h"

namespace citecheck {

// What a job's item is: a reference-list citation (checked and charged) or, for documents, an
// in-text citation (matched against the references, never charged).
enum class ItemKind { kReference = 0, kInline = 1 };

// The number of chunks `items` items make at `per_chunk` items per chunk. The one rule both
// stores use to cut jobs and count the queue.
int ChunkCount(int items, int per_chunk);

// What both stores are configured with.
struct JobStoreOptions {
  // Unfinished chunks in the whole queue (queued and claimed, every replica); a submit that
  // would exceed it gets RESOURCE_EXHAUSTED QUEUE_FULL.
  int max_queued_chunks = 100000;
};

// A job as JobStore::Submit creates it. The store reserves the caller's quota for it in the
// same step: citations [0, accepted) are checked, the rest locked.
struct NewJob {
  std::string job_id;
  Caller caller;                  // the owner (Caller::OwnerKey) and the quota to reserve
  std::string request_id;         // "" = none; else idempotent per (owner, request_id)
  std::string input_fingerprint;  // identifies the input for request_id reuse checks
  v1::Style style = v1::STYLE_APA7;
  std::string model;  // the model that checks the job
  std::vector<std::string> citations;
  int citations_per_chunk = 5;
  absl::Time create_time;
  absl::Time deadline;  // create_time + the job deadline

  // Document input: the body's in-text citations, in order of appearance (InlineCitation.index
  // is the position here). They are matched against `citations` (the reference list) in chunks
  // of inline_per_chunk when every reference was accepted; a partial job skips them
  // (inline_skipped). Never charged.
  bool document = false;
  struct InlineItem {
    std::string text;
    int offset = 0;  // UTF-8 byte offset in the body's plain text
  };
  std::vector<InlineItem> inline_citations;
  int inline_per_chunk = 10;
};

// A unit of work: consecutive items of one kind of one job, checked in one Checker call by the
// replica that claimed it (its `owner`). `token` fences the claim: results are recorded only
// while the chunk is still owned by the same replica under the same token.
struct Chunk {
  std::string job_id;
  int64_t chunk_id = 0;
  int64_t token = 0;
  ItemKind kind = ItemKind::kReference;
  std::vector<int> indices;            // item indices, ascending
  std::vector<std::string> citations;  // citations[i] is the input of item indices[i]
  // kInline chunks only: offsets[i] is the body offset of item indices[i], and `references`
  // the job's whole reference list.
  std::vector<int> offsets;
  std::vector<std::string> references;
  v1::Style style = v1::STYLE_APA7;
  std::string model;
  absl::Time deadline;
};

// The outcome of one item of a chunk.
struct ItemOutcome {
  ItemOutcome() = default;
  // A reference item's outcome.
  ItemOutcome(int index, absl::StatusOr<v1::CitationResult> result)
      : index(index), result(std::move(result)) {}

  int index = 0;
  // kReference items: the result, or an error (an item failure with its reason).
  absl::StatusOr<v1::CitationResult> result = absl::UnknownError("no result");
  // kInline items: the verdict, or `error` set when it could not be checked.
  std::optional<v1::InlineCitation> inline_citation;
};

// What a replica reports for one claimed chunk.
struct ChunkOutcome {
  std::string job_id;
  int64_t chunk_id = 0;
  int64_t token = 0;
  std::vector<ItemOutcome> items;
};

// What Record did with each chunk of a batch.
struct RecordResult {
  std::vector<int64_t> recorded;  // chunk ids whose items were recorded and settled
  // Chunk ids that were not (or no longer) this replica's under that token: the chunk was
  // recorded before (a replay), cancelled, expired, or taken over by another replica. Nothing
  // of them was recorded or charged.
  std::vector<int64_t> fenced;
};

// A job's head: what WatchJob needs to validate a request and to follow the job.
struct JobHead {
  std::string job_id;
  int64_t last_sequence = 0;
  bool terminal = false;
};

// One page of ListJobs, newest first. A position is (create_time, job_id), exclusive.
struct JobPosition {
  absl::Time create_time;
  std::string job_id;
};
struct JobListQuery {
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;  // unspecified = every state
  std::optional<JobPosition> after;                // start after this position
  int limit = 50;                                  // >= 1
};
struct JobPage {
  std::vector<v1::Job> jobs;        // snapshots without results and failures
  std::optional<JobPosition> next;  // the last job's position when more may follow
};

// What registering a replica did.
struct ReplicaRegistration {
  int64_t incarnation = 0;     // this registration's id (a replica's lease)
  int requeued_chunks = 0;     // chunks a previous process of this name held, queued again
  int worker_lost_chunks = 0;  // of those, chunks failed with WORKER_LOST
};

// What happens to committed events: the store hands them to a sink after each commit, in
// sequence order per job (a job's events are never published before the commit that made
// them). Implemented by the in-process event hub.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // `events` are consecutive events of `job_id`, ascending by sequence.
  virtual void Publish(const std::string& job_id, std::vector<v1::JobEvent> events) = 0;
};

// Durable state of jobs (DESIGN §4a): the job record, its items, the queue of unfinished
// chunks with their leases, the event log, and the replicas serving it. Every mutating method
// is ONE atomic step (one database transaction in MysqlJobStore) that settles quota in the same
// step (the account store joins it), and is a no-op when replayed: a crash or a retry between
// two calls never leaves a job half-updated or a citation charged twice. Events made by a step
// are published to the EventSink after the step committed, never under a lock of the store.
//
// Visibility: methods taking `owner_key` answer NOT_FOUND (reason JOB_NOT_FOUND) for a job
// owned by someone else, exactly as for a job that does not exist.
//
// Errors of a database-backed store beyond those documented: UNAVAILABLE (reason
// DATABASE_UNAVAILABLE, with RetryInfo) while the database is unreachable.
//
// Thread-safe.
class JobStore {
 public:
  virtual ~JobStore() = default;

  // Creates the job in one step with its quota reservation, items, chunks (queued) and first
  // event (a job_update). A job with nothing accepted is created SUCCEEDED, its only event the
  // terminal job_update. Returns the job as SubmitBatch reports it.
  //  - (owner, request_id) naming an existing job: that job, nothing reserved or created, when
  //    the input fingerprint matches; else INVALID_ARGUMENT REQUEST_ID_REUSED (field
  //    request_id).
  //  - RESOURCE_EXHAUSTED QUEUE_FULL (nothing reserved) when the job's chunks would take the
  //    queue (unfinished chunks of every replica) beyond `max_queued_chunks`.
  //  - the account store's errors (e.g. RESOURCE_EXHAUSTED DAILY_LIMIT_REACHED).
  virtual absl::StatusOr<v1::Job> Submit(const NewJob& job) = 0;

  // Claims up to `max_chunks` queued chunks for replica `owner`: jobs take turns (round-robin
  // by job, so a small job is never stuck behind a large one), each claim bumps the chunk's
  // token. A job's first claimed chunk moves it to RUNNING (with a job_update event).
  virtual absl::StatusOr<std::vector<Chunk>> Claim(const std::string& owner, int max_chunks,
                                                   absl::Time now) = 0;

  // Records the outcomes of chunks `owner` claimed, in one step: for each chunk still owned by
  // `owner` under its token, every pending item becomes SUCCEEDED or FAILED with a result or
  // failure event and is charged or released, the chunk leaves the queue, and a job whose
  // items are all done ends (SUCCEEDED, or FAILED when nothing could be checked) with its
  // terminal job_update. Other chunks are fenced: nothing of them changes.
  virtual absl::StatusOr<RecordResult> Record(const std::string& owner,
                                              std::vector<ChunkOutcome> outcomes,
                                              absl::Time now) = 0;

  // Gives chunks `owner` claimed back to the queue unchanged (shutdown: their checks were
  // abandoned). Chunks no longer owned under their token are ignored.
  virtual absl::Status HandBack(const std::string& owner, absl::Span<const Chunk> chunks) = 0;

  // Cancels the job: its chunks leave the queue (running ones are fenced out), pending items
  // are released, the job ends CANCELLED with its terminal job_update. Returns the job as it
  // ends (with its results); a finished job is returned unchanged.
  virtual absl::StatusOr<v1::Job> Cancel(const std::string& job_id, const std::string& owner_key,
                                         absl::Time now) = 0;

  // A snapshot of the job, including results and failures so far.
  virtual absl::StatusOr<v1::Job> Get(const std::string& job_id, const std::string& owner_key) = 0;

  // The job's head.
  virtual absl::StatusOr<JobHead> Head(const std::string& job_id, const std::string& owner_key) = 0;

  // Up to `limit` events of the job with sequence > `after`, ascending. No owner check: the
  // caller checked the job's owner (Head) before following it. Empty for an unknown job.
  virtual absl::StatusOr<std::vector<v1::JobEvent>> ReadEvents(const std::string& job_id,
                                                               int64_t after, int limit) = 0;

  // The heads of those of `job_ids` that exist (any owner), for the event poller and the
  // cancellation registry.
  virtual absl::StatusOr<std::vector<JobHead>> ReadHeads(absl::Span<const std::string> job_ids) = 0;

  // A page of `owner_key`'s jobs, newest first (create_time, then job_id, descending).
  virtual absl::StatusOr<JobPage> List(const std::string& owner_key, const JobListQuery& query) = 0;

  // Ends up to `max_jobs` unfinished jobs whose deadline is before `now`: their pending items
  // fail with JOB_DEADLINE_EXCEEDED (released), their chunks leave the queue (running ones are
  // fenced out), and each ends SUCCEEDED when anything was checked, else FAILED. Returns how
  // many jobs ended.
  virtual absl::StatusOr<int> ExpireDeadlines(absl::Time now, int max_jobs) = 0;

  // Removes up to `max_jobs` finished jobs that finished before `cutoff`: their items, events
  // and request id. Returns how many were removed.
  virtual absl::StatusOr<int> Sweep(absl::Time cutoff, int max_jobs) = 0;

  // ---- Replicas (DESIGN §4a "Leases belong to processes") ---------------------------------

  // Registers replica `name` (a new incarnation), taking back at once the chunks a previous
  // process under the same name held when it died: they return to the queue, or fail with
  // WORKER_LOST when replicas died holding them three times. FAILED_PRECONDITION when a live
  // process holds the name. REQUIRES: Register, Heartbeat and Unregister of one replica are
  // called from one thread (a database store holds the name on that thread's connection).
  virtual absl::StatusOr<ReplicaRegistration> RegisterReplica(const std::string& name,
                                                              absl::Time now) = 0;
  // Renews the replica's lease. FAILED_PRECONDITION when the lease was lost (another replica
  // swept this one as dead): the caller drops its in-flight work and registers again.
  virtual absl::Status Heartbeat(const std::string& name, int64_t incarnation, absl::Time now) = 0;
  // Sweeps replicas (other than `self`) whose last heartbeat is older than `now - dead_after`:
  // their rows go, their chunks return to the queue (or fail with WORKER_LOST after three
  // deaths). Returns how many chunks were requeued or failed.
  virtual absl::StatusOr<int> SweepDeadReplicas(const std::string& self, absl::Time now,
                                                absl::Duration dead_after) = 0;
  // Removes the replica's row (a clean shutdown, after HandBack) and returns to the queue,
  // unchanged, the chunks the name still holds (those it could neither record nor hand back):
  // no replica would ever sweep a name without a row.
  virtual absl::Status UnregisterReplica(const std::string& name, int64_t incarnation) = 0;

  // Releases, once, the open reservations whose job does not exist (left by a crash of an
  // older version that kept jobs in memory). Returns how many citations were released.
  virtual absl::StatusOr<int> ReleaseOrphanReservations(absl::Time now) = 0;

  // Unfinished chunks in the whole queue (every replica's), as the queue bound counts them.
  virtual absl::StatusOr<int64_t> QueuedChunks() = 0;

  // The key that MACs ListJobs page tokens: the same for every replica of one database,
  // created on first use. 32 bytes.
  virtual absl::StatusOr<std::string> PageTokenKey() = 0;
};

// A chunk is failed with WORKER_LOST when the replicas holding it died this many times.
inline constexpr int kMaxChunkDeaths = 3;

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_JOB_STORE_H_

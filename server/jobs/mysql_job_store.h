#ifndef CITECHECK_SERVER_JOBS_MYSQL_JOB_STORE_H_
#define CITECHECK_SERVER_JOBS_MYSQL_JOB_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/accounts/mysql_account_store.h"
#include "server/jobs/job_store.h"
#include "server/storage/mysql_pool.h"

namespace citecheck {

struct MysqlJobStoreOptions {
  JobStoreOptions store;
  // No transaction is rerun after this long (then the last error is returned, e.g.
  // UNAVAILABLE DATABASE_UNAVAILABLE), so that an RPC never hangs on an unreachable database.
  absl::Duration transaction_budget = absl::Seconds(4);
  // How long RegisterReplica (and a heartbeat on a new connection) waits for the replica
  // name's lock while another connection holds it. A process that just ended, even cleanly,
  // holds it until the database has processed its disconnect, which happens asynchronously: a
  // replica restarted at once under the same name must not be refused for that. Rounded up to
  // whole seconds.
  absl::Duration replica_name_wait = absl::Seconds(2);
};

// JobStore on MySQL/MariaDB (schema version 2, server/storage/schema.h): the durable store of
// DESIGN §4a, shared by every replica of one deployment.
//
// Every mutating method is ONE transaction (READ COMMITTED) on the pool of the Database it is
// given, with the account store's statements inside it (MysqlAccountStore::ReserveIn and
// SettleIn), rerun as a whole after a deadlock, a lock wait timeout or a lost connection, and a
// no-op when rerun after a COMMIT whose outcome was unknown: submits are keyed by job id and
// (owner, request_id), claims by a claim id, recordings by the chunk's owner and token (a
// recorded chunk is deleted), settlements by (job, index).
//
// Lock order (every transaction takes row locks in this order, each group sorted by key):
//   jobs (job_id) -> job_chunks (chunk_id) -> job_items -> the account store's rows
//   (reservation_items, accounts / free_usage, pass_daily_usage) -> queue_counts (one shard)
// New rows (jobs, items, chunks, events, ledger) are inserted under the locks of their job.
// Claims lock only chunks (SKIP LOCKED), then move newly running jobs in a second transaction.
//
// Events are published to the sink after their transaction committed.
//
// Thread-safe: each calling thread uses its own connection (MysqlPool).
class MysqlJobStore final : public JobStore {
 public:
  // `pool`, `accounts` (on the same pool) and `sink` must outlive the store.
  MysqlJobStore(MysqlJobStoreOptions options, MysqlPool* pool, MysqlAccountStore* accounts,
                EventSink* sink);

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
  // Also deletes the free address counts (free_address_usage) of days before the day before
  // `cutoff`'s, once per such day: they are kept as long as finished jobs, and a day more.
  absl::StatusOr<int> Sweep(absl::Time cutoff, int max_jobs) override;
  // The name is held by a named lock (GET_LOCK) on the calling thread's connection, which the
  // database frees when the process (or its connection) dies; Heartbeat takes it again after a
  // lost connection.
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
  TransactionOptions WriteOptions() const;
  TransactionOptions ReadOptions() const;
  void Publish(std::vector<std::pair<std::string, std::vector<v1::JobEvent>>> outbox);
  // Moves the PENDING jobs among `job_ids` to RUNNING (one transaction), publishing their
  // job_update events.
  absl::Status MarkRunning(std::vector<std::string> job_ids, absl::Time now);
  // Returns the chunks `owner` held to the queue after its process died (or fails them with
  // WORKER_LOST), in one transaction. Returns how many there were and how many failed.
  absl::StatusOr<std::pair<int, int>> ChunksOfDeadHolder(const std::string& owner, absl::Time now,
                                                         const std::string& delete_process_sql,
                                                         std::vector<SqlValue> delete_params);

  const MysqlJobStoreOptions options_;
  MysqlPool* const pool_;
  MysqlAccountStore* const accounts_;
  EventSink* const sink_;

  // Sweep's deletion of old free address counts, in batches.
  absl::Status SweepAddressUsage(absl::Time cutoff);

  absl::Mutex mu_;
  std::string page_token_key_ ABSL_GUARDED_BY(mu_);  // cached once read
  // SweepAddressUsage has deleted every count of a day before this one.
  std::optional<absl::CivilDay> address_usage_swept_before_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_JOBS_MYSQL_JOB_STORE_H_

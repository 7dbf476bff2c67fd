#ifndef CITECHECK_SERVER_STORAGE_SCHEMA_H_
#define CITECHECK_SERVER_STORAGE_SCHEMA_H_

#include <vector>

#include "server/storage/migrations.h"

namespace citecheck {

// citecheck's database schema, oldest first; ApplyMigrations(pool, CitecheckMigrations())
// brings a database up to date. Append new versions; never edit a released one.
//
// Version 1 "accounts" (MysqlAccountStore). Keys that come from callers are VARBINARY so that
// they compare byte for byte (no case folding, no trailing-space padding, no charset
// conversion); token hashes are lower-case hex; times are UTC DATETIME(6) computed in C++.
//   accounts          token_hash PK, credits >= 0, pass_expire_time, pass_type, created_at
//   pass_daily_usage  (token_hash, day) PK: pass citations counted per UTC day
//   free_usage        free_key PK ("free:<id>" / "anon:<ip>"), used
//   orders            order_id PK: grants, for idempotency (kind, token_hash, amount)
//   reservations      job_id PK: what Reserve decided, returned unchanged on replays
//   reservation_items (job_id, item_index) PK: reserved -> charged | released, once
//   ledger            every movement, unique idempotency_key ("grant:<order>",
//                     "reserve:<job>", "charge:<job>:<i>", "release:<job>:<i>")
//
// Version 2 "jobs" (MysqlJobStore; DESIGN §4a).
//   jobs          job_id PK; owner_key; (owner_key, request_id) unique; counts, state,
//                 last_sequence (the head of the job's events), submit snapshot, deadline
//   job_items     (job_id, kind, item_index) PK: one row per accepted citation (kind 0) or
//                 in-text citation (kind 1): the input, its state and its outcome
//   job_chunks    the work queue: unfinished chunks only, with their claim `turn`, `owner`
//                 (a replica name, NULL while queued), fencing `token` and `deaths`
//   job_events    (job_id, seq) PK, gap-free per job; result and failure events point at
//                 their item, job_update events carry their snapshot
//   processes     one row per live replica: name, incarnation, heartbeat_at
//   queue_counts  16 shards whose sum is the number of rows of job_chunks (the queue bound)
//   server_keys   secrets every replica shares (the page-token MAC key)
//
// Version 3 "free_address_usage" (MysqlAccountStore: the free allowance per client address).
//   free_address_usage  (address_key, day) PK: free citations reserved from one client address
//                       on one UTC day, across all free ids; older days are deleted as an
//                       address returns
//   reservations        + address_key, address_day: the address count a free reservation used
//                       (NULL when it used none), for releases
const std::vector<Migration>& CitecheckMigrations();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_SCHEMA_H_

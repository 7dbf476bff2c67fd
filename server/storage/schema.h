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
const std::vector<Migration>& CitecheckMigrations();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_SCHEMA_H_

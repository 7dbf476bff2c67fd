#ifndef CITECHECK_SERVER_STORAGE_MIGRATIONS_H_
#define CITECHECK_SERVER_STORAGE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/storage/mysql_pool.h"

namespace citecheck {

// One versioned step of a database schema, compiled into the binary.
struct Migration {
  int version = 0;   // > 0; strictly increasing along a list
  std::string name;  // recorded with the version; must never change once released
  // Statements run in order, unprepared. MariaDB commits DDL implicitly, so a migration cut
  // short (crash, lost connection) is re-run from its first statement: each statement must be
  // idempotent (CREATE TABLE IF NOT EXISTS, ADD COLUMN IF NOT EXISTS, ...).
  std::vector<std::string> statements;
};

struct MigrationReport {
  std::vector<int> applied;  // versions applied by this call, in order
  int version = 0;           // the schema's version afterwards
};

// Brings the database of `pool` up to the last version of `migrations`: takes the server-wide
// lock GET_LOCK('citecheck_migrations', lock_timeout) on one connection, creates the
// `schema_migrations` table (version, name, applied_at) if needed, applies every version not
// recorded there in order, recording each after its statements, and releases the lock. Safe
// when several servers start at once (one applies, the others then find nothing to do) and
// idempotent. Reruns after a lost connection (up to 3 tries).
//
// Errors: INVALID_ARGUMENT for a malformed list; FAILED_PRECONDITION when the database has a
// version this binary does not know (it is newer) or records a known version under another
// name; DEADLINE_EXCEEDED when the lock is not granted within lock_timeout; the pool's errors.
absl::StatusOr<MigrationReport> ApplyMigrations(MysqlPool& pool,
                                                absl::Span<const Migration> migrations,
                                                absl::Duration lock_timeout = absl::Seconds(30));

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_MIGRATIONS_H_

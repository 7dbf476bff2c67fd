#ifndef CITECHECK_SERVER_STORAGE_DATABASE_H_
#define CITECHECK_SERVER_STORAGE_DATABASE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/storage/migrations.h"
#include "server/storage/mysql_pool.h"
#include "server/storage/mysql_url.h"

namespace citecheck {

// The one storage object of a server: the connection pool to citecheck's database, opened with
// the schema brought up to date (CitecheckMigrations()). The account store and the job store
// both run their transactions on its pool, and compose: a job-store transaction may run
// account-store statements (see MysqlAccountStore's *In methods), so that a submit and a
// recording are each one transaction.
//
// Thread-safe (see MysqlPool).
class Database {
 public:
  // Connects to `url` and applies the migrations. Errors from MysqlPool::Create and
  // ApplyMigrations.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const MysqlUrl& url,
                                                        const MysqlPoolOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  MysqlPool& pool() { return *pool_; }
  // The schema version after the migrations.
  int schema_version() const { return schema_version_; }

 private:
  Database(std::unique_ptr<MysqlPool> pool, int schema_version)
      : pool_(std::move(pool)), schema_version_(schema_version) {}

  const std::unique_ptr<MysqlPool> pool_;
  const int schema_version_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_DATABASE_H_

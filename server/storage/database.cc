#include "server/storage/database.h"

#include <utility>

#include "absl/memory/memory.h"
#include "server/storage/schema.h"

namespace citecheck {

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const MysqlUrl& url,
                                                         const MysqlPoolOptions& options) {
  absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(url, options);
  if (!pool.ok()) return pool.status();
  absl::StatusOr<MigrationReport> migrated = ApplyMigrations(**pool, CitecheckMigrations());
  if (!migrated.ok()) return migrated.status();
  return absl::WrapUnique(new Database(*std::move(pool), migrated->version));
}

}  // namespace citecheck

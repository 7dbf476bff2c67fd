#include "server/storage/migrations.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

constexpr absl::string_view kLockName = "citecheck_migrations";

absl::Status ValidateList(absl::Span<const Migration> migrations) {
  int previous = 0;
  for (const Migration& m : migrations) {
    if (m.version <= previous) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations: versions must be positive and strictly increasing (", m.version,
                       " after ", previous, ")"));
    }
    if (m.name.empty() || m.name.size() > 128) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations: version ", m.version, " needs a name of 1-128 characters"));
    }
    if (m.statements.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("migrations: version ", m.version, " has no statements"));
    }
    previous = m.version;
  }
  return absl::OkStatus();
}

// One pass under the lock, on one session.
absl::Status MigrateLocked(Session& session, absl::Span<const Migration> migrations,
                           MigrationReport& report) {
  if (absl::Status s =
          session.ExecuteUnprepared("CREATE TABLE IF NOT EXISTS schema_migrations ("
                                    " version INT NOT NULL PRIMARY KEY,"
                                    " name VARCHAR(128) NOT NULL,"
                                    " applied_at DATETIME(6) NOT NULL"
                                    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin");
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<SqlRow>> rows =
      session.Query("SELECT version, name FROM schema_migrations ORDER BY version");
  if (!rows.ok()) return rows.status();
  absl::flat_hash_map<int64_t, std::string> recorded;
  for (const SqlRow& row : *rows) recorded[row.Int(0)] = row.String(1);

  const int known = migrations.empty() ? 0 : migrations.back().version;
  for (const auto& [version, name] : recorded) {
    if (version > known) {
      return absl::FailedPreconditionError(
          absl::StrCat("migrations: the database has schema version ", version,
                       ", newer than this binary knows (", known, "); run a newer binary"));
    }
  }
  for (const Migration& m : migrations) {
    auto it = recorded.find(m.version);
    if (it == recorded.end()) continue;
    if (it->second != m.name) {
      return absl::FailedPreconditionError(
          absl::StrCat("migrations: version ", m.version, " is recorded as \"", it->second,
                       "\" but this binary calls it \"", m.name, "\""));
    }
  }

  for (const Migration& m : migrations) {
    if (recorded.contains(m.version)) continue;
    for (const std::string& statement : m.statements) {
      if (absl::Status s = session.ExecuteUnprepared(statement); !s.ok()) {
        return absl::Status(
            s.code(), absl::StrCat("migration ", m.version, " (", m.name, "): ", s.message()));
      }
    }
    absl::StatusOr<int64_t> inserted = session.Execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        {m.version, m.name, ToSqlDatetime(absl::Now())});
    if (!inserted.ok()) return inserted.status();
    report.applied.push_back(m.version);
    spdlog::info("storage: applied schema migration {} ({})", m.version, m.name);
  }
  report.version = known;
  for (const auto& [version, name] : recorded) {
    report.version = std::max(report.version, static_cast<int>(version));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MigrationReport> ApplyMigrations(MysqlPool& pool,
                                                absl::Span<const Migration> migrations,
                                                absl::Duration lock_timeout) {
  if (absl::Status s = ValidateList(migrations); !s.ok()) return s;
  const int64_t timeout_seconds = std::max<int64_t>(0, absl::ToInt64Seconds(lock_timeout));

  absl::Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    MigrationReport report;
    status = pool.RunInSession([&](Session& session) -> absl::Status {
      absl::StatusOr<std::optional<SqlRow>> locked =
          session.QueryRow("SELECT GET_LOCK(?, ?)", {kLockName, timeout_seconds});
      if (!locked.ok()) return locked.status();
      if (!locked->has_value() || (*locked)->IsNull(0)) {
        return absl::InternalError("migrations: GET_LOCK failed");
      }
      if ((*locked)->Int(0) != 1) {
        return absl::DeadlineExceededError(absl::StrCat("migrations: lock ", kLockName,
                                                        " not granted within ", timeout_seconds,
                                                        " s (another server is migrating?)"));
      }
      absl::Status migrated = MigrateLocked(session, migrations, report);
      // The lock dies with the session if the connection is gone.
      if (session.failure().ok()) {
        absl::StatusOr<std::vector<SqlRow>> released =
            session.Query("SELECT RELEASE_LOCK(?)", {kLockName});
        if (migrated.ok() && !released.ok()) return released.status();
      }
      return migrated;
    });
    if (status.ok()) return report;
    if (status.code() != absl::StatusCode::kUnavailable) break;
  }
  return status;
}

}  // namespace citecheck

#include "server/storage/migrations.h"

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/storage/schema.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck {
namespace {

// Test migrations. Each version inserts a row into `probe` (not idempotent on purpose), so a
// version applied twice shows as two rows.
std::vector<Migration> ProbeMigrations(int versions) {
  std::vector<Migration> out;
  out.push_back({1,
                 "probe table",
                 {"CREATE TABLE IF NOT EXISTS probe (version INT NOT NULL) ENGINE=InnoDB",
                  "INSERT INTO probe (version) VALUES (1)"}});
  for (int v = 2; v <= versions; ++v) {
    out.push_back({v,
                   "probe row " + std::to_string(v),
                   {"CREATE TABLE IF NOT EXISTS t" + std::to_string(v) + " (x INT) ENGINE=InnoDB",
                    "INSERT INTO probe (version) VALUES (" + std::to_string(v) + ")"}});
  }
  return out;
}

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  std::unique_ptr<MysqlPool> NewPool() {
    absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(db_->url());
    EXPECT_TRUE(pool.ok()) << pool.status();
    return pool.ok() ? *std::move(pool) : nullptr;
  }

  std::vector<std::string> Recorded() {
    return db_->QueryStrings("SELECT version, name FROM schema_migrations ORDER BY version");
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(MigrationsTest, AppliesEveryVersionOnceAndIsIdempotent) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<MigrationReport> first = ApplyMigrations(*pool, ProbeMigrations(3));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->applied, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(first->version, 3);

  absl::StatusOr<MigrationReport> again = ApplyMigrations(*pool, ProbeMigrations(3));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->version, 3);

  EXPECT_EQ(db_->QueryStrings("SELECT version FROM probe ORDER BY version"),
            (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(Recorded(),
            (std::vector<std::string>{"1|probe table", "2|probe row 2", "3|probe row 3"}));
}

TEST_F(MigrationsTest, AppliesOnlyTheNewVersions) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, ProbeMigrations(1)).ok());
  absl::StatusOr<MigrationReport> report = ApplyMigrations(*pool, ProbeMigrations(3));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->applied, (std::vector<int>{2, 3}));
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM probe"), 3);
}

TEST_F(MigrationsTest, ConcurrentServersApplyEachVersionOnce) {
  constexpr int kServers = 4;
  std::vector<std::vector<int>> applied(kServers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kServers; ++i) {
    threads.emplace_back([&, i] {
      std::unique_ptr<MysqlPool> pool = NewPool();  // a server of its own
      ASSERT_NE(pool, nullptr);
      absl::StatusOr<MigrationReport> report = ApplyMigrations(*pool, ProbeMigrations(5));
      ASSERT_TRUE(report.ok()) << report.status();
      EXPECT_EQ(report->version, 5);
      applied[i] = report->applied;
    });
  }
  for (std::thread& t : threads) t.join();
  std::vector<int> all;
  for (const std::vector<int>& a : applied) all.insert(all.end(), a.begin(), a.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(db_->QueryStrings("SELECT version FROM probe ORDER BY version"),
            (std::vector<std::string>{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM schema_migrations"), 5);
}

TEST_F(MigrationsTest, NewerDatabaseIsRefused) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, ProbeMigrations(3)).ok());
  absl::StatusOr<MigrationReport> old_binary = ApplyMigrations(*pool, ProbeMigrations(2));
  EXPECT_EQ(old_binary.status().code(), absl::StatusCode::kFailedPrecondition)
      << old_binary.status();
  EXPECT_NE(old_binary.status().message().find("newer"), absl::string_view::npos);
}

TEST_F(MigrationsTest, RenamedVersionIsRefused) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(ApplyMigrations(*pool, ProbeMigrations(2)).ok());
  std::vector<Migration> renamed = ProbeMigrations(2);
  renamed[1].name = "something else";
  EXPECT_EQ(ApplyMigrations(*pool, renamed).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, MalformedListsAreRejectedBeforeTouchingTheDatabase) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  const std::vector<std::vector<Migration>> bad = {
      {{2, "b", {"DO 1"}}, {1, "a", {"DO 1"}}},  // decreasing
      {{1, "a", {"DO 1"}}, {1, "b", {"DO 1"}}},  // duplicate
      {{0, "zero", {"DO 1"}}},                   // not positive
      {{1, "", {"DO 1"}}},                       // no name
      {{1, "empty", {}}},                        // no statements
  };
  for (const std::vector<Migration>& list : bad) {
    EXPECT_EQ(ApplyMigrations(*pool, list).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM information_schema.TABLES"
                          " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'schema_migrations'",
                          {db_->url().database}),
            0);
}

TEST_F(MigrationsTest, FailedMigrationIsNotRecordedAndReleasesTheLock) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  std::vector<Migration> broken = ProbeMigrations(2);
  broken[1].statements.push_back("THIS IS NOT SQL");
  absl::StatusOr<MigrationReport> failed = ApplyMigrations(*pool, broken);
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kInternal) << failed.status();
  EXPECT_NE(failed.status().message().find("migration 2"), absl::string_view::npos);
  EXPECT_EQ(failed.status().message().find("THIS IS NOT SQL"), absl::string_view::npos);
  EXPECT_EQ(Recorded(), std::vector<std::string>{"1|probe table"});

  // The lock is free at once (another server would not wait), and the fixed list finishes.
  std::unique_ptr<MysqlPool> other = NewPool();
  ASSERT_NE(other, nullptr);
  std::vector<Migration> fixed = ProbeMigrations(2);
  fixed[1].statements[1] = "INSERT INTO probe (version) VALUES (20)";  // the rerun of version 2
  absl::StatusOr<MigrationReport> report = ApplyMigrations(*other, fixed, absl::Seconds(1));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->applied, std::vector<int>{2});
  // Version 2's first run inserted before failing (DDL/autocommit): why statements must be
  // idempotent.
  EXPECT_EQ(db_->QueryStrings("SELECT version FROM probe ORDER BY version"),
            (std::vector<std::string>{"1", "2", "20"}));
}

TEST_F(MigrationsTest, LockHeldByAnotherServerTimesOut) {
  absl::Notification locked, release;
  std::thread holder([&] {
    std::unique_ptr<MysqlPool> pool = NewPool();
    ASSERT_NE(pool, nullptr);
    absl::Status status = pool->RunInSession([&](Session& s) -> absl::Status {
      absl::StatusOr<std::optional<SqlRow>> got =
          s.QueryRow("SELECT GET_LOCK('citecheck_migrations', 10)");
      locked.Notify();
      release.WaitForNotification();
      if (!got.ok()) return got.status();
      return s.Query("SELECT RELEASE_LOCK('citecheck_migrations')").status();
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  locked.WaitForNotification();
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<MigrationReport> report =
      ApplyMigrations(*pool, ProbeMigrations(1), absl::Seconds(1));
  release.Notify();
  holder.join();
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDeadlineExceeded) << report.status();
  // Once the lock is free, it works.
  EXPECT_TRUE(ApplyMigrations(*pool, ProbeMigrations(1)).ok());
}

TEST_F(MigrationsTest, CitecheckSchemaApplies) {
  std::unique_ptr<MysqlPool> pool = NewPool();
  ASSERT_NE(pool, nullptr);
  absl::StatusOr<MigrationReport> report = ApplyMigrations(*pool, CitecheckMigrations());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->applied, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(db_->QueryStrings("SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES"
                              " WHERE TABLE_SCHEMA = ? ORDER BY CAST(TABLE_NAME AS BINARY)",
                              {db_->url().database}),
            (std::vector<std::string>{
                "accounts|InnoDB", "free_address_usage|InnoDB", "free_usage|InnoDB",
                "job_chunks|InnoDB", "job_events|InnoDB", "job_items|InnoDB", "jobs|InnoDB",
                "ledger|InnoDB", "orders|InnoDB", "pass_daily_usage|InnoDB", "processes|InnoDB",
                "queue_counts|InnoDB", "reservation_items|InnoDB", "reservations|InnoDB",
                "schema_migrations|InnoDB", "server_keys|InnoDB"}));
  // The queue bound's shards exist once, whatever reruns.
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM queue_counts"), 16);
  // Re-running a migration's statements is harmless (they are idempotent).
  for (const Migration& migration : CitecheckMigrations()) {
    for (const std::string& statement : migration.statements) {
      EXPECT_TRUE(db_->Execute(statement).ok()) << statement;
    }
  }
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM queue_counts"), 16);
  absl::StatusOr<MigrationReport> again = ApplyMigrations(*pool, CitecheckMigrations());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->applied.empty());
  // Version 3 added the address columns of reservations, nullable (instant on a large table).
  EXPECT_EQ(db_->QueryStrings("SELECT COLUMN_NAME, IS_NULLABLE FROM information_schema.COLUMNS"
                              " WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'reservations'"
                              " AND COLUMN_NAME LIKE 'address%' ORDER BY COLUMN_NAME",
                              {db_->url().database}),
            (std::vector<std::string>{"address_day|YES", "address_key|YES"}));
  EXPECT_FALSE(db_->Execute("INSERT INTO free_address_usage (address_key, day, used)"
                            " VALUES ('ip4:192.0.2.1', '2027-01-01', -1)")
                   .ok());
  // The CHECK constraint keeps credits from going negative whatever the code does.
  EXPECT_FALSE(db_->Execute("INSERT INTO accounts (token_hash, credits, created_at)"
                            " VALUES (REPEAT('a', 64), -1, '2027-01-01 00:00:00')")
                   .ok());
}

}  // namespace
}  // namespace citecheck

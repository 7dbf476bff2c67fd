#include "tests/server/storage/mysql_test_database.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "absl/memory/memory.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

constexpr absl::string_view kHowTo =
    "the mysql tests need a MariaDB: run them through `ctest -L mysql` (which starts one with "
    "deploy/mariadb.sh), or start one with `deploy/mariadb.sh start` and export "
    "CITECHECK_TEST_MYSQL_URL=<the URL it prints>";

}  // namespace

absl::StatusOr<MysqlUrl> TestServerUrl() {
  if (const char* url = std::getenv("CITECHECK_TEST_MYSQL_URL"); url != nullptr && *url != 0) {
    return MysqlUrl::Parse(url);
  }
  const char* env_file = std::getenv("CITECHECK_TEST_MYSQL_ENV_FILE");
  if (env_file == nullptr || *env_file == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "CITECHECK_TEST_MYSQL_URL is not set (nor CITECHECK_TEST_MYSQL_ENV_FILE): ", kHowTo));
  }
  std::ifstream in(env_file);
  if (!in) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read CITECHECK_TEST_MYSQL_ENV_FILE=", env_file,
                     " (did the mariadb_start fixture run?): ", kHowTo));
  }
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view value = line;
    if (absl::ConsumePrefix(&value, "CITECHECK_MYSQL_URL=")) return MysqlUrl::Parse(value);
  }
  return absl::FailedPreconditionError(
      absl::StrCat(env_file, " has no CITECHECK_MYSQL_URL line: ", kHowTo));
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create() {
  absl::StatusOr<MysqlUrl> server_url = TestServerUrl();
  if (!server_url.ok()) return server_url.status();
  return CreateOn(*server_url);
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::CreateOn(const MysqlUrl& server_url) {
  absl::StatusOr<std::unique_ptr<MysqlPool>> server = MysqlPool::Create(server_url);
  if (!server.ok()) return server.status();

  absl::BitGen gen;
  const std::string name = absl::StrFormat("citecheck_t_%016x", absl::Uniform<uint64_t>(gen));
  // `name` is generated above: a valid identifier, never a value from outside.
  absl::Status created = (*server)->RunInSession([&](Session& s) {
    return s.ExecuteUnprepared(
        absl::StrCat("CREATE DATABASE `", name, "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
  });
  if (!created.ok()) return created;
  const MysqlUrl url = server_url.WithDatabase(name);
  absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(url);
  if (!pool.ok()) return pool.status();
  return absl::WrapUnique(new TestDatabase(url, *std::move(server), *std::move(pool)));
}

TestDatabase::~TestDatabase() {
  pool_.reset();
  absl::Status dropped;
  // Twice: the first attempt may find the connection lost (a test restarted the server), and
  // the second one connects afresh.
  for (int attempt = 0; attempt < 2; ++attempt) {
    dropped = server_->RunInSession([&](Session& s) {
      return s.ExecuteUnprepared(absl::StrCat("DROP DATABASE IF EXISTS `", url_.database, "`"));
    });
    if (dropped.code() != absl::StatusCode::kUnavailable) break;
  }
  EXPECT_TRUE(dropped.ok()) << dropped;
}

int64_t TestDatabase::QueryInt(absl::string_view sql, std::vector<SqlValue> params) {
  int64_t value = -1;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::optional<SqlRow>> row = tx.QueryRow(sql, params);
    if (!row.ok()) return row.status();
    if (!row->has_value()) return absl::NotFoundError("no row");
    value = (*row)->Int(0);
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status << " for " << sql;
  return status.ok() ? value : -1;
}

std::vector<std::string> TestDatabase::QueryStrings(absl::string_view sql,
                                                    std::vector<SqlValue> params) {
  std::vector<std::string> out;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<std::vector<SqlRow>> rows = tx.Query(sql, params);
    if (!rows.ok()) return rows.status();
    out.clear();
    for (const SqlRow& row : *rows) {
      std::vector<std::string> columns;
      for (size_t i = 0; i < row.size(); ++i) {
        columns.push_back(row.IsNull(i) ? "NULL" : row.String(i));
      }
      out.push_back(absl::StrJoin(columns, "|"));
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status << " for " << sql;
  return out;
}

absl::Status TestDatabase::Execute(absl::string_view sql) {
  return pool_->RunInSession([&](Session& s) { return s.ExecuteUnprepared(sql); });
}

}  // namespace citecheck

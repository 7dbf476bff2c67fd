#ifndef CITECHECK_TESTS_SERVER_STORAGE_MYSQL_TEST_DATABASE_H_
#define CITECHECK_TESTS_SERVER_STORAGE_MYSQL_TEST_DATABASE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/storage/mysql_pool.h"
#include "server/storage/mysql_url.h"

namespace citecheck {

// The MariaDB the mysql tests use: $CITECHECK_TEST_MYSQL_URL, else the CITECHECK_MYSQL_URL
// line of the file named by $CITECHECK_TEST_MYSQL_ENV_FILE (deploy/mariadb.sh writes it; ctest
// -L mysql starts that server and sets the variable). FAILED_PRECONDITION explaining how to
// provide a server when neither is set: mysql tests fail without a database, never skip.
absl::StatusOr<MysqlUrl> TestServerUrl();

// A fresh database `citecheck_t_<16 hex digits>` on the test server for one test (the test
// user may create citecheck_... databases), dropped by the destructor. Not thread-safe to
// create or destroy; pool() may be used from any thread.
class TestDatabase {
 public:
  static absl::StatusOr<std::unique_ptr<TestDatabase>> Create();
  // The same on the server `server` names (e.g. a test's own MariaDB).
  static absl::StatusOr<std::unique_ptr<TestDatabase>> CreateOn(const MysqlUrl& server);
  ~TestDatabase();

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // The test database's URL.
  const MysqlUrl& url() const { return url_; }
  // Connections to the test database for the test's own statements.
  MysqlPool& pool() { return *pool_; }

  // The first column of the first row of `sql` as an integer; adds a test failure and returns
  // -1 on an error or no row.
  int64_t QueryInt(absl::string_view sql, std::vector<SqlValue> params = {});
  // Every row of `sql`, columns joined by '|'; adds a test failure on an error.
  std::vector<std::string> QueryStrings(absl::string_view sql, std::vector<SqlValue> params = {});
  // Runs `sql` (unprepared, autocommit).
  absl::Status Execute(absl::string_view sql);

 private:
  TestDatabase(MysqlUrl url, std::unique_ptr<MysqlPool> server, std::unique_ptr<MysqlPool> pool)
      : url_(std::move(url)), server_(std::move(server)), pool_(std::move(pool)) {}

  const MysqlUrl url_;
  std::unique_ptr<MysqlPool> server_;  // on the server's own database: creates and drops
  std::unique_ptr<MysqlPool> pool_;
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_STORAGE_MYSQL_TEST_DATABASE_H_

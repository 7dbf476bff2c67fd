#ifndef CITECHECK_BENCH_BENCH_MARIADB_H_
#define CITECHECK_BENCH_BENCH_MARIADB_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/storage/mysql_pool.h"
#include "server/storage/mysql_url.h"
#include "tests/integration/own_mariadb.h"

namespace citecheck::bench {

// What one database user did so far (information_schema.USER_STATISTICS, kept by MariaDB
// while the global `userstat` is on). Statements are counted once each, prepared executions
// included; COMMIT, ROLLBACK and SET count as "other".
struct UserCounters {
  int64_t selects = 0;
  int64_t updates = 0;  // INSERT, UPDATE, DELETE, REPLACE
  int64_t others = 0;
  double busy_seconds = 0;  // wall time the server spent on the user's statements
  double cpu_seconds = 0;   // CPU time the server spent on them
  int64_t rows_read = 0;
  int64_t rows_changed = 0;  // inserted + updated + deleted

  int64_t statements() const { return selects + updates + others; }
  UserCounters operator-(const UserCounters& before) const;
};

// A moment's counters of the whole server.
struct ServerCounters {
  absl::Time at;
  absl::Duration mariadbd_cpu;                // of the mariadbd process, when it is local
  std::map<std::string, int64_t> global;      // Questions, Com_commit, Com_select, ...
  std::map<std::string, UserCounters> users;  // by user name

  // The global counter `name` (0 when absent).
  int64_t Global(const std::string& name) const;
  // The user's counters (zeros when it made no statement).
  UserCounters User(const std::string& name) const;
};

// `url` as a --mysql_url value (mysql://USER:PASSWORD@HOST:PORT/DATABASE, password shown).
// REQUIRES: a TCP URL whose user and password need no percent-encoding.
std::string UrlText(const MysqlUrl& url);

// A MariaDB for the benchmarks: its own server (testing::OwnMariaDb: deploy/mariadb.sh in a
// temporary directory, data on tmpfs, innodb_flush_log_at_trx_commit=2), stopped with it, or an
// existing server of that script (its env file). The root account (no password from loopback,
// as the script creates it) turns on per-user statistics, creates one database user per
// replica so that each replica's statements are counted apart, creates and drops databases,
// reads the counters and switches the general query log.
//
// Not thread-safe.
class BenchMariaDb {
 public:
  // Starts a server of its own, with a 1G buffer pool unless MARIADB_BUFFER_POOL_SIZE says
  // otherwise (deploy/mariadb.sh).
  static absl::StatusOr<std::unique_ptr<BenchMariaDb>> Start();
  // Uses the running server of deploy/mariadb.sh whose env file is `env_file`; never stops it.
  static absl::StatusOr<std::unique_ptr<BenchMariaDb>> Attach(const std::string& env_file);
  ~BenchMariaDb();  // stops the server when it started it

  BenchMariaDb(const BenchMariaDb&) = delete;
  BenchMariaDb& operator=(const BenchMariaDb&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // The server's version, e.g. "10.11.19-MariaDB-0+deb12u1".
  const std::string& version() const { return version_; }

  // Creates user `user` (password = the name) if needed, granted everything on the
  // databases named citecheck_... REQUIRES: `user` is a plain identifier.
  absl::Status CreateUser(const std::string& user);
  // Creates the database `name` afresh (dropping one of that name) and returns its URL for
  // `user` (made by CreateUser). REQUIRES: `name` starts with "citecheck_".
  absl::StatusOr<MysqlUrl> CreateDatabase(const std::string& name, const std::string& user);
  absl::Status DropDatabase(const std::string& name);

  // The root pool (database `mysql`): tables of other databases are named `db`.`table`.
  MysqlPool& root() { return *root_; }
  // The first column of the first row of `sql` (root pool) as an integer.
  absl::StatusOr<int64_t> QueryInt(const std::string& sql);

  ServerCounters Counters();

  // Starts writing every statement to `path` (the general query log), or stops.
  absl::Status GeneralLog(bool on, const std::string& path = "");

 private:
  BenchMariaDb() = default;
  // Connects as root to the server on 127.0.0.1:`port`; finds its pid from its pid file.
  absl::Status Connect(int port);

  std::unique_ptr<testing::OwnMariaDb> own_;  // when this process started the server
  int port_ = 0;
  pid_t pid_ = -1;
  std::string version_;
  std::unique_ptr<MysqlPool> root_;
};

}  // namespace citecheck::bench

#endif  // CITECHECK_BENCH_BENCH_MARIADB_H_

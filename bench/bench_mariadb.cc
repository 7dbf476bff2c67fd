#include "bench/bench_mariadb.h"

#include <stdio.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/process_stats.h"
#include "server/common/status_macros.h"

namespace citecheck::bench {
namespace {

// The global counters every snapshot reads.
constexpr const char* kGlobalCounters[] = {"QUESTIONS",
                                           "COM_COMMIT",
                                           "COM_ROLLBACK",
                                           "COM_SELECT",
                                           "COM_INSERT",
                                           "COM_UPDATE",
                                           "COM_DELETE",
                                           "COM_STMT_EXECUTE",
                                           "HANDLER_COMMIT",
                                           "INNODB_ROWS_INSERTED",
                                           "INNODB_ROWS_UPDATED",
                                           "INNODB_ROWS_DELETED",
                                           "INNODB_ROWS_READ",
                                           "INNODB_OS_LOG_WRITTEN",
                                           "INNODB_ROW_LOCK_WAITS",
                                           "INNODB_DEADLOCKS"};

// The value of KEY=... in an env file of deploy/mariadb.sh ("" when absent).
std::string EnvValue(const std::string& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, key + "=")) return line.substr(key.size() + 1);
  }
  return "";
}

bool IsIdentifier(absl::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string UrlText(const MysqlUrl& url) {
  return absl::StrCat("mysql://", url.user, ":", url.password, "@", url.host, ":", url.port, "/",
                      url.database);
}

UserCounters UserCounters::operator-(const UserCounters& before) const {
  UserCounters d;
  d.selects = selects - before.selects;
  d.updates = updates - before.updates;
  d.others = others - before.others;
  d.busy_seconds = busy_seconds - before.busy_seconds;
  d.cpu_seconds = cpu_seconds - before.cpu_seconds;
  d.rows_read = rows_read - before.rows_read;
  d.rows_changed = rows_changed - before.rows_changed;
  return d;
}

int64_t ServerCounters::Global(const std::string& name) const {
  auto it = global.find(name);
  return it == global.end() ? 0 : it->second;
}

UserCounters ServerCounters::User(const std::string& name) const {
  auto it = users.find(name);
  return it == users.end() ? UserCounters() : it->second;
}

absl::StatusOr<std::unique_ptr<BenchMariaDb>> BenchMariaDb::Start() {
  std::unique_ptr<BenchMariaDb> db(new BenchMariaDb());
  // A benchmark writes hundreds of thousands of rows: with the tests' 64M buffer pool, InnoDB's
  // page flushing shows in the latencies (SubmitBatch alone at 500/s: p99 11-12 ms, against
  // 4 ms with 1G). Unless the caller chose a size.
  setenv("MARIADB_BUFFER_POOL_SIZE", "1G", /*overwrite=*/0);
  db->own_ = testing::OwnMariaDb::Start();
  if (db->own_ == nullptr) return absl::UnavailableError("deploy/mariadb.sh start failed");
  RETURN_IF_ERROR(db->Connect(db->own_->url().port));
  return db;
}

absl::StatusOr<std::unique_ptr<BenchMariaDb>> BenchMariaDb::Attach(const std::string& env_file) {
  int port = 0;
  if (!absl::SimpleAtoi(EnvValue(env_file, "MARIADB_PORT"), &port)) {
    return absl::FailedPreconditionError(
        absl::StrCat(env_file, " does not name a server of deploy/mariadb.sh"));
  }
  std::unique_ptr<BenchMariaDb> db(new BenchMariaDb());
  RETURN_IF_ERROR(db->Connect(port));
  return db;
}

absl::Status BenchMariaDb::Connect(int port) {
  port_ = port;
  MysqlUrl url;
  url.user = "root";
  url.host = "127.0.0.1";
  url.port = port_;
  url.database = "mysql";
  ASSIGN_OR_RETURN(root_, MysqlPool::Create(url));
  std::string pid_file;
  RETURN_IF_ERROR(root_->RunInSession([&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.ExecuteUnprepared("SET GLOBAL userstat = 1"));
    ASSIGN_OR_RETURN(std::optional<SqlRow> row, s.QueryRow("SELECT VERSION(), @@pid_file"));
    if (row.has_value()) {
      version_ = row->String(0);
      pid_file = row->String(1);
    }
    return absl::OkStatus();
  }));
  std::ifstream in(pid_file);
  if (!(in >> pid_)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the server's pid from ", pid_file, " (is it on this machine?)"));
  }
  return absl::OkStatus();
}

BenchMariaDb::~BenchMariaDb() {
  root_.reset();
  own_.reset();
}

absl::Status BenchMariaDb::CreateUser(const std::string& user) {
  if (!IsIdentifier(user)) return absl::InvalidArgumentError("bad user name");
  return root_->RunInSession([&](Session& s) -> absl::Status {
    RETURN_IF_ERROR(s.ExecuteUnprepared(absl::StrCat("CREATE USER IF NOT EXISTS '", user,
                                                     "'@'127.0.0.1' IDENTIFIED BY '", user, "'")));
    return s.ExecuteUnprepared(
        absl::StrCat("GRANT ALL ON `citecheck\\_%`.* TO '", user, "'@'127.0.0.1'"));
  });
}

absl::StatusOr<MysqlUrl> BenchMariaDb::CreateDatabase(const std::string& name,
                                                      const std::string& user) {
  if (!absl::StartsWith(name, "citecheck_") || !IsIdentifier(name) || !IsIdentifier(user)) {
    return absl::InvalidArgumentError("bad database or user name");
  }
  RETURN_IF_ERROR(DropDatabase(name));
  RETURN_IF_ERROR(root_->RunInSession([&](Session& s) {
    return s.ExecuteUnprepared(
        absl::StrCat("CREATE DATABASE ", name, " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"));
  }));
  MysqlUrl url;
  url.user = user;
  url.password = user;
  url.host = "127.0.0.1";
  url.port = port_;
  url.database = name;
  return url;
}

absl::Status BenchMariaDb::DropDatabase(const std::string& name) {
  if (!absl::StartsWith(name, "citecheck_") || !IsIdentifier(name)) {
    return absl::InvalidArgumentError("bad database name");
  }
  return root_->RunInSession(
      [&](Session& s) { return s.ExecuteUnprepared("DROP DATABASE IF EXISTS " + name); });
}

absl::StatusOr<int64_t> BenchMariaDb::QueryInt(const std::string& sql) {
  int64_t value = 0;
  RETURN_IF_ERROR(root_->RunInSession([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<SqlRow> row, s.QueryRow(sql));
    if (!row.has_value()) return absl::NotFoundError("no row");
    value = row->Int(0);
    return absl::OkStatus();
  }));
  return value;
}

ServerCounters BenchMariaDb::Counters() {
  ServerCounters counters;
  const absl::Status status = root_->RunInSession([&](Session& s) -> absl::Status {
    std::vector<SqlValue> names(std::begin(kGlobalCounters), std::end(kGlobalCounters));
    std::string sql =
        "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
        " WHERE VARIABLE_NAME IN ";
    std::vector<SqlValue> params;
    AppendInList(&sql, &params, names);
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, s.Query(sql, params));
    for (const SqlRow& row : rows) {
      int64_t value = 0;
      if (absl::SimpleAtoi(row.String(1), &value)) counters.global[row.String(0)] = value;
    }
    ASSIGN_OR_RETURN(rows, s.Query("SELECT USER, SELECT_COMMANDS, UPDATE_COMMANDS, OTHER_COMMANDS,"
                                   " ROUND(BUSY_TIME * 1000000), ROUND(CPU_TIME * 1000000),"
                                   " ROWS_READ, ROWS_INSERTED + ROWS_UPDATED + ROWS_DELETED"
                                   " FROM information_schema.USER_STATISTICS"));
    for (const SqlRow& row : rows) {
      UserCounters& user = counters.users[row.String(0)];
      user.selects = row.Int(1);
      user.updates = row.Int(2);
      user.others = row.Int(3);
      user.busy_seconds = static_cast<double>(row.Int(4)) / 1e6;
      user.cpu_seconds = static_cast<double>(row.Int(5)) / 1e6;
      user.rows_read = row.Int(6);
      user.rows_changed = row.Int(7);
    }
    return absl::OkStatus();
  });
  if (!status.ok())
    fprintf(stderr, "reading the server's counters: %s\n", status.ToString().c_str());
  counters.at = absl::Now();
  counters.mariadbd_cpu = ProcessCpu(pid_);
  return counters;
}

absl::Status BenchMariaDb::GeneralLog(bool on, const std::string& path) {
  for (char c : path) {
    if (c == '\'' || c == '\\') return absl::InvalidArgumentError("bad log path");
  }
  return root_->RunInSession([&](Session& s) -> absl::Status {
    if (!on) return s.ExecuteUnprepared("SET GLOBAL general_log = 0");
    RETURN_IF_ERROR(s.ExecuteUnprepared("SET GLOBAL log_output = 'FILE'"));
    RETURN_IF_ERROR(
        s.ExecuteUnprepared(absl::StrCat("SET GLOBAL general_log_file = '", path, "'")));
    return s.ExecuteUnprepared("SET GLOBAL general_log = 1");
  });
}

}  // namespace citecheck::bench

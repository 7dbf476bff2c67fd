#include "server/storage/mysql_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/random/random.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cppconn/connection.h"
#include "cppconn/datatype.h"
#include "cppconn/exception.h"
#include "cppconn/prepared_statement.h"
#include "cppconn/resultset.h"
#include "cppconn/resultset_metadata.h"
#include "cppconn/statement.h"
#include "mysql_driver.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/common/logging.h"
#include "server/common/service_metrics.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace storage_internal {

// One connection and the statements prepared on it. The statements die first (they belong to
// the connection); a lost connection is dropped whole, so no statement outlives its server
// session.
struct Connection {
  std::unique_ptr<sql::Connection> conn;
  absl::flat_hash_map<std::string, std::unique_ptr<sql::PreparedStatement>> statements;
  bool autocommit = true;  // the connector's default
  std::optional<IsolationLevel> isolation;
  int64_t id = -1;  // CONNECTION_ID(), once asked

  ~Connection() {
    statements.clear();
    conn.reset();
  }
};

// One thread's connection of one pool. The owning thread uses it (holding mu) inside
// RunInTransaction / RunInSession; the pool's destructor and the thread's exit close it.
struct Slot {
  absl::Mutex mu;
  std::unique_ptr<Connection> connection ABSL_GUARDED_BY(mu);
  bool pool_gone ABSL_GUARDED_BY(mu) = false;
  std::atomic<bool> busy{false};  // a body of this thread is running (nested use check)
};

}  // namespace storage_internal

using storage_internal::Connection;
using storage_internal::Slot;

namespace {

// The connector's driver: created once (get_driver_instance is not safe to race).
sql::mysql::MySQL_Driver* Driver() {
  static sql::mysql::MySQL_Driver* const driver = sql::mysql::get_mysql_driver_instance();
  return driver;
}

// The connections of the current thread, by pool id. Constructed on the thread's first use of
// any pool (threadInit), destroyed when the thread exits (connections closed, then threadEnd).
class ThreadConnections {
 public:
  ThreadConnections() { Driver()->threadInit(); }

  ~ThreadConnections() {
    for (auto& [pool_id, slot] : slots_) {
      absl::MutexLock lock(&slot->mu);
      slot->connection.reset();
    }
    slots_.clear();
    Driver()->threadEnd();
  }

  std::shared_ptr<Slot> Find(uint64_t pool_id) const {
    auto it = slots_.find(pool_id);
    return it == slots_.end() ? nullptr : it->second;
  }

  void Add(uint64_t pool_id, std::shared_ptr<Slot> slot) {
    // Forget the slots of destroyed pools.
    for (auto it = slots_.begin(); it != slots_.end();) {
      bool gone;
      {
        absl::MutexLock lock(&it->second->mu);
        gone = it->second->pool_gone;
      }
      if (gone) {
        slots_.erase(it++);
      } else {
        ++it;
      }
    }
    slots_[pool_id] = std::move(slot);
  }

 private:
  absl::flat_hash_map<uint64_t, std::shared_ptr<Slot>> slots_;
};

ThreadConnections& CurrentThread() {
  thread_local ThreadConnections connections;
  return connections;
}

std::atomic<uint64_t> next_pool_id{1};

constexpr absl::string_view kRetryPayloadUrl = "type.citecheck/storage.RetryTransaction";

// Errors that leave the connection unusable: replace it and rerun.
bool IsConnectionLoss(int code) {
  switch (code) {
    case 1040:  // ER_CON_COUNT_ERROR: too many connections
    case 1053:  // ER_SERVER_SHUTDOWN
    case 1927:  // ER_CONNECTION_KILLED (MariaDB)
    case 2002:  // CR_CONNECTION_ERROR: socket refused
    case 2003:  // CR_CONN_HOST_ERROR: TCP refused
    case 2005:  // CR_UNKNOWN_HOST
    case 2006:  // CR_SERVER_GONE_ERROR
    case 2013:  // CR_SERVER_LOST
    case 2055:  // CR_SERVER_LOST_EXTENDED
    case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT
      return true;
    default:
      return false;
  }
}

// Errors that undo the transaction's work but leave the connection fine: rerun.
bool IsConflict(int code) {
  return code == 1213 /* ER_LOCK_DEADLOCK */ || code == 1205 /* ER_LOCK_WAIT_TIMEOUT */;
}

absl::string_view Describe(int code) {
  switch (code) {
    case 1040:
      return "too many connections";
    case 1044:
      return "access denied to the database";
    case 1045:
      return "access denied";
    case 1049:
      return "unknown database";
    case 1053:
      return "server shutting down";
    case 1062:
      return "duplicate key";
    case 1146:
      return "no such table";
    case 1205:
      return "lock wait timeout";
    case 1213:
      return "deadlock";
    case 1927:
      return "connection killed";
    case 2002:
      return "cannot connect through the socket";
    case 2003:
      return "cannot connect";
    case 2005:
      return "unknown host";
    case 2006:
      return "server has gone away";
    case 2013:
      return "lost connection";
    case 4025:
      return "CHECK constraint failed";
    default:
      return "";
  }
}

// The status for connector error `code`: no SQL text, no values.
absl::Status StatusForCode(int code, absl::string_view state) {
  const absl::string_view what = Describe(code);
  std::string message = absl::StrCat("storage: MySQL error ", code, " (SQLSTATE ", state,
                                     what.empty() ? "" : ", ", what, ")");
  if (IsConnectionLoss(code)) {
    absl::Status unavailable =
        MakeError(absl::StatusCode::kUnavailable, reason::kDatabaseUnavailable, message);
    AddRetryInfo(unavailable, absl::Seconds(1));
    return unavailable;
  }
  if (IsConflict(code)) return absl::AbortedError(message);
  return absl::InternalError(message);
}

void LogSqlError(absl::string_view where, const sql::SQLException& e) {
  // The connector's text may quote values (e.g. a duplicate key): debug level only.
  spdlog::debug("storage: {} failed: MySQL error {} ({}): {}", std::string(where), e.getErrorCode(),
                e.getSQLState(), ClientValueForLog(e.what(), 512));
}

sql::PreparedStatement& Prepared(Connection& c, absl::string_view sql) {
  auto it = c.statements.find(sql);
  if (it != c.statements.end()) return *it->second;
  std::unique_ptr<sql::PreparedStatement> statement(
      c.conn->prepareStatement(sql::SQLString(sql.data(), sql.size())));
  return *c.statements.emplace(std::string(sql), std::move(statement)).first->second;
}

void Bind(sql::PreparedStatement& statement, absl::Span<const SqlValue> params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const unsigned int index = static_cast<unsigned int>(i + 1);
    const SqlValue& value = params[i];
    if (const int64_t* n = value.as_int()) {
      statement.setInt64(index, *n);
    } else if (const std::string* s = value.as_string()) {
      statement.setString(index, sql::SQLString(*s));
    } else {
      statement.setNull(index, sql::DataType::VARCHAR);
    }
  }
}

// Runs COMMIT or ROLLBACK as a statement: Connector/C++ 1.1's Connection::commit() and
// rollback() ignore the server's answer, so a COMMIT lost with its connection (rolled back)
// would pass for done. The statement throws like any other. `sql` is a constant.
void EndTransaction(Connection& c, const char* sql) {
  std::unique_ptr<sql::Statement> statement(c.conn->createStatement());
  statement->execute(sql::SQLString(sql));
}

// Rolls back, swallowing errors; false when the connection is no longer usable.
bool RollbackQuietly(Connection& c) {
  try {
    EndTransaction(c, "ROLLBACK");
    return true;
  } catch (const sql::SQLException& e) {
    LogSqlError("rollback", e);
    return false;
  }
}

absl::string_view IsolationSql(IsolationLevel level) {
  switch (level) {
    case IsolationLevel::kReadCommitted:
      return "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
    case IsolationLevel::kRepeatableRead:
      return "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ";
    case IsolationLevel::kSerializable:
      return "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE";
  }
  return "";
}

int WholeSeconds(absl::Duration d) {
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Seconds(d), 1, 365 * 24 * 3600));
}

}  // namespace

// ---- SqlRow ----------------------------------------------------------------------------------

const std::string& SqlRow::String(size_t i) const {
  static const std::string* const kEmpty = new std::string();
  const std::optional<std::string>& column = columns_.at(i);
  return column.has_value() ? *column : *kEmpty;
}

int64_t SqlRow::Int(size_t i) const { return OptionalInt(i).value_or(0); }

std::optional<int64_t> SqlRow::OptionalInt(size_t i) const {
  const std::optional<std::string>& column = columns_.at(i);
  if (!column.has_value()) return std::nullopt;
  int64_t value = 0;
  if (absl::SimpleAtoi(*column, &value)) return value;
  // An integral DECIMAL (e.g. a SUM) may come as "12.000".
  double d = 0;
  if (absl::SimpleAtod(*column, &d)) return static_cast<int64_t>(d);
  return 0;
}

// ---- Session ---------------------------------------------------------------------------------

absl::Status Session::Fail(int code, absl::string_view state) {
  if (failure_.ok()) {
    failed_code_ = code;
    failure_ = StatusForCode(code, state);
  }
  return failure_;
}

absl::StatusOr<int64_t> Session::Execute(absl::string_view sql, absl::Span<const SqlValue> params) {
  if (!failure_.ok()) return failure_;
  try {
    sql::PreparedStatement& statement = Prepared(*connection_, sql);
    Bind(statement, params);
    return int64_t{statement.executeUpdate()};
  } catch (const sql::SQLException& e) {
    LogSqlError("statement", e);
    return Fail(e.getErrorCode(), e.getSQLState());
  }
}

absl::StatusOr<bool> Session::InsertUnlessDuplicate(absl::string_view sql,
                                                    absl::Span<const SqlValue> params) {
  if (!failure_.ok()) return failure_;
  try {
    sql::PreparedStatement& statement = Prepared(*connection_, sql);
    Bind(statement, params);
    statement.executeUpdate();
    return true;
  } catch (const sql::SQLException& e) {
    if (e.getErrorCode() == 1062) return false;  // ER_DUP_ENTRY: only the statement is undone
    LogSqlError("insert", e);
    return Fail(e.getErrorCode(), e.getSQLState());
  }
}

absl::StatusOr<std::vector<SqlRow>> Session::Query(absl::string_view sql,
                                                   absl::Span<const SqlValue> params) {
  if (!failure_.ok()) return failure_;
  try {
    sql::PreparedStatement& statement = Prepared(*connection_, sql);
    Bind(statement, params);
    std::unique_ptr<sql::ResultSet> result(statement.executeQuery());
    const unsigned int columns = result->getMetaData()->getColumnCount();  // owned by result
    std::vector<SqlRow> rows;
    rows.reserve(result->rowsCount());
    while (result->next()) {
      std::vector<std::optional<std::string>> values;
      values.reserve(columns);
      for (unsigned int i = 1; i <= columns; ++i) {
        sql::SQLString text = result->getString(i);
        if (result->wasNull()) {
          values.emplace_back(std::nullopt);
        } else {
          values.emplace_back(text.asStdString());
        }
      }
      rows.emplace_back(std::move(values));
    }
    return rows;
  } catch (const sql::SQLException& e) {
    LogSqlError("query", e);
    return Fail(e.getErrorCode(), e.getSQLState());
  }
}

absl::StatusOr<std::optional<SqlRow>> Session::QueryRow(absl::string_view sql,
                                                        absl::Span<const SqlValue> params) {
  absl::StatusOr<std::vector<SqlRow>> rows = Query(sql, params);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<SqlRow>();
  return std::optional<SqlRow>(std::move(rows->front()));
}

absl::Status Session::ExecuteUnprepared(absl::string_view sql) {
  if (!failure_.ok()) return failure_;
  try {
    std::unique_ptr<sql::Statement> statement(connection_->conn->createStatement());
    if (statement->execute(sql::SQLString(sql.data(), sql.size()))) {
      std::unique_ptr<sql::ResultSet> ignored(statement->getResultSet());
    }
    return absl::OkStatus();
  } catch (const sql::SQLException& e) {
    LogSqlError("unprepared statement", e);
    return Fail(e.getErrorCode(), e.getSQLState());
  }
}

absl::StatusOr<int64_t> Session::ConnectionId() {
  if (connection_->id >= 0) return connection_->id;
  absl::StatusOr<std::optional<SqlRow>> row = QueryRow("SELECT CONNECTION_ID()");
  if (!row.ok()) return row.status();
  if (!row->has_value()) return absl::InternalError("storage: CONNECTION_ID() returned no row");
  connection_->id = (*row)->Int(0);
  return connection_->id;
}

// ---- RetryTransaction ------------------------------------------------------------------------

absl::Status RetryTransaction(absl::string_view why) {
  absl::Status status = absl::AbortedError(absl::StrCat("storage: transaction rerun: ", why));
  status.SetPayload(kRetryPayloadUrl, absl::Cord("1"));
  return status;
}

bool IsRetryTransaction(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kRetryPayloadUrl).has_value();
}

// ---- MysqlPool -------------------------------------------------------------------------------

// How one attempt of a transaction ended.
struct MysqlPool::Attempt {
  enum class Outcome { kDone, kRerunOnNewConnection, kRerun };
  Outcome outcome = Outcome::kDone;
  absl::Status status;
  bool drop_connection = false;
};

MysqlPool::MysqlPool(const MysqlUrl& url, const MysqlPoolOptions& options)
    : id_(next_pool_id.fetch_add(1)), url_(url), options_(options) {}

absl::StatusOr<std::unique_ptr<MysqlPool>> MysqlPool::Create(const MysqlUrl& url,
                                                             const MysqlPoolOptions& options) {
  std::unique_ptr<MysqlPool> pool = absl::WrapUnique(new MysqlPool(url, options));
  absl::Status status = pool->RunInSession([](Session& s) { return s.ConnectionId().status(); });
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("cannot use ", url.Redacted(), ": ", status.message()));
  }
  return pool;
}

MysqlPool::~MysqlPool() {
  // No CurrentThread() here: a pool destroyed during static destruction may run after this
  // thread's thread_locals are gone; closing a connection needs no per-thread state.
  absl::MutexLock lock(&mu_);
  for (const std::weak_ptr<Slot>& weak : slots_) {
    std::shared_ptr<Slot> slot = weak.lock();
    if (slot == nullptr) continue;
    absl::MutexLock slot_lock(&slot->mu);
    slot->connection.reset();
    slot->pool_gone = true;
  }
}

MysqlPool::Stats MysqlPool::stats() const {
  Stats stats;
  stats.connections_opened = connections_opened_.load();
  stats.reruns_after_connection_loss = reruns_connection_.load();
  stats.reruns_after_conflict = reruns_conflict_.load();
  return stats;
}

std::shared_ptr<Slot> MysqlPool::ThreadSlot() {
  ThreadConnections& thread = CurrentThread();
  if (std::shared_ptr<Slot> slot = thread.Find(id_)) return slot;
  auto slot = std::make_shared<Slot>();
  {
    absl::MutexLock lock(&mu_);
    slots_.erase(std::remove_if(slots_.begin(), slots_.end(),
                                [](const std::weak_ptr<Slot>& w) { return w.expired(); }),
                 slots_.end());
    slots_.push_back(slot);
  }
  thread.Add(id_, slot);
  return slot;
}

absl::StatusOr<std::unique_ptr<Connection>> MysqlPool::Connect() {
  sql::ConnectOptionsMap options;
  if (url_.is_socket()) {
    options["hostName"] = sql::SQLString("localhost");
    options["socket"] = sql::SQLString(url_.socket);
  } else {
    const std::string host =
        url_.host.find(':') != std::string::npos ? absl::StrCat("[", url_.host, "]") : url_.host;
    options["hostName"] = sql::SQLString(absl::StrCat("tcp://", host, ":", url_.port));
  }
  options["userName"] = sql::SQLString(url_.user);
  options["password"] = sql::SQLString(url_.password);
  options["schema"] = sql::SQLString(url_.database);
  options["OPT_CONNECT_TIMEOUT"] = WholeSeconds(options_.connect_timeout);
  options["OPT_READ_TIMEOUT"] = WholeSeconds(options_.read_timeout);
  options["OPT_WRITE_TIMEOUT"] = WholeSeconds(options_.write_timeout);
  options["OPT_CHARSET_NAME"] = sql::SQLString("utf8mb4");
  // Never OPT_RECONNECT: a silent reconnect would lose the open transaction.

  auto connection = std::make_unique<Connection>();
  try {
    connection->conn.reset(Driver()->connect(options));
    std::unique_ptr<sql::Statement> statement(connection->conn->createStatement());
    statement->execute("SET time_zone = '+00:00'");
    statement->execute(
        "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,"
        "ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'");
    std::unique_ptr<sql::PreparedStatement> lock_wait(
        connection->conn->prepareStatement("SET SESSION innodb_lock_wait_timeout = ?"));
    lock_wait->setInt(1, WholeSeconds(options_.lock_wait_timeout));
    lock_wait->execute();
    if (options_.idle_transaction_timeout > absl::ZeroDuration()) {
      std::unique_ptr<sql::PreparedStatement> idle(
          connection->conn->prepareStatement("SET SESSION idle_transaction_timeout = ?"));
      idle->setInt(1, WholeSeconds(options_.idle_transaction_timeout));
      idle->execute();
    }
  } catch (const sql::SQLException& e) {
    LogSqlError("connect", e);
    return StatusForCode(e.getErrorCode(), e.getSQLState());
  }
  connections_opened_.fetch_add(1);
  return connection;
}

void MysqlPool::Backoff(int rerun) {
  thread_local absl::BitGen gen;
  const double jitter = absl::Uniform(gen, 0.5, 1.5);
  absl::SleepFor(options_.initial_backoff * (int64_t{1} << std::min(rerun, 10)) * jitter);
}

MysqlPool::Attempt MysqlPool::RunAttempt(Connection& c,
                                         absl::FunctionRef<absl::Status(Transaction&)> body,
                                         const TransactionOptions& options) {
  Attempt attempt;
  // Classifies the failure `status` of MySQL error `code`.
  auto failed = [&](int code, absl::Status status) {
    attempt.status = std::move(status);
    if (IsConnectionLoss(code)) {
      attempt.outcome = Attempt::Outcome::kRerunOnNewConnection;
      attempt.drop_connection = true;
    } else {
      attempt.outcome = IsConflict(code) ? Attempt::Outcome::kRerun : Attempt::Outcome::kDone;
      attempt.drop_connection = !RollbackQuietly(c);
    }
    return attempt;
  };

  try {
    if (c.autocommit) {
      c.conn->setAutoCommit(false);
      c.autocommit = false;
    }
    if (c.isolation != options.isolation) {
      std::unique_ptr<sql::Statement> statement(c.conn->createStatement());
      statement->execute(sql::SQLString(std::string(IsolationSql(options.isolation))));
      c.isolation = options.isolation;
    }
  } catch (const sql::SQLException& e) {
    LogSqlError("begin", e);
    return failed(e.getErrorCode(), StatusForCode(e.getErrorCode(), e.getSQLState()));
  }

  Transaction transaction(&c);
  absl::Status body_status;
  try {
    body_status = body(transaction);
  } catch (const sql::SQLException& e) {  // Session catches these; defence in depth
    LogSqlError("transaction body", e);
    transaction.Fail(e.getErrorCode(), e.getSQLState()).IgnoreError();
  } catch (const std::exception& e) {
    spdlog::error("storage: unexpected exception in a transaction body: {}",
                  ClientValueForLog(e.what(), 512));
    attempt.drop_connection = !RollbackQuietly(c);
    attempt.status = absl::InternalError("storage: unexpected exception in a transaction");
    return attempt;
  }
  if (!transaction.failure().ok()) {
    return failed(transaction.failed_code_, transaction.failure());
  }
  if (!body_status.ok()) {
    attempt.drop_connection = !RollbackQuietly(c);
    attempt.outcome =
        IsRetryTransaction(body_status) ? Attempt::Outcome::kRerun : Attempt::Outcome::kDone;
    attempt.status = std::move(body_status);
    return attempt;
  }
  try {
    EndTransaction(c, "COMMIT");
  } catch (const sql::SQLException& e) {
    // A lost connection here leaves the outcome unknown; the rerun finds the committed keys.
    LogSqlError("commit", e);
    return failed(e.getErrorCode(), StatusForCode(e.getErrorCode(), e.getSQLState()));
  }
  attempt.status = absl::OkStatus();
  return attempt;
}

absl::Status MysqlPool::RunInTransaction(absl::FunctionRef<absl::Status(Transaction&)> body,
                                         const TransactionOptions& options) {
  std::shared_ptr<Slot> slot = ThreadSlot();
  if (slot->busy.exchange(true)) {
    return absl::FailedPreconditionError("storage: nested use of a MysqlPool on one thread");
  }
  absl::Cleanup not_busy = [&slot] { slot->busy.store(false); };
  absl::MutexLock lock(&slot->mu);
  // citecheck_db_transactions_total / citecheck_db_transaction_seconds.
  const absl::Time started = absl::Now();
  const auto done = [started](absl::Status status) {
    ServiceMetrics::Get().DbTransactionDone(status, absl::Now() - started);
    return status;
  };

  const int attempts = std::max(1, options.max_attempts);
  absl::Status last;
  for (int i = 0; i < attempts; ++i) {
    if (i > 0) {
      if (absl::Now() >= options.deadline) break;
      Backoff(i - 1);
    }
    if (slot->connection == nullptr) {
      absl::StatusOr<std::unique_ptr<Connection>> connection = Connect();
      if (!connection.ok()) {
        last = connection.status();
        if (last.code() != absl::StatusCode::kUnavailable) return done(last);
        if (i + 1 < attempts) {
          reruns_connection_.fetch_add(1);
          ServiceMetrics::Get().DbTransactionRetried();
        }
        continue;
      }
      slot->connection = *std::move(connection);
    }
    Attempt attempt = RunAttempt(*slot->connection, body, options);
    if (attempt.drop_connection) slot->connection.reset();
    if (attempt.outcome == Attempt::Outcome::kDone) return done(attempt.status);
    if (i + 1 < attempts) {
      (attempt.outcome == Attempt::Outcome::kRerun ? reruns_conflict_ : reruns_connection_)
          .fetch_add(1);
      ServiceMetrics::Get().DbTransactionRetried();
    }
    last = std::move(attempt.status);
  }
  return done(last);  // with its payloads (e.g. DATABASE_UNAVAILABLE's ErrorInfo and RetryInfo)
}

absl::Status MysqlPool::RunInSession(absl::FunctionRef<absl::Status(Session&)> body) {
  std::shared_ptr<Slot> slot = ThreadSlot();
  if (slot->busy.exchange(true)) {
    return absl::FailedPreconditionError("storage: nested use of a MysqlPool on one thread");
  }
  absl::Cleanup not_busy = [&slot] { slot->busy.store(false); };
  absl::MutexLock lock(&slot->mu);

  if (slot->connection == nullptr) {
    absl::StatusOr<std::unique_ptr<Connection>> connection = Connect();
    if (!connection.ok()) return connection.status();
    slot->connection = *std::move(connection);
  }
  Connection& c = *slot->connection;
  try {
    if (!c.autocommit) {
      c.conn->setAutoCommit(true);
      c.autocommit = true;
    }
  } catch (const sql::SQLException& e) {
    LogSqlError("autocommit", e);
    slot->connection.reset();
    return StatusForCode(e.getErrorCode(), e.getSQLState());
  }

  Session session(&c);
  absl::Status status;
  try {
    status = body(session);
  } catch (const sql::SQLException& e) {  // Session catches these; defence in depth
    LogSqlError("session body", e);
    session.Fail(e.getErrorCode(), e.getSQLState()).IgnoreError();
  } catch (const std::exception& e) {
    spdlog::error("storage: unexpected exception in a session body: {}",
                  ClientValueForLog(e.what(), 512));
    slot->connection.reset();
    return absl::InternalError("storage: unexpected exception in a session");
  }
  if (!session.failure().ok()) {
    // Dropped on any error: the server then frees what the session held (e.g. GET_LOCK).
    slot->connection.reset();
    // The body's error may add context to the statement's.
    return status.ok() ? session.failure() : status;
  }
  return status;
}

void AppendInList(std::string* sql, std::vector<SqlValue>* params,
                  absl::Span<const SqlValue> values, int row_width) {
  const size_t width = static_cast<size_t>(std::max(row_width, 1));
  const size_t rows = values.size() / width;
  size_t padded = 1;
  while (padded < rows) padded *= 2;
  std::string row = "?";
  if (width > 1) {
    row = "(?";
    for (size_t i = 1; i < width; ++i) row.append(", ?");
    row.append(")");
  }
  sql->append("(");
  for (size_t i = 0; i < padded; ++i) absl::StrAppend(sql, i == 0 ? "" : ", ", row);
  sql->append(")");
  params->insert(params->end(), values.begin(), values.end());
  for (size_t i = rows; i < padded; ++i)
    params->insert(params->end(), values.end() - width, values.end());
}

absl::StatusOr<int64_t> ExecuteMultiRow(Session& session, absl::string_view head,
                                        absl::string_view row, absl::string_view tail,
                                        int row_width, absl::Span<const SqlValue> values) {
  constexpr int kMaxLog = 7;
  const int rows = static_cast<int>(values.size()) / row_width;
  int64_t affected = 0;
  for (int next = 0; next < rows;) {
    int k = kMaxLog;
    while ((1 << k) > rows - next) --k;
    std::string sql = absl::StrCat(head, " VALUES ");
    for (int i = 0; i < (1 << k); ++i) absl::StrAppend(&sql, i == 0 ? "" : ", ", row);
    absl::StrAppend(&sql, tail.empty() ? "" : " ", tail);
    absl::StatusOr<int64_t> n =
        session.Execute(sql, values.subspan(static_cast<size_t>(next) * row_width,
                                            static_cast<size_t>(1 << k) * row_width));
    if (!n.ok()) return n.status();
    affected += *n;
    next += 1 << k;
  }
  return affected;
}

std::string StorageKey(const std::string& key, size_t max_bytes) {
  if (key.size() <= max_bytes) return key;
  return absl::StrCat("sha256:", Sha256Hex(key));
}

std::string ToSqlDatetime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S", t, absl::UTCTimeZone());
}

}  // namespace citecheck

#ifndef CITECHECK_SERVER_STORAGE_MYSQL_POOL_H_
#define CITECHECK_SERVER_STORAGE_MYSQL_POOL_H_

// Connections to MySQL/MariaDB (Connector/C++ 1.1) and transactions over them. Everything of
// the connector stays in mysql_pool.cc: callers see absl::Status, SqlValue and SqlRow, and no
// sql::SQLException ever leaves this library.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/storage/mysql_url.h"

namespace citecheck {

namespace storage_internal {
struct Connection;  // one sql::Connection and its prepared statements (mysql_pool.cc)
struct Slot;        // one thread's connection of one pool (mysql_pool.cc)
}  // namespace storage_internal

// A value bound to one `?` of a statement: NULL, an integer or bytes.
class SqlValue {
 public:
  SqlValue(std::nullptr_t) {}                                        // NOLINT: NULL
  SqlValue(int value) : value_(int64_t{value}) {}                    // NOLINT
  SqlValue(int64_t value) : value_(value) {}                         // NOLINT
  SqlValue(absl::string_view value) : value_(std::string(value)) {}  // NOLINT
  SqlValue(const std::string& value) : value_(value) {}              // NOLINT
  SqlValue(const char* value) : value_(std::string(value)) {}        // NOLINT

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  const int64_t* as_int() const { return std::get_if<int64_t>(&value_); }
  const std::string* as_string() const { return std::get_if<std::string>(&value_); }

 private:
  std::variant<std::monostate, int64_t, std::string> value_;
};

// One row of a result, every column read as text (integers in decimal) or NULL.
class SqlRow {
 public:
  explicit SqlRow(std::vector<std::optional<std::string>> columns) : columns_(std::move(columns)) {}

  size_t size() const { return columns_.size(); }
  bool IsNull(size_t i) const { return !columns_.at(i).has_value(); }
  // The column's text; "" for NULL.
  const std::string& String(size_t i) const;
  // The column as an integer; 0 for NULL. REQUIRES: an integer (or integral DECIMAL) column.
  int64_t Int(size_t i) const;
  // The column as an integer, or nullopt for NULL.
  std::optional<int64_t> OptionalInt(size_t i) const;

 private:
  std::vector<std::optional<std::string>> columns_;
};

// The statements of one connection, as the bodies of MysqlPool::RunInTransaction and
// RunInSession see them. Every method runs ONE statement, prepared once per connection (the
// cache is keyed by the SQL text and dies with the connection), with `params` bound to its
// `?` in order: values are never spliced into SQL text.
//
// A database error fails the session: the failing call returns it (UNAVAILABLE when the
// connection is lost, ABORTED for a deadlock or lock wait timeout, INTERNAL otherwise; the
// message names the MySQL error number, never SQL text or values) and every later call returns
// the same error without touching the database. Bodies should return it; whatever they return,
// the runner decides by the recorded error (retry or give up), never commits after one.
//
// Not thread-safe: used only by the thread running the body, only during the body.
class Session {
 public:
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Runs a statement that returns no rows; returns the affected rows (an UPDATE counts only
  // rows it changed; INSERT ... ON DUPLICATE KEY UPDATE counts 1 per insert, 2 per change).
  absl::StatusOr<int64_t> Execute(absl::string_view sql, absl::Span<const SqlValue> params = {});

  // Like Execute for an INSERT whose collision with a unique key is an expected outcome: false
  // on ER_DUP_ENTRY (1062). Only the statement is undone; the session stays usable.
  absl::StatusOr<bool> InsertUnlessDuplicate(absl::string_view sql,
                                             absl::Span<const SqlValue> params = {});

  // Runs a query and returns all its rows.
  absl::StatusOr<std::vector<SqlRow>> Query(absl::string_view sql,
                                            absl::Span<const SqlValue> params = {});

  // Runs a query expected to return at most one row: the first row, or nullopt when none.
  absl::StatusOr<std::optional<SqlRow>> QueryRow(absl::string_view sql,
                                                 absl::Span<const SqlValue> params = {});

  // Runs a statement without parameters as plain text, unprepared (DDL, SET). NEVER build
  // `sql` from values; it is meant for constant text and validated identifiers.
  absl::Status ExecuteUnprepared(absl::string_view sql);

  // The server's id of this connection (CONNECTION_ID()).
  absl::StatusOr<int64_t> ConnectionId();

  // OK, or the error that failed this session.
  const absl::Status& failure() const { return failure_; }

 protected:
  explicit Session(storage_internal::Connection* connection) : connection_(connection) {}

 private:
  friend class MysqlPool;

  // Records the connector error `code` (with SQLSTATE `state`) as this session's failure.
  absl::Status Fail(int code, absl::string_view state);

  storage_internal::Connection* connection_;  // not owned
  absl::Status failure_;
  int failed_code_ = 0;  // the MySQL error number of failure_
};

// The session of one transaction (autocommit off): committed when the body returns OK.
class Transaction final : public Session {
 private:
  friend class MysqlPool;
  using Session::Session;
};

enum class IsolationLevel { kReadCommitted, kRepeatableRead, kSerializable };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::kRepeatableRead;
  // Runs of the body at most, counting the first. Reruns follow a lost connection (on a new
  // connection), a deadlock (1213), a lock wait timeout (1205) or a body's RetryTransaction.
  int max_attempts = 5;
  // No rerun starts at or after this instant (the last error is returned instead), so that a
  // caller with a deadline (an RPC) gets its answer in time while the database is unreachable.
  absl::Time deadline = absl::InfiniteFuture();
};

struct MysqlPoolOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  // How long one statement may wait for the server before the connection counts as lost. Keep
  // it well above lock_wait_timeout.
  absl::Duration read_timeout = absl::Seconds(60);
  absl::Duration write_timeout = absl::Seconds(60);
  // innodb_lock_wait_timeout of every session (whole seconds, at least 1).
  absl::Duration lock_wait_timeout = absl::Seconds(10);
  // Reruns wait initial_backoff * 2^k (k = reruns so far), times a jitter in [0.5, 1.5).
  absl::Duration initial_backoff = absl::Milliseconds(10);
  // idle_transaction_timeout of every session (whole seconds; 0 = the server's default, none):
  // the server ends a connection that sits inside an open transaction this long, so that a
  // frozen process (SIGSTOP) cannot hold row locks for long.
  absl::Duration idle_transaction_timeout = absl::Seconds(10);
};

// A body's request to roll back and run the whole transaction again, e.g. after losing a race
// to insert a unique key that a rerun will find (counts against max_attempts; ABORTED when
// they run out).
absl::Status RetryTransaction(absl::string_view why);
bool IsRetryTransaction(const absl::Status& status);

// Connections to one database: one connection per thread, opened lazily on the thread's first
// transaction (after the connector's threadInit for that thread) and kept until the thread
// exits (then closed, and threadEnd called) or the pool is destroyed. A lost connection is
// dropped with its prepared statements and reopened by the next attempt. Connections never
// auto-reconnect (that would lose the open transaction silently), use utf8mb4, time_zone
// '+00:00', a strict sql_mode and innodb_lock_wait_timeout from the options.
//
// Thread-safe. Each thread holds its own connection, so the number of connections is the
// number of threads that ever used the pool. Bodies must not use the pool they run in (a
// nested call returns FAILED_PRECONDITION). Lock order: MysqlPool::mu_ before a slot's mutex.
class MysqlPool {
 public:
  // Connects once, on the calling thread, to check the address and the credentials:
  // UNAVAILABLE when the server cannot be reached, INTERNAL for other failures (bad password,
  // unknown database); messages name the redacted URL and the MySQL error number.
  static absl::StatusOr<std::unique_ptr<MysqlPool>> Create(const MysqlUrl& url,
                                                           const MysqlPoolOptions& options = {});

  // Closes every thread's connection. REQUIRES: no thread is inside the pool.
  ~MysqlPool();

  MysqlPool(const MysqlPool&) = delete;
  MysqlPool& operator=(const MysqlPool&) = delete;

  // Runs `body` in a transaction on this thread's connection and commits it when the body
  // returns OK. When the body returns an error the transaction is rolled back and the error
  // returned unchanged (RetryTransaction: rerun). On a lost connection (2006, 2013, ...) the
  // connection is replaced and the WHOLE body rerun; on a deadlock (1213) or lock wait timeout
  // (1205) it is rolled back and rerun after a backoff. A lost connection during COMMIT may
  // have committed: a body may therefore run again after its work was committed, so bodies must
  // be idempotent (keyed writes; every body of the account store is). Errors after the last
  // attempt: UNAVAILABLE (connection), ABORTED (conflicts), INTERNAL (anything else; no SQL
  // text in messages). `body` must not keep the Transaction.
  absl::Status RunInTransaction(absl::FunctionRef<absl::Status(Transaction&)> body,
                                const TransactionOptions& options = {});

  // Runs `body` once on this thread's connection in autocommit mode (each statement commits
  // by itself): for work that needs one session across statements, e.g. GET_LOCK and DDL.
  // No retries. After a failed statement the connection is closed (so the server frees what
  // the session held, e.g. named locks); the body's error is returned, or the statement's when
  // the body returned OK.
  absl::Status RunInSession(absl::FunctionRef<absl::Status(Session&)> body);

  const MysqlUrl& url() const { return url_; }

  // Counters since creation, for tests and logs.
  struct Stats {
    int64_t connections_opened = 0;
    int64_t reruns_after_connection_loss = 0;
    int64_t reruns_after_conflict = 0;  // deadlocks, lock wait timeouts, RetryTransaction
  };
  Stats stats() const;

 private:
  MysqlPool(const MysqlUrl& url, const MysqlPoolOptions& options);

  // This thread's slot, registered on first use.
  std::shared_ptr<storage_internal::Slot> ThreadSlot();
  // Opens a connection (on the calling thread).
  absl::StatusOr<std::unique_ptr<storage_internal::Connection>> Connect();
  // Sleeps before rerun number `rerun` (0-based).
  void Backoff(int rerun);
  // One run of a transaction body on `connection`.
  struct Attempt;
  Attempt RunAttempt(storage_internal::Connection& connection,
                     absl::FunctionRef<absl::Status(Transaction&)> body,
                     const TransactionOptions& options);

  const uint64_t id_;  // unique per pool in the process; keys the thread-local connections
  const MysqlUrl url_;
  const MysqlPoolOptions options_;

  absl::Mutex mu_;
  std::vector<std::weak_ptr<storage_internal::Slot>> slots_ ABSL_GUARDED_BY(mu_);

  std::atomic<int64_t> connections_opened_{0};
  std::atomic<int64_t> reruns_connection_{0};
  std::atomic<int64_t> reruns_conflict_{0};
};

// Appends "(?, ?, ...)" for `values` to `sql` and the values to `params`, padded to the next
// power of two with copies of the last value (which an IN list ignores), so that statements
// over lists of any length share few texts in the per-connection statement cache. With
// `row_width` > 1 the values are rows of that many (in row order) and the list is
// "((?, ?), (?, ?), ...)", for "(a, b) IN ...", padded with copies of the last row.
// REQUIRES: !values.empty(); values.size() is a multiple of row_width.
void AppendInList(std::string* sql, std::vector<SqlValue>* params,
                  absl::Span<const SqlValue> values, int row_width = 1);

// Runs `head` VALUES row, row, ... `tail` over `values` (`row_width` values per row, in row
// order), where `row` is the placeholder group of one row, e.g. "(?, ?, ?)". Rows go in
// statements of 2^k rows (k <= 7), so that any count needs few statements and each statement
// text is prepared once per connection. Returns the sum of the affected rows. OK with no rows.
// REQUIRES: values.size() is a multiple of row_width.
absl::StatusOr<int64_t> ExecuteMultiRow(Session& session, absl::string_view head,
                                        absl::string_view row, absl::string_view tail,
                                        int row_width, absl::Span<const SqlValue> values);

// `key` as stored in a column of `max_bytes`: itself when it fits, else "sha256:<hex>" of it.
// Callers that key rows by client-supplied text use it so that any key fits its column.
std::string StorageKey(const std::string& key, size_t max_bytes);

// Formats `t` as a DATETIME(6) literal value in UTC ("2027-01-02 03:04:05.123456"), truncated
// to microseconds. Bind it as a string; never use NOW() (it depends on the session).
std::string ToSqlDatetime(absl::Time t);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_STORAGE_MYSQL_POOL_H_

#include "server/storage/mysql_pool.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck {
namespace {

// Waits until `counter` reaches `target` or 10 s pass.
void AwaitCount(const std::atomic<int>& counter, int target) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (counter.load() < target && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
}

class MysqlPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Execute("CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v BIGINT NOT NULL,"
                             " note VARBINARY(255) NULL) ENGINE=InnoDB")
                    .ok());
    absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(db_->url());
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
  }

  void TearDown() override {
    pool_.reset();
    db_.reset();
  }

  int64_t Count() { return db_->QueryInt("SELECT COUNT(*) FROM t"); }

  absl::Status Insert(Session& s, int id, int64_t v = 0) {
    return s.Execute("INSERT INTO t (id, v) VALUES (?, ?)", {id, v}).status();
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<MysqlPool> pool_;
};

TEST_F(MysqlPoolTest, CommitsWhatTheBodyWrote) {
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) {
    if (absl::Status s = Insert(tx, 1, 10); !s.ok()) return s;
    return Insert(tx, 2, 20);
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Count(), 2);  // seen from another connection: committed
  EXPECT_EQ(db_->QueryInt("SELECT SUM(v) FROM t"), 30);
}

TEST_F(MysqlPoolTest, BodyErrorRollsBackAndIsReturnedUnchanged) {
  int runs = 0;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) {
    ++runs;
    if (absl::Status s = Insert(tx, 1); !s.ok()) return s;
    return absl::InvalidArgumentError("the body says no");
  });
  EXPECT_EQ(status, absl::InvalidArgumentError("the body says no"));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Count(), 0);
  // The connection is still fine.
  ASSERT_TRUE(pool_->RunInTransaction([&](Transaction& tx) { return Insert(tx, 1); }).ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(MysqlPoolTest, SqlErrorIsInternalWithoutSqlTextAndNeverCommits) {
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    if (absl::Status s = Insert(tx, 1); !s.ok()) return s;
    absl::Status bad =
        tx.Execute("INSERT INTO no_such_table (x) VALUES (?)", {"secret-value"}).status();
    EXPECT_EQ(bad.code(), absl::StatusCode::kInternal);
    // Later statements return the same error without running.
    EXPECT_EQ(Insert(tx, 2), bad);
    return absl::OkStatus();  // a body that ignores the failure still does not commit
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal) << status;
  EXPECT_NE(status.message().find("1146"), absl::string_view::npos) << status;
  for (const char* leak : {"no_such_table", "secret-value", "INSERT"}) {
    EXPECT_EQ(status.message().find(leak), absl::string_view::npos) << status;
  }
  EXPECT_EQ(Count(), 0);
}

TEST_F(MysqlPoolTest, DuplicateKeyIsAnOrdinaryOutcomeOfInsertUnlessDuplicate) {
  std::vector<bool> outcomes;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    outcomes.clear();
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<bool> inserted =
          tx.InsertUnlessDuplicate("INSERT INTO t (id, v) VALUES (?, ?)", {7, i});
      if (!inserted.ok()) return inserted.status();
      outcomes.push_back(*inserted);
    }
    return Insert(tx, 8);  // the transaction goes on
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(outcomes, (std::vector<bool>{true, false}));
  EXPECT_EQ(Count(), 2);
  EXPECT_EQ(db_->QueryInt("SELECT v FROM t WHERE id = 7"), 0);
}

TEST_F(MysqlPoolTest, RetryTransactionRerunsTheWholeBody) {
  int runs = 0;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    ++runs;
    if (absl::Status s = Insert(tx, runs); !s.ok()) return s;
    if (runs == 1) return RetryTransaction("try again");
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(db_->QueryStrings("SELECT id FROM t"), std::vector<std::string>{"2"});
  EXPECT_EQ(pool_->stats().reruns_after_conflict, 1);

  runs = 0;
  TransactionOptions options;
  options.max_attempts = 3;
  status = pool_->RunInTransaction(
      [&](Transaction&) {
        ++runs;
        return RetryTransaction("never settles");
      },
      options);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted) << status;
  EXPECT_EQ(runs, 3);
}

TEST_F(MysqlPoolTest, DeadlockIsRetriedAndBothTransactionsCommit) {
  ASSERT_TRUE(db_->Execute("INSERT INTO t (id, v) VALUES (1, 0), (2, 0)").ok());
  std::atomic<int> first_rows_locked{0};
  std::atomic<int> runs{0};
  auto lock_both = [&](int first, int second) {
    int attempt = 0;
    absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
      ++runs;
      ++attempt;
      absl::Status s = tx.Execute("UPDATE t SET v = v + 1 WHERE id = ?", {first}).status();
      if (!s.ok()) return s;
      if (attempt == 1) {  // both hold their first row before either takes its second
        ++first_rows_locked;
        AwaitCount(first_rows_locked, 2);
      }
      return tx.Execute("UPDATE t SET v = v + 1 WHERE id = ?", {second}).status();
    });
    EXPECT_TRUE(status.ok()) << status;
  };
  std::thread a(lock_both, 1, 2);
  std::thread b(lock_both, 2, 1);
  a.join();
  b.join();
  EXPECT_EQ(db_->QueryStrings("SELECT id, v FROM t ORDER BY id"),
            (std::vector<std::string>{"1|2", "2|2"}));
  EXPECT_GE(runs.load(), 3);  // the deadlock's victim ran again
  EXPECT_GE(pool_->stats().reruns_after_conflict, 1);
}

TEST_F(MysqlPoolTest, LockWaitTimeoutIsRetried) {
  ASSERT_TRUE(db_->Execute("INSERT INTO t (id, v) VALUES (1, 0)").ok());
  MysqlPoolOptions options;
  options.lock_wait_timeout = absl::Seconds(1);
  absl::StatusOr<std::unique_ptr<MysqlPool>> impatient = MysqlPool::Create(db_->url(), options);
  ASSERT_TRUE(impatient.ok()) << impatient.status();

  absl::Notification holding;
  std::thread holder([&] {
    absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
      absl::Status s = tx.Execute("UPDATE t SET v = v + 1 WHERE id = 1").status();
      if (!holding.HasBeenNotified()) holding.Notify();
      absl::SleepFor(absl::Milliseconds(1500));  // longer than the other's lock wait
      return s;
    });
    EXPECT_TRUE(status.ok()) << status;
  });
  holding.WaitForNotification();
  int runs = 0;
  absl::Status status = (*impatient)->RunInTransaction([&](Transaction& tx) {
    ++runs;
    return tx.Execute("UPDATE t SET v = v + 10 WHERE id = 1").status();
  });
  holder.join();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_GE(runs, 2);
  EXPECT_EQ(db_->QueryInt("SELECT v FROM t WHERE id = 1"), 11);
}

TEST_F(MysqlPoolTest, KilledConnectionIsReplacedAndTheTransactionCommitsOnce) {
  ASSERT_TRUE(db_->Execute("CREATE TABLE events (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                           " connection BIGINT NOT NULL) ENGINE=InnoDB")
                  .ok());
  std::atomic<int64_t> victim{-1};
  std::thread killer([&] {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (victim.load() < 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    absl::SleepFor(absl::Milliseconds(100));  // let it enter SLEEP()
    // The id comes from CONNECTION_ID(): an integer, not outside input.
    absl::Status killed = db_->Execute(absl::StrCat("KILL CONNECTION ", victim.load()));
    EXPECT_TRUE(killed.ok()) << killed;
  });

  const MysqlPool::Stats before = pool_->stats();
  std::vector<int64_t> connection_ids;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    absl::StatusOr<int64_t> id = tx.ConnectionId();
    if (!id.ok()) return id.status();
    connection_ids.push_back(*id);
    absl::Status s = tx.Execute("INSERT INTO events (connection) VALUES (?)", {*id}).status();
    if (!s.ok()) return s;
    if (connection_ids.size() == 1) {
      victim.store(*id);
      // Killed while it sleeps: the attempt fails with a lost connection.
      absl::StatusOr<std::vector<SqlRow>> slept = tx.Query("SELECT SLEEP(20)");
      if (!slept.ok()) return slept.status();
    }
    return absl::OkStatus();
  });
  killer.join();
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(connection_ids.size(), 2u);
  EXPECT_NE(connection_ids[0], connection_ids[1]);
  // Exactly one row: the killed attempt's insert died with its transaction.
  EXPECT_EQ(db_->QueryStrings("SELECT connection FROM events"),
            std::vector<std::string>{absl::StrCat(connection_ids[1])});
  const MysqlPool::Stats after = pool_->stats();
  EXPECT_EQ(after.reruns_after_connection_loss - before.reruns_after_connection_loss, 1);
  EXPECT_EQ(after.connections_opened - before.connections_opened, 1);
}

TEST_F(MysqlPoolTest, ConnectionLostBetweenTransactionsIsReplacedTransparently) {
  int64_t first = -1;
  ASSERT_TRUE(pool_
                  ->RunInTransaction([&](Transaction& tx) {
                    absl::StatusOr<int64_t> id = tx.ConnectionId();
                    first = id.value_or(-1);
                    return Insert(tx, 1);  // also caches a prepared statement
                  })
                  .ok());
  ASSERT_TRUE(db_->Execute(absl::StrCat("KILL CONNECTION ", first)).ok());
  int64_t second = -1;
  absl::Status status = pool_->RunInTransaction([&](Transaction& tx) {
    absl::StatusOr<int64_t> id = tx.ConnectionId();
    second = id.value_or(-1);
    return Insert(tx, 2);
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_NE(first, second);
  EXPECT_EQ(Count(), 2);
}

TEST_F(MysqlPoolTest, EachThreadHasItsOwnConnection) {
  auto connection_id = [&] {
    int64_t id = -1;
    EXPECT_TRUE(pool_
                    ->RunInTransaction([&](Transaction& tx) {
                      absl::StatusOr<int64_t> got = tx.ConnectionId();
                      id = got.value_or(-1);
                      return got.status();
                    })
                    .ok());
    return id;
  };
  const int64_t mine = connection_id();
  EXPECT_EQ(connection_id(), mine);
  int64_t other = -1;
  std::thread([&] { other = connection_id(); }).join();
  EXPECT_NE(other, mine);
  EXPECT_GT(other, 0);
}

TEST_F(MysqlPoolTest, SessionsAreUtcStrictAndUseTheRequestedIsolation) {
  auto settings = [&](const TransactionOptions& options) {
    std::string out;
    EXPECT_TRUE(pool_
                    ->RunInTransaction(
                        [&](Transaction& tx) -> absl::Status {
                          absl::StatusOr<std::optional<SqlRow>> row = tx.QueryRow(
                              "SELECT @@tx_isolation, @@time_zone, @@autocommit,"
                              " @@session.innodb_lock_wait_timeout, @@character_set_client,"
                              " LOCATE('STRICT_ALL_TABLES', @@sql_mode) > 0");
                          if (!row.ok()) return row.status();
                          for (size_t i = 0; i < (*row)->size(); ++i) {
                            absl::StrAppend(&out, i == 0 ? "" : "|", (*row)->String(i));
                          }
                          return absl::OkStatus();
                        },
                        options)
                    .ok());
    return out;
  };
  EXPECT_EQ(settings({}), "REPEATABLE-READ|+00:00|0|10|utf8mb4|1");
  EXPECT_EQ(settings({IsolationLevel::kReadCommitted, 5}), "READ-COMMITTED|+00:00|0|10|utf8mb4|1");
  EXPECT_EQ(settings({IsolationLevel::kSerializable, 5}), "SERIALIZABLE|+00:00|0|10|utf8mb4|1");

  std::string autocommit;
  ASSERT_TRUE(pool_
                  ->RunInSession([&](Session& s) {
                    absl::StatusOr<std::optional<SqlRow>> row = s.QueryRow("SELECT @@autocommit");
                    if (row.ok() && row->has_value()) autocommit = (*row)->String(0);
                    return row.status();
                  })
                  .ok());
  EXPECT_EQ(autocommit, "1");
}

TEST_F(MysqlPoolTest, NestedUseOnOneThreadIsRefused) {
  absl::Status inner;
  absl::Status outer = pool_->RunInTransaction([&](Transaction& tx) {
    inner = pool_->RunInTransaction([&](Transaction& nested) { return Insert(nested, 2); });
    return Insert(tx, 1);
  });
  EXPECT_TRUE(outer.ok()) << outer;
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition) << inner;
  EXPECT_EQ(db_->QueryStrings("SELECT id FROM t"), std::vector<std::string>{"1"});
}

TEST_F(MysqlPoolTest, ValuesAreBoundNeverSpliced) {
  const std::string hostile[] = {
      "'; DROP TABLE t; --",
      "\"\\'",
      std::string("nul\0byte\xff\xfe", 10),
      "Robert'); DELETE FROM t WHERE ('1' = '1",
  };
  ASSERT_TRUE(
      pool_
          ->RunInTransaction([&](Transaction& tx) -> absl::Status {
            int id = 0;
            for (const std::string& note : hostile) {
              absl::Status s =
                  tx.Execute("INSERT INTO t (id, v, note) VALUES (?, 0, ?)", {++id, note}).status();
              if (!s.ok()) return s;
            }
            return absl::OkStatus();
          })
          .ok());
  int id = 0;
  for (const std::string& note : hostile) {
    ++id;
    std::string stored;
    ASSERT_TRUE(pool_
                    ->RunInTransaction([&](Transaction& tx) -> absl::Status {
                      absl::StatusOr<std::optional<SqlRow>> row =
                          tx.QueryRow("SELECT note FROM t WHERE id = ?", {id});
                      if (!row.ok()) return row.status();
                      stored = (*row)->String(0);
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(stored, note);
    EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM t WHERE note = ?", {note}), 1);
  }
  EXPECT_EQ(Count(), 4);
}

TEST_F(MysqlPoolTest, InListsArePaddedToAPowerOfTwoAndSelectExactlyTheirValues) {
  std::string scalars;
  std::vector<SqlValue> scalar_params;
  AppendInList(&scalars, &scalar_params, {1, 2, 3});
  EXPECT_EQ(scalars, "(?, ?, ?, ?)");
  ASSERT_EQ(scalar_params.size(), 4u);
  EXPECT_EQ(*scalar_params[3].as_int(), 3);  // the last value again

  std::string pairs;
  std::vector<SqlValue> pair_params;
  AppendInList(&pairs, &pair_params, {1, 10, 2, 20, 3, 31}, 2);
  EXPECT_EQ(pairs, "((?, ?), (?, ?), (?, ?), (?, ?))");
  ASSERT_EQ(pair_params.size(), 8u);
  EXPECT_EQ(*pair_params[6].as_int(), 3);  // the last row again
  EXPECT_EQ(*pair_params[7].as_int(), 31);

  ASSERT_TRUE(pool_
                  ->RunInTransaction([&](Transaction& tx) -> absl::Status {
                    for (int id = 1; id <= 4; ++id) {
                      if (absl::Status s = Insert(tx, id, id * 10); !s.ok()) return s;
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  // (3, 31) matches no row; (4, 40) is not listed.
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM t WHERE (id, v) IN " + pairs, pair_params), 2);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM t WHERE id IN " + scalars, scalar_params), 3);
}

TEST_F(MysqlPoolTest, NullsAndDatetimesRoundTrip) {
  const absl::Time t = absl::FromUnixMicros(1798859045123456);  // 2027-01-02 03:04:05.123456 UTC
  EXPECT_EQ(ToSqlDatetime(t), "2027-01-02 03:04:05.123456");
  EXPECT_EQ(ToSqlDatetime(t + absl::Nanoseconds(999)), "2027-01-02 03:04:05.123456");
  std::vector<std::string> got;
  ASSERT_TRUE(
      pool_
          ->RunInTransaction([&](Transaction& tx) -> absl::Status {
            absl::StatusOr<std::optional<SqlRow>> row = tx.QueryRow(
                "SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00',"
                " CAST(? AS DATETIME(6))), ?, ? IS NULL",
                {ToSqlDatetime(t), nullptr, nullptr});
            if (!row.ok()) return row.status();
            got = {(*row)->String(0), (*row)->IsNull(1) ? "NULL" : "not null", (*row)->String(2)};
            return absl::OkStatus();
          })
          .ok());
  EXPECT_EQ(got, (std::vector<std::string>{"1798859045123456", "NULL", "1"}));
}

TEST_F(MysqlPoolTest, DestroyingThePoolClosesEveryThreadsConnection) {
  const std::string count_sql =
      "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()";
  const int64_t baseline = db_->QueryInt(count_sql, {db_->url().database});
  absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(db_->url());
  ASSERT_TRUE(pool.ok()) << pool.status();  // connects on this thread

  absl::Notification used, done;
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      EXPECT_TRUE((*pool)
                      ->RunInTransaction([](Transaction& tx) { return tx.ConnectionId().status(); })
                      .ok());
      ++ready;
      done.WaitForNotification();  // alive while the pool is destroyed
    });
  }
  AwaitCount(ready, 3);
  EXPECT_EQ(db_->QueryInt(count_sql, {db_->url().database}), baseline + 4);
  pool->reset();
  // The server notices closed connections at once; allow a moment anyway.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (db_->QueryInt(count_sql, {db_->url().database}) != baseline && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(db_->QueryInt(count_sql, {db_->url().database}), baseline);
  done.Notify();
  for (std::thread& t : threads) t.join();

  // A thread that used a destroyed pool uses a new one without trouble.
  absl::StatusOr<std::unique_ptr<MysqlPool>> fresh = MysqlPool::Create(db_->url());
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_TRUE((*fresh)->RunInTransaction([&](Transaction& tx) { return Insert(tx, 5); }).ok());
  EXPECT_EQ(Count(), 1);
}

TEST_F(MysqlPoolTest, UnreachableServerIsUnavailableAndBadPasswordIsAnError) {
  MysqlUrl closed = db_->url();
  closed.port = 1;  // nothing listens on port 1
  closed.password = "s3cret-pw";
  MysqlPoolOptions fast;
  fast.connect_timeout = absl::Seconds(2);
  absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(closed, fast);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kUnavailable) << pool.status();
  EXPECT_NE(pool.status().message().find("mysql://"), absl::string_view::npos);
  EXPECT_EQ(pool.status().message().find("s3cret-pw"), absl::string_view::npos);

  MysqlUrl wrong = db_->url();
  wrong.password = "s3cret-wrong";
  pool = MysqlPool::Create(wrong, fast);
  ASSERT_FALSE(pool.ok());
  EXPECT_EQ(pool.status().code(), absl::StatusCode::kInternal) << pool.status();
  EXPECT_NE(pool.status().message().find("1045"), absl::string_view::npos) << pool.status();
  EXPECT_EQ(pool.status().message().find("s3cret-wrong"), absl::string_view::npos);
}

TEST_F(MysqlPoolTest, ConnectionLostOnEveryAttemptIsUnavailable) {
  int runs = 0;
  TransactionOptions options;
  options.max_attempts = 3;
  absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ++runs;
        if (absl::Status s = Insert(tx, runs); !s.ok()) return s;
        absl::StatusOr<int64_t> id = tx.ConnectionId();
        if (!id.ok()) return id.status();
        // The connection kills itself: this attempt loses its connection.
        return tx.ExecuteUnprepared(absl::StrCat("KILL CONNECTION ", *id));
      },
      options);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(ErrorReason(status), "DATABASE_UNAVAILABLE") << status;
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(Count(), 0);
  EXPECT_EQ(pool_->stats().reruns_after_connection_loss, 2);
  // The next transaction gets a new connection.
  EXPECT_TRUE(pool_->RunInTransaction([&](Transaction& tx) { return Insert(tx, 9); }).ok());
  EXPECT_EQ(Count(), 1);
}

}  // namespace
}  // namespace citecheck

// MysqlPool transactions whose COMMIT loses its connection, seen through the MySQL proxy
// (tests/integration/mysql_proxy.h) on a database of the shared fixture. A transaction is
// reported done only when it committed: a COMMIT that never reached MariaDB (rolled back) is
// rerun on a new connection, and after the last attempt the caller gets UNAVAILABLE; a COMMIT
// whose answer was lost is rerun too, and an idempotent body then changes nothing.

#include "gtest/gtest.h"
#include "server/storage/mysql_pool.h"
#include "tests/integration/mysql_proxy.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck::testing {
namespace {

class MysqlCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    ASSERT_TRUE(db_->Execute("CREATE TABLE t (id INT PRIMARY KEY)").ok());
    proxy_ = MysqlProxy::Start(db_->url().host, db_->url().port);
    ASSERT_NE(proxy_, nullptr);
    MysqlUrl url = db_->url();
    url.port = proxy_->port();
    absl::StatusOr<std::unique_ptr<MysqlPool>> pool = MysqlPool::Create(url);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
  }

  absl::Status Insert(int id, int attempts = 5) {
    return pool_->RunInTransaction(
        [id](Transaction& tx) {
          return tx.Execute("INSERT IGNORE INTO t (id) VALUES (?)", {id}).status();
        },
        TransactionOptions{IsolationLevel::kReadCommitted, attempts});
  }
  int64_t Rows(int id) { return db_->QueryInt("SELECT COUNT(*) FROM t WHERE id = ?", {id}); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<MysqlProxy> proxy_;
  std::unique_ptr<MysqlPool> pool_;
};

TEST_F(MysqlCommitTest, CommitThatNeverArrivedIsRerun) {
  proxy_->FailCommit("INSERT IGNORE INTO t", 1);
  const absl::Status status = Insert(1);
  EXPECT_EQ(proxy_->failed("INSERT IGNORE INTO t"), 1);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Rows(1), 1);
}

TEST_F(MysqlCommitTest, CommitThatNeverArrivesIsNotReportedDone) {
  proxy_->FailCommit("INSERT IGNORE INTO t", 100);
  const absl::Status status = Insert(2, 3);
  EXPECT_EQ(proxy_->failed("INSERT IGNORE INTO t"), 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_EQ(Rows(2), 0);
}

TEST_F(MysqlCommitTest, CommitWhoseAnswerWasLostIsRerunWithoutEffect) {
  proxy_->CutAfterCommit("INSERT IGNORE INTO t", 1);
  const absl::Status status = Insert(3);
  EXPECT_EQ(proxy_->cuts("INSERT IGNORE INTO t"), 1);
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Rows(3), 1);
  EXPECT_GE(proxy_->commits(), 2);  // the rerun committed again (nothing new)
}

}  // namespace
}  // namespace citecheck::testing

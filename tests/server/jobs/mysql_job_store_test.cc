#include "server/jobs/mysql_job_store.h"

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "server/accounts/mysql_account_store.h"
#include "server/storage/database.h"
#include "tests/server/jobs/job_store_conformance.h"
#include "tests/server/storage/invariants.h"
#include "tests/server/storage/mysql_test_database.h"

// MysqlJobStore on MariaDB: the shared JobStore semantics (job_store_conformance.cc,
// instantiated below), plus what a database adds: named locks held by live processes, orphan
// reservations left by older versions.

namespace citecheck {
namespace {

struct MysqlResources {
  std::unique_ptr<TestDatabase> test_database;
  std::unique_ptr<Database> database;
};

absl::StatusOr<JobStoreUnderTest> MakeMysqlStore(const QuotaRules& rules,
                                                 const JobStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  if (!db.ok()) return db.status();
  auto resources = std::make_shared<MysqlResources>();
  resources->test_database = *std::move(db);
  absl::StatusOr<std::unique_ptr<Database>> opened =
      Database::Open(resources->test_database->url());
  if (!opened.ok()) return opened.status();
  resources->database = *std::move(opened);
  MysqlPool* pool = &resources->database->pool();
  JobStoreUnderTest subject;
  subject.sink = std::make_unique<RecordingSink>();
  auto accounts = std::make_unique<MysqlAccountStore>(pool, rules);
  MysqlJobStoreOptions store_options;
  store_options.store = options;
  subject.store =
      std::make_unique<MysqlJobStore>(store_options, pool, accounts.get(), subject.sink.get());
  subject.accounts = std::move(accounts);
  TestDatabase* sql = resources->test_database.get();
  subject.check_invariants = [sql] { return CheckAccountBooks(sql->pool()); };
  subject.resources = std::move(resources);
  return subject;
}

INSTANTIATE_TEST_SUITE_P(Mysql, JobStoreConformanceTest,
                         ::testing::Values(JobStoreFactory{"Mysql", MakeMysqlStore}),
                         JobStoreFactoryName());

class MysqlJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<JobStoreUnderTest> made = MakeMysqlStore(QuotaRules{}, JobStoreOptions{});
    ASSERT_TRUE(made.ok()) << made.status();
    subject_ = *std::move(made);
    resources_ = std::static_pointer_cast<MysqlResources>(subject_.resources);
  }
  void TearDown() override {
    if (subject_.check_invariants) {
      const absl::Status books = subject_.check_invariants();
      EXPECT_TRUE(books.ok()) << books;
    }
  }

  JobStoreUnderTest subject_;
  std::shared_ptr<MysqlResources> resources_;
  absl::Time now_ = absl::FromUnixSeconds(1798804800);
};

TEST_F(MysqlJobStoreTest, ALiveProcessHoldsItsReplicaName) {
  ASSERT_TRUE(subject_.store->RegisterReplica("a", now_).ok());
  // Another process: another pool, another thread, same database.
  absl::Notification done;
  absl::Status second;
  std::thread other([&] {
    absl::StatusOr<std::unique_ptr<Database>> database =
        Database::Open(resources_->test_database->url());
    ASSERT_TRUE(database.ok()) << database.status();
    MysqlAccountStore accounts(&(*database)->pool(), QuotaRules{});
    RecordingSink sink;
    MysqlJobStore store(MysqlJobStoreOptions{}, &(*database)->pool(), &accounts, &sink);
    second = store.RegisterReplica("a", now_).status();
    // A name of its own is fine.
    EXPECT_TRUE(store.RegisterReplica("b", now_).ok());
    done.Notify();
  });
  other.join();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition) << second;
  EXPECT_NE(second.message().find("replica name 'a'"), absl::string_view::npos) << second;
}

TEST_F(MysqlJobStoreTest, ANameFreedByAProcessThatEndedCanBeTaken) {
  std::thread first([&] {
    absl::StatusOr<std::unique_ptr<Database>> database =
        Database::Open(resources_->test_database->url());
    ASSERT_TRUE(database.ok());
    MysqlAccountStore accounts(&(*database)->pool(), QuotaRules{});
    RecordingSink sink;
    MysqlJobStore store(MysqlJobStoreOptions{}, &(*database)->pool(), &accounts, &sink);
    ASSERT_TRUE(store.RegisterReplica("a", now_).ok());
    // The thread exits and the pool closes its connection without unregistering: a crash.
  });
  first.join();
  absl::StatusOr<ReplicaRegistration> taken = subject_.store->RegisterReplica("a", now_);
  EXPECT_TRUE(taken.ok()) << taken.status();
}

TEST_F(MysqlJobStoreTest, OrphanReservationsAreReleasedOnce) {
  AccountStore& accounts = *subject_.accounts;
  ASSERT_TRUE(accounts.GrantCredits("tok", 10, "order-1", now_).ok());
  // A reservation whose job was never written (an older server kept jobs in memory).
  ASSERT_TRUE(accounts.Reserve({Caller::ForAccount("tok"), "lost-job", 4, now_}).ok());
  ASSERT_TRUE(accounts.Settle({{"lost-job", 0, Settlement::Kind::kCharge}}).ok());
  // A job of this store keeps its reservation.
  NewJob job;
  job.job_id = "live-job";
  job.caller = Caller::ForAccount("tok");
  job.input_fingerprint = "fp";
  job.model = "fake";
  job.citations = {"a", "b"};
  job.create_time = now_;
  job.deadline = now_ + absl::Hours(1);
  ASSERT_TRUE(subject_.store->Submit(job).ok());
  EXPECT_EQ(accounts.GetBalance(Caller::ForAccount("tok"), now_)->credits(), 4);

  absl::StatusOr<int> released = subject_.store->ReleaseOrphanReservations(now_);
  ASSERT_TRUE(released.ok()) << released.status();
  EXPECT_EQ(*released, 3);  // the charged one stays charged
  EXPECT_EQ(accounts.GetBalance(Caller::ForAccount("tok"), now_)->credits(), 7);
  EXPECT_EQ(*subject_.store->ReleaseOrphanReservations(now_), 0);
  EXPECT_EQ(accounts.GetBalance(Caller::ForAccount("tok"), now_)->credits(), 7);
}

TEST_F(MysqlJobStoreTest, RetentionDeletesFreeAddressCountsOfDaysBeforeTheDayBeforeTheCutoff) {
  TestDatabase& sql = *resources_->test_database;
  // now_ is 2027-01-01T12:00:00Z; counts of an address that never came back, and of one that
  // did today (0 used: the books compare counts with reservations, and these have none).
  ASSERT_TRUE(sql.Execute("INSERT INTO free_address_usage (address_key, day, used) VALUES"
                          " ('ip:192.0.2.1', '2026-12-01', 0), ('ip:192.0.2.1', '2026-12-29', 0),"
                          " ('ip:192.0.2.1', '2026-12-30', 0), ('ip:192.0.2.2', '2026-12-31', 0),"
                          " ('ip:192.0.2.2', '2027-01-01', 0)")
                  .ok());
  const absl::Time cutoff = now_ - absl::Hours(24);  // 2026-12-31: keeps 12-30 and later
  ASSERT_TRUE(subject_.store->Sweep(cutoff, 10).ok());
  EXPECT_EQ(sql.QueryStrings("SELECT CONCAT(address_key, ' ', day) FROM free_address_usage"
                             " ORDER BY day"),
            (std::vector<std::string>{"ip:192.0.2.1 2026-12-30", "ip:192.0.2.2 2026-12-31",
                                      "ip:192.0.2.2 2027-01-01"}));
  // Once per day: rows of old days written since (a replica with a stale clock) wait for the
  // next day's round.
  ASSERT_TRUE(sql.Execute("INSERT INTO free_address_usage (address_key, day, used) VALUES"
                          " ('ip:192.0.2.3', '2026-11-01', 0)")
                  .ok());
  ASSERT_TRUE(subject_.store->Sweep(cutoff + absl::Hours(1), 10).ok());
  EXPECT_EQ(sql.QueryInt("SELECT COUNT(*) FROM free_address_usage"), 4);
  ASSERT_TRUE(subject_.store->Sweep(cutoff + absl::Hours(24), 10).ok());
  EXPECT_EQ(sql.QueryStrings("SELECT CONCAT(address_key, ' ', day) FROM free_address_usage"
                             " ORDER BY day"),
            (std::vector<std::string>{"ip:192.0.2.2 2026-12-31", "ip:192.0.2.2 2027-01-01"}));
}

}  // namespace
}  // namespace citecheck

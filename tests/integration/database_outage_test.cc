// Replicas on a MariaDB of the test's own (deploy/mariadb.sh in a temporary directory, not the
// shared fixture) that is restarted, or stopped for 40 s, while jobs run and clients watch them
// (issue 7, point 6). The replicas recover with nothing lost: every job finishes, every watcher
// sees every event once on the stream it had open, and the books balance in SQL. During the
// outage the health service says NOT_SERVING and RPCs that need the database fail fast.

#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/job_follower.h"
#include "tests/integration/own_mariadb.h"
#include "tests/integration/replica_test_support.h"

namespace citecheck::testing {
namespace {

// The fixture's database lives on a MariaDB of its own.
class DatabaseOutageTest : public ReplicaFixture {
 protected:
  void SetUp() override {
    mariadb_ = OwnMariaDb::Start();
    ASSERT_NE(mariadb_, nullptr);
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::CreateOn(mariadb_->url());
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    fake_ = FakeOpenAi::Start();
    ASSERT_NE(fake_, nullptr);
  }
  void TearDown() override {
    replicas_.clear();
    db_.reset();
    mariadb_.reset();
  }

  // Two replicas with three jobs of `citations` each, submitted on either, and a watcher per
  // job on each replica; returns once 10 citations are checked.
  void StartJobs(int citations) {
    for (const char* name : {"a", "b"}) ASSERT_TRUE(AddReplica(name).Start());
    Grant(*replicas_[0], "outage-user", 1000);
    for (int j = 0; j < 3; ++j) {
      Replica& on = *replicas_[j % 2];
      v1::Job job;
      ASSERT_TRUE(on.Account("outage-user")
                      ->SubmitBatch(Batch(citations, absl::StrCat("outage-", j)), &job)
                      .ok());
      jobs_.push_back(job.job_id());
      for (const auto& replica : replicas_) {
        Replica* watched = replica.get();
        followers_.push_back(std::make_unique<JobFollower>(
            job.job_id(), "outage-user", [watched] { return watched->address(); }));
        followers_.back()->Start(absl::Seconds(150));
      }
    }
    ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
      return Count("SELECT COUNT(*) FROM job_items WHERE state = 1") >= 10;
    }));
  }

  // Every job ended with every citation checked, each watcher saw every event once on the
  // one stream it opened, nothing was checked twice but after a takeover, the books balance.
  void ExpectRecovered(int citations) {
    for (const auto& follower : followers_) {
      ASSERT_TRUE(follower->Join());
      EXPECT_TRUE(follower->Complete());
      EXPECT_EQ(follower->streams().size(), 1u) << "a watch stream was dropped";
    }
    int checked = 0;
    for (const std::string& job_id : jobs_) {
      v1::Job done;
      ASSERT_TRUE(replicas_[0]->Account("outage-user")->GetJob(job_id, &done).ok());
      EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
      EXPECT_EQ(done.succeeded(), citations) << job_id;
      checked += done.succeeded();
    }
    bool takeover = false;
    for (const auto& replica : replicas_) {
      takeover = takeover || absl::StrContains(replica->Logs(), "took over");
    }
    int twice = 0;
    for (const auto& [citation, by] : RequestsByCitation(fake_->Stats())) {
      int asked = 0;
      for (const auto& [authorization, count] : by) asked += count;
      twice += asked > 1 ? 1 : 0;
    }
    std::cout << "[outage] citations checked twice: " << twice
              << (takeover ? " (a replica took over another's chunks)" : "") << std::endl;
    EXPECT_TRUE(twice == 0 || takeover);
    v1::Balance balance;
    ASSERT_TRUE(replicas_[0]->Account("outage-user")->GetBalance(&balance).ok());
    EXPECT_EQ(balance.credits(), 1000 - checked);
    EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
    for (const auto& replica : replicas_) EXPECT_EQ(replica->Terminate(), 0);
  }

  std::unique_ptr<OwnMariaDb> mariadb_;
  std::vector<std::string> jobs_;
  std::vector<std::unique_ptr<JobFollower>> followers_;
};

// MariaDB restarts (SIGTERM, start on the same data and port) while both replicas run jobs.
TEST_F(DatabaseOutageTest, MariadbRestartedMidRun) {
  fake_->SetDefaultLatency(100);
  ASSERT_NO_FATAL_FAILURE(StartJobs(40));
  const absl::Time restart_at = absl::Now();
  ASSERT_TRUE(mariadb_->Restart());
  std::cout << "[outage] MariaDB restarted in " << absl::Now() - restart_at << std::endl;
  ExpectRecovered(40);
}

// MariaDB is down for 40 s while both replicas run jobs and clients watch them. Within 10 s of
// losing the database the health service says NOT_SERVING (and keeps saying it); RPCs that need
// the database fail with UNAVAILABLE within 5 s; open watch streams stay open. Within 10 s of
// its return both replicas are SERVING again, and everything finishes.
TEST_F(DatabaseOutageTest, FortySecondOutage) {
  fake_->SetDefaultLatency(200);
  ASSERT_NO_FATAL_FAILURE(StartJobs(60));
  const absl::Time down_at = absl::Now();
  ASSERT_TRUE(mariadb_->StopKeepingData());
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(
        WaitUntil(absl::Seconds(10), [&] { return replica->health() == Health::kNotServing; }))
        << replica->name() << " still SERVING 10 s into the outage";
  }
  std::cout << "[outage] both replicas NOT_SERVING " << absl::Now() - down_at
            << " after MariaDB stopped" << std::endl;

  // RPCs that need the database fail fast.
  for (const auto& replica : replicas_) {
    auto user = replica->Account("outage-user");
    v1::Job job;
    absl::Time asked = absl::Now();
    grpc::Status got = user->GetJob(jobs_[0], &job);
    EXPECT_EQ(got.error_code(), grpc::StatusCode::UNAVAILABLE) << got.error_message();
    EXPECT_EQ(client::ErrorReason(got), "DATABASE_UNAVAILABLE");
    EXPECT_LE(absl::Now() - asked, absl::Seconds(5));
    asked = absl::Now();
    grpc::Status submitted = user->SubmitBatch(Batch(2, "during-outage"), &job);
    EXPECT_EQ(submitted.error_code(), grpc::StatusCode::UNAVAILABLE) << submitted.error_message();
    EXPECT_LE(absl::Now() - asked, absl::Seconds(5));
    std::cout << "[outage] " << replica->name() << ": GetJob and SubmitBatch answered "
              << client::ErrorReason(got) << " / " << client::ErrorReason(submitted) << " in "
              << absl::Now() - asked << " (submit)" << std::endl;
  }

  // The rest of the 40 s: the replicas stay NOT_SERVING and the watch streams stay open.
  int samples = 0;
  while (absl::Now() - down_at < absl::Seconds(40)) {
    for (const auto& replica : replicas_) {
      EXPECT_EQ(replica->health(), Health::kNotServing) << replica->name();
    }
    for (const auto& follower : followers_) {
      const std::vector<WatchStream> streams = follower->streams();
      EXPECT_EQ(streams.size(), 1u);
      EXPECT_FALSE(streams.back().ended) << streams.back().status.error_message();
    }
    ++samples;
    absl::SleepFor(absl::Seconds(1));
  }
  const absl::Time up_at = absl::Now();
  ASSERT_TRUE(mariadb_->Restart());
  for (const auto& replica : replicas_) {
    EXPECT_TRUE(WaitUntil(absl::Seconds(10), [&] { return replica->health() == Health::kServing; }))
        << replica->name() << " not SERVING 10 s after MariaDB returned";
  }
  std::cout << "[outage] " << samples << " samples during the outage; both replicas SERVING "
            << absl::Now() - up_at << " after MariaDB was started again (" << absl::Now() - down_at
            << " after it stopped)" << std::endl;
  ExpectRecovered(60);
}

}  // namespace
}  // namespace citecheck::testing

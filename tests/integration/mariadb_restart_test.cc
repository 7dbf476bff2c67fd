// The real server binary on its OWN MariaDB (deploy/mariadb.sh start in a temporary directory,
// not the shared ctest fixture "mariadb"), which is restarted (deploy/mariadb.sh restart: same
// port, socket and data) while a job is being checked. The service must recover: every
// citation ends with a result or a failure, exactly the results are charged (credits = grants −
// charges, nothing left reserved), later jobs are charged normally, and the server never crashes.

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/own_mariadb.h"
#include "tests/integration/replica.h"
#include "tests/integration/server_process.h"
#include "tests/server/storage/invariants.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck::testing {
namespace {

constexpr char kAdminKey[] = "restart-admin-key";
constexpr char kToken[] = "restart-user";

v1::SubmitBatchRequest Batch(int n, const std::string& tag) {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) {
    request.mutable_citations()->add_items(
        absl::StrCat("Author", i, ", A. (2020). Study ", tag, i, ". _Journal_, _1_(2), 10–20."));
  }
  return request;
}

// What a Watch saw of one job.
struct Watched {
  absl::Mutex mu;
  std::vector<int> results ABSL_GUARDED_BY(mu);   // indices, in arrival order
  std::vector<int> failures ABSL_GUARDED_BY(mu);  // indices, in arrival order
  std::vector<std::string> failure_reasons ABSL_GUARDED_BY(mu);
  std::atomic<int> result_count{0};
  std::atomic<bool> done{false};
  grpc::Status status;
};

// Watches `job_id` from the start until its end, or until `limit` passes (then CANCELLED).
void WatchJob(client::CitecheckClient& client, const std::string& job_id, absl::Duration limit,
              Watched* watched) {
  const absl::Time give_up = absl::Now() + limit;
  watched->status = client.Watch(job_id, 0, [&](const v1::JobEvent& event) {
    absl::MutexLock lock(&watched->mu);
    if (event.has_result()) {
      watched->results.push_back(event.result().index());
      watched->result_count.fetch_add(1);
    } else if (event.has_failure()) {
      watched->failures.push_back(event.failure().index());
      watched->failure_reasons.push_back(event.failure().status().message());
    }
    return absl::Now() < give_up;
  });
  watched->done = true;
}

std::string JobId(const std::string& id) { return absl::StrCat("'", id, "'"); }

TEST(MariadbRestartTest, ServiceRecoversWithoutLosingOrDoubleChargingAnything) {
  auto mariadb = OwnMariaDb::Start();
  ASSERT_NE(mariadb, nullptr);
  absl::StatusOr<std::unique_ptr<TestDatabase>> created = TestDatabase::CreateOn(mariadb->url());
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<TestDatabase> db = *std::move(created);
  auto fake = FakeOpenAi::Start();
  ASSERT_NE(fake, nullptr);
  fake->SetDefaultLatency(150);
  auto server = ServerProcess::Start({"--store=mysql", "--mysql_url=" + MysqlUrlText(db->url()),
                                      absl::StrCat("--admin_key=", kAdminKey),
                                      "--llm_base_url=" + fake->base_url(),
                                      "--llm_model=fake-model", "--citations_per_call=1",
                                      "--llm_max_inflight=2", "--watch_heartbeat=1s"});
  ASSERT_NE(server, nullptr);

  client::ClientOptions admin_options;
  admin_options.admin_key = kAdminKey;
  v1::Balance balance;
  ASSERT_TRUE(server->Client(admin_options)->GrantCredits(kToken, 30, "order-30", &balance).ok());
  ASSERT_EQ(balance.credits(), 30);

  auto user = server->Account(kToken);
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(20, "before"), &job).ok());
  ASSERT_EQ(job.accepted(), 20);
  EXPECT_EQ(job.user_status().credits_remaining(), 10);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 10);

  // Watch the whole job on a thread; restart MariaDB once a few results are in.
  Watched watched;
  auto watcher = server->Account(kToken);
  std::thread watch_thread([&] { WatchJob(*watcher, job.job_id(), absl::Seconds(60), &watched); });
  const absl::Time wait_until = absl::Now() + absl::Seconds(20);
  while (watched.result_count.load() < 3 && !watched.done.load() && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const int results_before_restart = watched.result_count.load();
  EXPECT_GE(results_before_restart, 3);
  const absl::Time restart_start = absl::Now();
  const bool restarted = mariadb->Restart();
  const absl::Duration restart_took = absl::Now() - restart_start;
  const int results_after_restart = watched.result_count.load();
  watch_thread.join();
  const absl::Duration job_took = absl::Now() - restart_start;
  ASSERT_TRUE(restarted) << "deploy/mariadb.sh restart failed";
  std::cout << "[restart] results before the restart: " << results_before_restart
            << ", when it finished: " << results_after_restart << "; restart took " << restart_took
            << ", the job ended " << job_took << " after the restart began" << std::endl;

  if (!watched.status.ok()) {
    v1::Job stuck;
    EXPECT_TRUE(user->GetJob(job.job_id(), &stuck).ok());
    ADD_FAILURE() << "the job did not end within 60 s of the restart (Watch: "
                  << watched.status.error_code() << " " << watched.status.error_message()
                  << "): state " << v1::JobState_Name(stuck.state()) << ", " << stuck.succeeded()
                  << " results, " << stuck.failed() << " failures of 20; items still reserved: "
                  << db->QueryInt(
                         "SELECT COUNT(*) FROM reservation_items WHERE state = "
                         "'reserved'")
                  << "; the server's log is kept in " << server->Log().size()
                  << " bytes (KEEP_SERVER_LOGS=1 keeps it)";
    EXPECT_EQ(server->Terminate(), 0);
    return;
  }

  // Every citation ended exactly once, with a result or a failure.
  v1::Job done;
  ASSERT_TRUE(user->GetJob(job.job_id(), &done).ok());
  {
    absl::MutexLock lock(&watched.mu);
    std::multiset<int> ended(watched.results.begin(), watched.results.end());
    ended.insert(watched.failures.begin(), watched.failures.end());
    EXPECT_EQ(ended.size(), 20u);
    for (int i = 0; i < 20; ++i) EXPECT_EQ(ended.count(i), 1u) << "citation " << i;
    EXPECT_EQ(static_cast<int>(watched.results.size()), done.succeeded());
    EXPECT_EQ(static_cast<int>(watched.failures.size()), done.failed());
    for (const std::string& reason : watched.failure_reasons) {
      std::cout << "[restart] failure: " << reason << std::endl;
    }
  }
  EXPECT_EQ(done.succeeded() + done.failed(), 20);
  EXPECT_EQ(done.results_size(), done.succeeded());
  EXPECT_EQ(done.failures_size(), done.failed());
  EXPECT_EQ(done.state(), done.succeeded() > 0 ? v1::JOB_STATE_SUCCEEDED : v1::JOB_STATE_FAILED);
  std::cout << "[restart] job: " << done.succeeded() << " results, " << done.failed() << " failures"
            << std::endl;

  // The books: exactly the results are charged, everything else released.
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 30 - done.succeeded());
  const std::string job1 = JobId(job.job_id());
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = 'charge' AND job_id = " + job1),
            done.succeeded());
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = 'release' AND job_id = " + job1),
            done.failed());
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM reservation_items WHERE state = 'charged' AND "
                         "job_id = " +
                         job1),
            done.succeeded());
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM reservation_items WHERE state = 'reserved'"), 0);

  // The service recovered: a new job is reserved and charged normally.
  const int64_t before_second = balance.credits();
  v1::Job second;
  ASSERT_TRUE(user->SubmitBatch(Batch(3, "after"), &second).ok());
  EXPECT_EQ(second.accepted(), 3);
  EXPECT_EQ(second.user_status().credits_remaining(), before_second - 3);
  EXPECT_TRUE(user->Watch(second.job_id(), 0, [](const v1::JobEvent&) { return true; }).ok());
  v1::Job second_done;
  ASSERT_TRUE(user->GetJob(second.job_id(), &second_done).ok());
  EXPECT_EQ(second_done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(second_done.succeeded(), 3);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), before_second - 3);
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = 'charge' AND job_id = " +
                         JobId(second.job_id())),
            3);
  // credits = grants − charges, over the whole ledger.
  EXPECT_EQ(db->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = 'charge'"),
            30 - balance.credits());
  const absl::Status books = CheckJobBooks(db->pool(), JobsExpected::kAllEnded);
  EXPECT_TRUE(books.ok()) << books;

  EXPECT_EQ(server->Terminate(), 0);
}

}  // namespace
}  // namespace citecheck::testing

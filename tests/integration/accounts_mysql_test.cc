// Accounting through the real server binary on a real MariaDB (--store=mysql): each test gets
// its own database (TestDatabase) on the server the ctest fixture "mariadb" started.

#include <atomic>
#include <cstdlib>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/server_process.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck::testing {
namespace {

constexpr char kAdminKey[] = "integration-admin-key";

v1::SubmitBatchRequest Batch(int n, const std::string& tag = "c") {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) {
    request.mutable_citations()->add_items(
        absl::StrCat("Author", i, ", A. (2020). Study ", tag, i, ". _Journal_, _1_(2), 10–20."));
  }
  return request;
}

class AccountsMysqlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }

  std::string MysqlUrlFlag() const {
    const MysqlUrl& url = db_->url();
    return absl::StrCat("--mysql_url=mysql://", url.user, ":", url.password, "@", url.host, ":",
                        url.port, "/", url.database);
  }

  std::unique_ptr<ServerProcess> StartServer(std::vector<std::string> flags = {}) {
    std::vector<std::string> all = {"--store=mysql", MysqlUrlFlag(),
                                    absl::StrCat("--admin_key=", kAdminKey)};
    all.insert(all.end(), flags.begin(), flags.end());
    return ServerProcess::Start(all);
  }

  std::unique_ptr<client::CitecheckClient> Admin(const ServerProcess& server) {
    client::ClientOptions options;
    options.admin_key = kAdminKey;
    return server.Client(options);
  }

  static v1::Job RunToEnd(client::CitecheckClient& client, const v1::SubmitBatchRequest& request) {
    v1::Job job;
    grpc::Status submitted = client.SubmitBatch(request, &job);
    EXPECT_TRUE(submitted.ok()) << submitted.error_message();
    EXPECT_TRUE(client.Watch(job.job_id(), 0, [](const v1::JobEvent&) { return true; }).ok());
    v1::Job done;
    EXPECT_TRUE(client.GetJob(job.job_id(), &done).ok());
    return done;
  }

  std::unique_ptr<TestDatabase> db_;
};

TEST_F(AccountsMysqlTest, PaidUserIsChargedOneCreditPerCheckedCitation) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits("paid-user", 5, "order-1", &balance).ok());
  EXPECT_EQ(balance.credits(), 5);
  auto user = server->Account("paid-user");
  v1::Job job = RunToEnd(*user, Batch(1));
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_CREDITS);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 4);
  // The token is stored only as its hash.
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM accounts"), 1);
  EXPECT_THAT(db_->QueryStrings("SELECT HEX(token_hash) FROM accounts"),
              ::testing::Not(::testing::Contains(::testing::HasSubstr("paid-user"))));
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, ZeroCreditsFinishAtOnceWithoutCallingTheLlm) {
  auto fake = FakeOpenAi::Start();
  ASSERT_NE(fake, nullptr);
  auto server = StartServer({"--llm_base_url=" + fake->base_url(), "--llm_model=fake-model"});
  ASSERT_NE(server, nullptr);
  auto user = server->Account("broke-user");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(3), &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.accepted(), 0);
  EXPECT_EQ(job.locked(), 3);
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  // A job submitted after it is checked to the end; had the first one queued any call, it would
  // have been made by then (jobs take turns): the LLM saw the second job's citation alone.
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits("paid-after", 1, "order-after", &balance).ok());
  auto paid = server->Account("paid-after");
  v1::Job after;
  ASSERT_TRUE(paid->SubmitBatch(Batch(1, "after"), &after).ok());
  EXPECT_TRUE(paid->Watch(after.job_id(), 0, [](const v1::JobEvent&) { return true; }).ok());
  const FakeOpenAiStats stats = fake->Stats();
  EXPECT_EQ(stats.requests, 1);
  ASSERT_EQ(stats.log.size(), 1u);
  EXPECT_THAT(stats.log[0].citations, ::testing::ElementsAre(::testing::HasSubstr("Study after0")));
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, PartialCreditsCheckWhatIsPaidFor) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits("three", 3, "order-3", &balance).ok());
  auto user = server->Account("three");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(5), &job).ok());
  EXPECT_EQ(job.accepted(), 3);
  EXPECT_EQ(job.locked(), 2);
  EXPECT_EQ(job.user_status().credits_remaining(), 0);
  EXPECT_TRUE(user->Watch(job.job_id(), 0, [](const v1::JobEvent&) { return true; }).ok());
  v1::Job done;
  ASSERT_TRUE(user->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.results_size(), 3);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, FreeUsageIsCountedOnTheServerAndSurvivesARestart) {
  auto server = StartServer({"--free_limit=10"});
  ASSERT_NE(server, nullptr);
  client::ClientOptions options;
  options.free_user_id = "persistent-free-user";
  options.extra_metadata = {{"x-free-used", absl::Base64Escape("8")}};
  v1::Job first = RunToEnd(*server->Client(options), Batch(5));
  EXPECT_EQ(first.accepted(), 2);
  EXPECT_EQ(first.locked(), 3);
  EXPECT_EQ(first.user_status().free_used_total(), 10);
  EXPECT_EQ(first.results_size(), 2);
  EXPECT_EQ(server->Terminate(), 0);

  auto restarted = StartServer({"--free_limit=10"});
  ASSERT_NE(restarted, nullptr);
  v1::Job second;
  ASSERT_TRUE(restarted->FreeUser("persistent-free-user")->SubmitBatch(Batch(2), &second).ok());
  EXPECT_EQ(second.accepted(), 0);
  EXPECT_EQ(second.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(restarted->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, RotatedFreeIdsShareTheAddressLimitAcrossARestart) {
  const std::vector<std::string> flags = {"--free_address_daily_limit=12"};
  auto server = StartServer(flags);
  ASSERT_NE(server, nullptr);
  int accepted = 0, locked = 0;
  for (int i = 0; i < 4; ++i) {
    v1::Job job;
    ASSERT_TRUE(server->FreeUser(absl::StrCat("rotated-", i))->SubmitBatch(Batch(5), &job).ok());
    accepted += job.accepted();
    locked += job.locked();
  }
  EXPECT_EQ(accepted, 12);
  EXPECT_EQ(locked, 8);
  EXPECT_EQ(server->Terminate(), 0);

  // The count is in the database: a restarted server (or another replica) goes on from it.
  auto restarted = StartServer(flags);
  ASSERT_NE(restarted, nullptr);
  v1::Job job;
  ASSERT_TRUE(restarted->FreeUser("rotated-after-restart")->SubmitBatch(Batch(5), &job).ok());
  EXPECT_EQ(job.accepted(), 0);
  EXPECT_EQ(job.locked(), 5);
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(restarted->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, ParallelSubmitsNeverSpendMoreThanTheBalance) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits("shared", 100, "order-100", &balance).ok());
  std::atomic<int> accepted{0};
  std::vector<std::string> jobs(20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      auto user = server->Account("shared");
      v1::Job job;
      if (user->SubmitBatch(Batch(10, absl::StrCat("t", t)), &job).ok()) {
        accepted += job.accepted();
        jobs[t] = job.job_id();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 100);
  auto user = server->Account("shared");
  for (const std::string& id : jobs) {
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(user->Watch(id, 0, [](const v1::JobEvent&) { return true; }).ok());
  }
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = 'charge'"), 100);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, FailedCitationsAreRefunded) {
  auto fake = FakeOpenAi::Start();
  ASSERT_NE(fake, nullptr);
  auto server = StartServer(
      {"--llm_base_url=" + fake->base_url(), "--llm_model=fake-model", "--citations_per_call=5"});
  ASSERT_NE(server, nullptr);
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits("refund", 5, "order-r", &balance).ok());
  fake->Script(R"([{"status":400}])");
  auto user = server->Account("refund");
  v1::Job job = RunToEnd(*user, Batch(3));
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.failed(), 3);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 5);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, DailyWindowsAreUtcWhateverTheServersTimeZone) {
  setenv("TZ", "America/New_York", 1);
  auto server = StartServer({"--pass_daily_limit=3"});
  unsetenv("TZ");
  ASSERT_NE(server, nullptr);
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantPass("pass-holder", 1, "order-pass", &balance).ok());
  EXPECT_TRUE(balance.pass_active());
  auto user = server->Account("pass-holder");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(2), &job).ok());
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_PASS);
  EXPECT_EQ(job.user_status().daily_used(), 2);
  EXPECT_EQ(job.user_status().reset_time().seconds() % 86400, 0);  // a UTC midnight
  grpc::Status over = user->SubmitBatch(Batch(2, "over"), &job);
  EXPECT_EQ(over.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(client::ErrorReason(over), "DAILY_LIMIT_REACHED");
  EXPECT_THAT(client::ErrorMetadata(over)["reset_time"], ::testing::EndsWith("T00:00:00Z"));
  EXPECT_EQ(server->Terminate(), 0);
}

TEST_F(AccountsMysqlTest, HostileTokensAreJustTokens) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  const std::string hostile = "x'; DROP TABLE accounts; -- \"\\'";
  v1::Balance balance;
  ASSERT_TRUE(Admin(*server)->GrantCredits(hostile, 2, "order-'\"", &balance).ok());
  auto user = server->Account(hostile);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 2);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM accounts"), 1);
  EXPECT_EQ(server->Terminate(), 0);
}

}  // namespace
}  // namespace citecheck::testing

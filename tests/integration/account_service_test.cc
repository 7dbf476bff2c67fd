// AccountService end to end: the real citecheck-server binary (memory store) on a loopback
// port, driven through the client library as the CLI drives it. Balances, admin grants and
// how what was granted gates SubmitBatch.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/common/proto_time.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/server_process.h"
#include "tests/integration/shared_server_test.h"

namespace citecheck::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

// Distinctive, so that finding them in the server's log means they were logged.
constexpr char kAdminKey[] = "adm-Qx7vK2pLm9ZtR4wE";
constexpr char kWrongKey[] = "adm-WrongWrongWrong0";

constexpr char kCitation[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";

v1::SubmitBatchRequest Batch(int n) {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) request.mutable_citations()->add_items(absl::StrCat(kCitation, i));
  return request;
}

// Watches the job to its end and returns its final snapshot.
v1::Job Finish(client::CitecheckClient& client, const std::string& job_id) {
  grpc::Status watched = client.Watch(job_id, 0, [](const v1::JobEvent&) { return true; });
  EXPECT_TRUE(watched.ok()) << watched.error_message();
  v1::Job job;
  grpc::Status got = client.GetJob(job_id, &job);
  EXPECT_TRUE(got.ok()) << got.error_message();
  return job;
}

void ExpectAdminKeyRequired(const grpc::Status& status) {
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << status.error_message();
  EXPECT_EQ(client::ErrorReason(status), "ADMIN_KEY_REQUIRED");
}

class AccountIntegrationTest : public SharedServerTest<AccountIntegrationTest> {
 public:
  static std::vector<std::string> ServerFlags() {
    return {absl::StrCat("--admin_key=", kAdminKey), "--free_limit=10", "--pass_daily_limit=3",
            "--admin_failure_log_interval=200ms"};
  }
  static std::vector<std::string> Secrets() { return {kAdminKey}; }

 protected:
  static std::unique_ptr<client::CitecheckClient> Admin(const std::string& key = kAdminKey) {
    client::ClientOptions options;
    options.admin_key = key;
    return server_->Client(options);
  }

  static v1::Balance BalanceOf(const std::string& token) {
    v1::Balance balance;
    grpc::Status status = server_->Account(token)->GetBalance(&balance);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return balance;
  }
};

TEST_F(AccountIntegrationTest, FreeUserBalanceCountsItsCheckedCitations) {
  auto client = server_->FreeUser("balance-free");
  v1::Balance balance;
  ASSERT_TRUE(client->GetBalance(&balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(balance.free_used(), 0);
  EXPECT_EQ(balance.free_limit(), 10);
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(Batch(3), &job).ok());
  EXPECT_EQ(Finish(*client, job.job_id()).succeeded(), 3);
  ASSERT_TRUE(client->GetBalance(&balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(balance.free_used(), 3);
  EXPECT_EQ(balance.free_limit(), 10);
}

TEST_F(AccountIntegrationTest, UnknownTokenIsACreditAccountWithNothingOnIt) {
  v1::Balance balance = BalanceOf("tok-never-granted");
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(balance.credits(), 0);
  EXPECT_FALSE(balance.pass_active());
}

TEST_F(AccountIntegrationTest, GrantsWithoutTheRightAdminKeyAreRefused) {
  v1::Balance balance;
  ExpectAdminKeyRequired(server_->Client()->GrantCredits("tok-refused", 5, "refused-1", &balance));
  ExpectAdminKeyRequired(Admin(kWrongKey)->GrantCredits("tok-refused", 5, "refused-1", &balance));
  ExpectAdminKeyRequired(
      Admin(absl::StrCat(kAdminKey, "x"))->GrantCredits("tok-refused", 5, "refused-1", &balance));
  ExpectAdminKeyRequired(Admin(kWrongKey)->GrantPass("tok-refused", 7, "refused-2", &balance));
  // A token, even one equal to the key, is no admin key.
  ExpectAdminKeyRequired(
      server_->Account(kAdminKey)->GrantCredits("tok-refused", 5, "refused-1", &balance));
  EXPECT_EQ(BalanceOf("tok-refused").credits(), 0);
  EXPECT_FALSE(BalanceOf("tok-refused").pass_active());
}

TEST(AccountNoAdminKeyIntegrationTest, ServerWithoutAnAdminKeyRefusesEveryGrant) {
  auto server = ServerProcess::Start({});
  ASSERT_NE(server, nullptr);
  client::ClientOptions options;
  options.admin_key = kAdminKey;
  auto admin = server->Client(options);
  v1::Balance balance;
  ExpectAdminKeyRequired(admin->GrantCredits("tok-a", 5, "o-1", &balance));
  ExpectAdminKeyRequired(admin->GrantPass("tok-a", 7, "o-2", &balance));
  ExpectAdminKeyRequired(server->Client()->GrantCredits("tok-a", 5, "o-1", &balance));
  // Balances are still served.
  ASSERT_TRUE(server->Account("tok-a")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 0);
  EXPECT_EQ(server->Terminate(), 0);
  EXPECT_THAT(server->Log(), ::testing::HasSubstr("admin RPCs: refused"));
}

TEST(AccountEnvironmentIntegrationTest, AdminKeyFromTheEnvironmentWorksAndIsNeverLogged) {
  auto process = ListeningProcess::Start(
      {"/usr/bin/env", absl::StrCat("CITECHECK_ADMIN_KEY=", kAdminKey), CITECHECK_SERVER_PATH,
       "--listen=127.0.0.1:0", "--log_level=trace", "--store=memory"});
  ASSERT_NE(process, nullptr);
  client::ClientOptions options;
  options.server = process->address();
  options.admin_key = kAdminKey;
  client::CitecheckClient admin(options);
  options.admin_key = kWrongKey;
  client::CitecheckClient wrong(options);
  options.admin_key.clear();
  options.token = "tok-env-secret-token";
  client::CitecheckClient user(options);

  v1::Balance balance;
  ASSERT_TRUE(admin.GrantCredits("tok-env-secret-token", 2, "env-1", &balance).ok());
  EXPECT_EQ(balance.credits(), 2);
  ASSERT_TRUE(admin.GrantPass("tok-env-secret-token", 1, "env-2", &balance).ok());
  ExpectAdminKeyRequired(wrong.GrantCredits("tok-env-secret-token", 2, "env-3", &balance));
  ASSERT_TRUE(user.GetBalance(&balance).ok());
  v1::Job job;
  ASSERT_TRUE(user.SubmitBatch(Batch(1), &job).ok());
  Finish(user, job.job_id());

  EXPECT_EQ(process->Terminate(), 0);
  const std::string log = process->Log();
  EXPECT_THAT(log, ::testing::HasSubstr("admin RPCs: enabled"));
  // The refusal is in the summary written at exit.
  EXPECT_THAT(log, ::testing::HasSubstr("(GrantCredits: wrong x-admin-key x1)"));
  EXPECT_FALSE(absl::StrContains(log, kAdminKey)) << log;
  EXPECT_FALSE(absl::StrContains(log, kWrongKey)) << log;
  EXPECT_FALSE(absl::StrContains(log, "tok-env-secret-token")) << log;
}

TEST_F(AccountIntegrationTest, PaidUserIsChargedOneCreditPerCheckedCitation) {
  v1::Balance balance;
  ASSERT_TRUE(Admin()->GrantCredits("tok-paid", 5, "paid-1", &balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(balance.credits(), 5);
  auto user = server_->Account("tok-paid");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(1), &job).ok());
  EXPECT_EQ(job.accepted(), 1);
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_NONE);
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(job.user_status().credits_remaining(), 4);
  EXPECT_EQ(Finish(*user, job.job_id()).state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(balance.credits(), 4);
}

TEST_F(AccountIntegrationTest, TheSameOrderTwiceGrantsOnce) {
  auto admin = Admin();
  v1::Balance first, second;
  ASSERT_TRUE(admin->GrantCredits("tok-twice", 5, "twice-1", &first).ok());
  ASSERT_TRUE(admin->GrantCredits("tok-twice", 5, "twice-1", &second).ok());
  EXPECT_EQ(first.credits(), 5);
  EXPECT_EQ(second.credits(), 5);
  EXPECT_EQ(BalanceOf("tok-twice").credits(), 5);
}

TEST_F(AccountIntegrationTest, TheSameOrderIdForAnotherGrantIsOrderIdReused) {
  auto admin = Admin();
  v1::Balance balance;
  ASSERT_TRUE(admin->GrantCredits("tok-reuse", 5, "reuse-1", &balance).ok());
  for (grpc::Status status : {admin->GrantCredits("tok-reuse", 6, "reuse-1", &balance),
                              admin->GrantCredits("tok-other", 5, "reuse-1", &balance),
                              admin->GrantPass("tok-reuse", 7, "reuse-1", &balance)}) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(client::ErrorReason(status), "ORDER_ID_REUSED");
    EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("order_id", ::testing::_)));
  }
  EXPECT_EQ(BalanceOf("tok-reuse").credits(), 5);
  EXPECT_EQ(BalanceOf("tok-other").credits(), 0);
}

TEST_F(AccountIntegrationTest, ConcurrentGrantsOfOneOrderGrantOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&ok] {
      v1::Balance balance;
      if (Admin()->GrantCredits("tok-race", 7, "race-1", &balance).ok() && balance.credits() == 7) {
        ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(BalanceOf("tok-race").credits(), 7);
}

TEST_F(AccountIntegrationTest, ASecondPassExtendsTheFirst) {
  auto admin = Admin();
  const absl::Time before = absl::Now();
  v1::Balance first, second;
  ASSERT_TRUE(admin->GrantPass("tok-pass", 7, "pass-1", &first).ok());
  const absl::Time after = absl::Now();
  EXPECT_EQ(first.kind(), v1::USER_KIND_PASS);
  EXPECT_TRUE(first.pass_active());
  EXPECT_EQ(first.pass_type(), "7day");
  EXPECT_EQ(first.daily_limit(), 3);
  const absl::Time expiry = FromTimestamp(first.pass_expire_time());
  EXPECT_GE(expiry, before + absl::Hours(168) - absl::Seconds(1));
  EXPECT_LE(expiry, after + absl::Hours(168) + absl::Seconds(1));

  ASSERT_TRUE(admin->GrantPass("tok-pass", 7, "pass-2", &second).ok());
  EXPECT_EQ(FromTimestamp(second.pass_expire_time()), expiry + absl::Hours(168));
  EXPECT_EQ(FromTimestamp(BalanceOf("tok-pass").pass_expire_time()), expiry + absl::Hours(168));
}

TEST_F(AccountIntegrationTest, APassOfFiveDaysIsAnInvalidGrant) {
  v1::Balance balance;
  grpc::Status status = Admin()->GrantPass("tok-five", 5, "five-1", &balance);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(status), "INVALID_GRANT");
  EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("days", ::testing::_)));
  EXPECT_FALSE(BalanceOf("tok-five").pass_active());
}

TEST_F(AccountIntegrationTest, PassHolderOverTheDailyLimitIsRefusedAndCreditsAreUntouched) {
  auto admin = Admin();
  v1::Balance balance;
  ASSERT_TRUE(admin->GrantCredits("tok-daily", 10, "daily-1", &balance).ok());
  ASSERT_TRUE(admin->GrantPass("tok-daily", 1, "daily-2", &balance).ok());
  auto user = server_->Account("tok-daily");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(2), &job).ok());
  EXPECT_EQ(job.accepted(), 2);
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_PASS);
  EXPECT_EQ(job.user_status().daily_used(), 2);
  EXPECT_EQ(job.user_status().daily_limit(), 3);
  Finish(*user, job.job_id());

  // 2 + 2 > 3: the whole batch is refused (a pass is all-or-nothing).
  v1::Job refused;
  grpc::Status status = user->SubmitBatch(Batch(2), &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(client::ErrorReason(status), "DAILY_LIMIT_REACHED");
  const auto metadata = client::ErrorMetadata(status);
  ASSERT_EQ(metadata.count("reset_time"), 1u);
  absl::Time reset;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, metadata.at("reset_time"), &reset, &error))
      << error;
  const absl::Time now = absl::Now();
  EXPECT_GT(reset, now);
  EXPECT_LE(reset, now + absl::Hours(24));
  EXPECT_EQ(absl::ToUnixSeconds(reset) % 86400, 0);  // a UTC midnight
  EXPECT_TRUE(client::RetryDelay(status).has_value());

  ASSERT_TRUE(user->GetBalance(&balance).ok());
  EXPECT_EQ(balance.kind(), v1::USER_KIND_PASS);
  EXPECT_EQ(balance.daily_used(), 2);
  EXPECT_EQ(balance.credits(), 10);  // never touched while the pass is active
  EXPECT_EQ(FromTimestamp(balance.reset_time()), reset);
}

TEST_F(AccountIntegrationTest, NoCreditsMeansAJobWithNothingAcceptedThatIsAlreadyDone) {
  auto user = server_->Account("tok-empty");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(2), &job).ok());
  EXPECT_EQ(job.accepted(), 0);
  EXPECT_EQ(job.locked(), 2);
  EXPECT_TRUE(job.partial());
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_CREDITS);
  EXPECT_EQ(job.user_status().credits_remaining(), 0);
}

TEST_F(AccountIntegrationTest, ThreeCreditsCheckThreeOfFiveCitations) {
  v1::Balance balance;
  ASSERT_TRUE(Admin()->GrantCredits("tok-three", 3, "three-1", &balance).ok());
  auto user = server_->Account("tok-three");
  v1::Job job;
  ASSERT_TRUE(user->SubmitBatch(Batch(5), &job).ok());
  EXPECT_EQ(job.total(), 5);
  EXPECT_EQ(job.accepted(), 3);
  EXPECT_EQ(job.locked(), 2);
  EXPECT_TRUE(job.partial());
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  EXPECT_EQ(job.user_status().credits_remaining(), 0);
  v1::Job done = Finish(*user, job.job_id());
  EXPECT_EQ(done.succeeded(), 3);
  EXPECT_EQ(done.results_size(), 3);
  EXPECT_EQ(BalanceOf("tok-three").credits(), 0);
}

TEST_F(AccountIntegrationTest, HealthReportsTheAccountServiceServing) {
  // grpc.health.v1.Health/Check {service: "citecheck.v1.AccountService"} in raw bytes, so the
  // test needs no health stubs.
  const std::string service = "citecheck.v1.AccountService";
  const std::string request_bytes =
      std::string("\x0a") + static_cast<char>(service.size()) + service;
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(request_bytes);
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::Status status;
  absl::Notification done;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &reply,
                    [&](grpc::Status s) {
                      status = std::move(s);
                      done.Notify();
                    });
  done.WaitForNotification();
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

TEST_F(AccountIntegrationTest, NeitherTheAdminKeyNorTokensAppearInTheLog) {
  v1::Balance balance;
  ASSERT_TRUE(Admin()->GrantCredits("tok-log-secret", 1, "log-1", &balance).ok());
  ExpectAdminKeyRequired(Admin(kWrongKey)->GrantCredits("tok-log-secret", 1, "log-2", &balance));
  BalanceOf("tok-log-secret");
  // Lines at info and above are flushed as they are written; refusals are summed up every
  // --admin_failure_log_interval (200ms here): wait for the summary.
  std::string log;
  Eventually([&] {
    log = server_->Log();
    return absl::StrContains(log, "GrantCredits: wrong x-admin-key");
  });
  EXPECT_THAT(log, ::testing::HasSubstr("admin RPCs: enabled"));
  EXPECT_THAT(log, ::testing::HasSubstr("GrantCredits: wrong x-admin-key"));
  EXPECT_FALSE(absl::StrContains(log, kAdminKey)) << log;
  EXPECT_FALSE(absl::StrContains(log, kWrongKey)) << log;
  EXPECT_FALSE(absl::StrContains(log, "tok-log-secret")) << log;
}

}  // namespace
}  // namespace citecheck::testing

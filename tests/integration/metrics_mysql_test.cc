// The database families of /metrics with --store=mysql on a real MariaDB (the ctest fixture):
// each kind of transaction call counts where it should, and the latency histogram observes
// every call. The replica's own background transactions (claims, heartbeats, sweeps) commit
// all the time, so commits are checked as lower bounds; nothing else produces a rollback.

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/prometheus_text.h"
#include "tests/integration/server_process.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck::testing {
namespace {

constexpr char kAdminKey[] = "metrics-admin-key";

double Db(const PrometheusText& m, const char* outcome) {
  return m.Value("citecheck_db_transactions_total", {{"outcome", outcome}});
}

TEST(MetricsMysqlTest, TransactionsAreCountedByOutcome) {
  auto db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  const MysqlUrl& url = (*db)->url();
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(
      {"--store=mysql",
       absl::StrCat("--mysql_url=mysql://", url.user, ":", url.password, "@", url.host, ":",
                    url.port, "/", url.database),
       absl::StrCat("--admin_key=", kAdminKey), "--metrics_listen=127.0.0.1:0"});
  ASSERT_NE(server, nullptr);
  client::ClientOptions admin_options;
  admin_options.admin_key = kAdminKey;
  std::unique_ptr<client::CitecheckClient> admin = server->Client(admin_options);

  const PrometheusText before = ScrapeMetrics(server->metrics_address());
  EXPECT_GT(Db(before, "commit"), 0);  // migrations, registration
  EXPECT_EQ(Db(before, "error"), 0);
  EXPECT_EQ(Db(before, "retry"), 0);

  // A grant is one transaction: +1 commit at least.
  v1::Balance balance;
  ASSERT_TRUE(admin->GrantCredits("metrics-token", 5, "order-1", &balance).ok());
  const PrometheusText granted = ScrapeMetrics(server->metrics_address());
  EXPECT_GE(Db(granted, "commit"), Db(before, "commit") + 1);
  EXPECT_EQ(Db(granted, "rollback"), Db(before, "rollback"));

  // The same order id with other content is declined inside its transaction: +1 rollback.
  EXPECT_EQ(admin->GrantCredits("metrics-token", 7, "order-1", &balance).error_code(),
            grpc::INVALID_ARGUMENT);
  const PrometheusText reused = ScrapeMetrics(server->metrics_address());
  EXPECT_EQ(Db(reused, "rollback"), Db(granted, "rollback") + 1);

  // A paid job reserves and charges in transactions of its own.
  std::unique_ptr<client::CitecheckClient> paid = server->Account("metrics-token");
  v1::SubmitBatchRequest request;
  request.mutable_citations()->add_items("Doe, J. (2020). A title. Journal, 1(2), 3-4.");
  v1::Job job;
  ASSERT_TRUE(paid->SubmitBatch(request, &job).ok());
  ASSERT_TRUE(paid->Watch(job.job_id(), 0, [](const v1::JobEvent&) { return true; }).ok());
  const PrometheusText after = ScrapeMetrics(server->metrics_address());
  EXPECT_GE(Db(after, "commit"), Db(reused, "commit") + 2);  // reserve, charge
  EXPECT_EQ(Db(after, "error"), 0);
  EXPECT_EQ(Db(after, "retry"), 0);
  EXPECT_GT(after.Value("citecheck_db_transaction_seconds_sum"), 0);
  // Every call is observed once (the counter and the histogram are two atomics apart, so a
  // scrape may fall between them while background transactions run: wait for one that agrees).
  EXPECT_TRUE(Eventually([&] {
    const PrometheusText m = ScrapeMetrics(server->metrics_address());
    const double count = m.Value("citecheck_db_transaction_seconds_count");
    return count == Db(m, "commit") + Db(m, "rollback") + Db(m, "error") &&
           m.Value("citecheck_db_transaction_seconds_bucket", {{"le", "10"}}) == count;
  }));
}

}  // namespace
}  // namespace citecheck::testing

#include "tests/integration/replica_test_support.h"

#include "absl/strings/str_cat.h"

namespace citecheck::testing {

std::string BatchCitation(const std::string& tag, int index) {
  return absl::StrCat("Author", index, ", A. (2020). Study ", tag, "-", index,
                      ". _Journal_, _1_(2), 10–20.");
}

v1::SubmitBatchRequest Batch(int n, const std::string& tag, const std::string& request_id) {
  v1::SubmitBatchRequest request;
  request.set_request_id(request_id);
  for (int i = 0; i < n; ++i) request.mutable_citations()->add_items(BatchCitation(tag, i));
  return request;
}

std::map<std::string, std::map<std::string, int>> RequestsByCitation(const FakeOpenAiStats& stats) {
  std::map<std::string, std::map<std::string, int>> requests;
  for (const FakeOpenAiStats::Request& request : stats.log) {
    for (const std::string& citation : request.citations) {
      ++requests[citation][request.authorization];
    }
  }
  return requests;
}

void ReplicaFixture::SetUp() {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  db_ = *std::move(db);
  fake_ = FakeOpenAi::Start();
  ASSERT_NE(fake_, nullptr);
}

void ReplicaFixture::TearDown() { replicas_.clear(); }

std::vector<std::string> ReplicaFixture::Flags(const std::vector<std::string>& extra) const {
  return Flags(db_->url(), extra);
}

std::vector<std::string> ReplicaFixture::Flags(const MysqlUrl& mysql_url,
                                               const std::vector<std::string>& extra) const {
  std::vector<std::string> flags = ReplicaFlags(MysqlUrlText(mysql_url), fake_->base_url());
  flags.insert(flags.end(), extra.begin(), extra.end());
  return flags;
}

std::unique_ptr<MysqlProxy> ReplicaFixture::StartProxy() {
  return MysqlProxy::Start(db_->url().host, db_->url().port);
}

Replica& ReplicaFixture::AddReplicaThrough(const MysqlProxy& proxy, const std::string& name,
                                           const std::vector<std::string>& extra) {
  MysqlUrl through_proxy = db_->url();
  through_proxy.port = proxy.port();
  replicas_.push_back(std::make_unique<Replica>(name, Flags(through_proxy, extra)));
  return *replicas_.back();
}

Replica& ReplicaFixture::AddReplica(const std::string& name,
                                    const std::vector<std::string>& extra) {
  replicas_.push_back(std::make_unique<Replica>(name, Flags(extra)));
  return *replicas_.back();
}

void ReplicaFixture::Grant(Replica& replica, const std::string& token, int64_t credits) {
  v1::Balance balance;
  const grpc::Status granted = replica.Admin()->GrantCredits(
      token, credits, absl::StrCat("order-", token, "-", credits), &balance);
  ASSERT_TRUE(granted.ok()) << granted.error_message();
}

::testing::AssertionResult ReplicaFixture::BooksBalance(JobsExpected expected) {
  const absl::Status books = CheckJobBooks(db_->pool(), expected);
  if (books.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << books;
}

int64_t ReplicaFixture::Count(const std::string& sql, std::vector<SqlValue> params) {
  return db_->QueryInt(sql, std::move(params));
}

bool ReplicaFixture::WaitJobEnded(const std::string& job_id, absl::Duration timeout) {
  return WaitUntil(
      timeout,
      [&] {
        return Count("SELECT COUNT(*) FROM jobs WHERE job_id = ? AND state IN (3, 4, 5)",
                     {job_id}) == 1;
      },
      absl::Milliseconds(50));
}

}  // namespace citecheck::testing

#ifndef CITECHECK_TESTS_INTEGRATION_REPLICA_TEST_SUPPORT_H_
#define CITECHECK_TESTS_INTEGRATION_REPLICA_TEST_SUPPORT_H_

// What the failure tests of several replicas on one database share: batches with citations the
// fake OpenAI server's log can tell apart, an address that follows a restarting replica, the
// fake's log read per citation, and the fixture that owns the database, the fake and the
// replicas.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "citecheck/v1/citecheck.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/mysql_proxy.h"
#include "tests/integration/replica.h"
#include "tests/server/storage/invariants.h"
#include "tests/server/storage/mysql_test_database.h"

namespace citecheck::testing {

// A batch of `n` APA citations, each unique by `tag` and its index ("... Study <tag>-<i> ...").
v1::SubmitBatchRequest Batch(int n, const std::string& tag, const std::string& request_id = "");
// The text of citation `index` of Batch(n, tag).
std::string BatchCitation(const std::string& tag, int index);

// The address clients should use for a replica that restarts: "" while it is down. Thread-safe.
class LiveAddress {
 public:
  void Set(const std::string& address) {
    absl::MutexLock lock(&mu_);
    address_ = address;
  }
  std::string Get() const {
    absl::MutexLock lock(&mu_);
    return address_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string address_ ABSL_GUARDED_BY(mu_);
};

// How often the fake OpenAI server was asked about each citation, by replica authorization
// ("Bearer key-<name>"): requests[citation][authorization].
std::map<std::string, std::map<std::string, int>> RequestsByCitation(const FakeOpenAiStats& stats);

// A database of its own on the shared MariaDB fixture (or a given server), the fake OpenAI
// server, and replicas on them. Replicas are killed before the database is dropped.
class ReplicaFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The flags of a replica here (ReplicaFlags on `mysql_url`, by default this test's
  // database), followed by `extra`.
  std::vector<std::string> Flags(const std::vector<std::string>& extra = {}) const;
  std::vector<std::string> Flags(const MysqlUrl& mysql_url,
                                 const std::vector<std::string>& extra) const;
  // A replica named `name` (not started).
  Replica& AddReplica(const std::string& name, const std::vector<std::string>& extra = {});
  // A MySQL proxy in front of this test's MariaDB (ADD_FAILURE and nullptr when it cannot
  // listen), and a replica that reaches the database through it.
  std::unique_ptr<MysqlProxy> StartProxy();
  Replica& AddReplicaThrough(const MysqlProxy& proxy, const std::string& name,
                             const std::vector<std::string>& extra = {});

  // Grants `credits` to account `token` through `replica`'s AccountService.
  void Grant(Replica& replica, const std::string& token, int64_t credits);
  // CheckJobBooks on this test's database.
  ::testing::AssertionResult BooksBalance(JobsExpected expected);
  // A count from this test's database.
  int64_t Count(const std::string& sql, std::vector<SqlValue> params = {});

  // Waits until `job_id` has ended in the database (at most `timeout`).
  bool WaitJobEnded(const std::string& job_id, absl::Duration timeout);

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<FakeOpenAi> fake_;
  std::vector<std::unique_ptr<Replica>> replicas_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_REPLICA_TEST_SUPPORT_H_

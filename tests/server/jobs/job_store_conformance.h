#ifndef CITECHECK_TESTS_SERVER_JOBS_JOB_STORE_CONFORMANCE_H_
#define CITECHECK_TESTS_SERVER_JOBS_JOB_STORE_CONFORMANCE_H_

// The semantics every JobStore shares, written once and run against each implementation:
// jobs_test instantiates it for MemoryJobStore, jobs_mysql_test for MysqlJobStore on MariaDB.
// What only one store has (named locks, SQL, connections) stays in that store's own test file.

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "server/accounts/account_store.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// An EventSink that keeps everything published, per job, and checks that each job's events
// arrive in sequence order without gaps or repeats.
class RecordingSink final : public EventSink {
 public:
  void Publish(const std::string& job_id, std::vector<v1::JobEvent> events) override;
  std::vector<v1::JobEvent> Events(const std::string& job_id) const;
  // Problems seen (out-of-order or repeated sequences); empty when all is well.
  std::vector<std::string> problems() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::vector<v1::JobEvent>> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> problems_ ABSL_GUARDED_BY(mu_);
};

// A fresh, empty job store with its account store and sink.
struct JobStoreUnderTest {
  std::shared_ptr<void> resources;  // outlives everything below (e.g. the test database)
  std::unique_ptr<RecordingSink> sink;
  std::unique_ptr<AccountStore> accounts;
  std::unique_ptr<JobStore> store;
  // The store's books (accounts and jobs), checked after every test.
  std::function<absl::Status()> check_invariants;
};

struct JobStoreFactory {
  std::string name;  // the instantiation's test-name suffix
  std::function<absl::StatusOr<JobStoreUnderTest>(const QuotaRules&, const JobStoreOptions&)> make;
};

inline std::ostream& operator<<(std::ostream& os, const JobStoreFactory& factory) {
  return os << factory.name;
}

struct JobStoreFactoryName {
  std::string operator()(const ::testing::TestParamInfo<JobStoreFactory>& info) const {
    return info.param.name;
  }
};

class JobStoreConformanceTest : public ::testing::TestWithParam<JobStoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Replaces the store with one made with these options (and a fresh database).
  void Remake(const QuotaRules& rules, const JobStoreOptions& options);

  JobStore& store() { return *subject_.store; }
  AccountStore& accounts() { return *subject_.accounts; }
  RecordingSink& sink() { return *subject_.sink; }

  // A job of `citations` citations "<id>-c<i>" for `caller`, 2 per chunk unless told.
  NewJob Job(const std::string& id, const Caller& caller, int citations, int per_chunk = 2);
  absl::StatusOr<v1::Job> Submit(const std::string& id, const Caller& caller, int citations,
                                 int per_chunk = 2);
  // Claims up to `max` chunks for `owner` at now().
  std::vector<Chunk> Claim(const std::string& owner, int max);
  // Records every item of `chunk` as valid (a result whose original is the citation), except
  // those in `failing` (LLM_UNAVAILABLE).
  absl::StatusOr<RecordResult> RecordAll(const std::string& owner, const Chunk& chunk,
                                         std::vector<int> failing = {});
  std::vector<v1::JobEvent> AllEvents(const std::string& job_id);
  int64_t Credits(const std::string& token);
  void Grant(const std::string& token, int64_t credits);

  absl::Time now() const { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

  JobStoreUnderTest subject_;
  absl::Time now_ = absl::FromUnixSeconds(1798804800);  // 2027-01-01 12:00:00 UTC
  int orders_ = 0;
};

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_JOBS_JOB_STORE_CONFORMANCE_H_

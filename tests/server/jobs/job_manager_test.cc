#include "server/jobs/job_manager.h"

#include <atomic>
#include <memory>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "server/common/errors.h"
#include "server/jobs/job_protos.h"
#include "server/jobs/memory_job_store.h"
#include "tests/fakes/fake_checker.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {



BatchSpec Batch(int n, const std::string& prefix = "c", const std::string& request_id = "") {
  BatchSpec batch;
  for (int i = 0; i < n; ++i) batch.citations.push_back(prefix + std::to_string(i));
  batch.request_id = request_id;
  batch.input_fingerprint = prefix + std::to_string(n);
  return batch;
}

class JobManagerTest : public ::testing::Test {
 protected:
  void Start(JobManagerOptions options = {}, QuotaRules rules = {}) {
    accounts_ = std::make_unique<MemoryAccountStore>(rules);
    jobs_ = std::make_unique<MemoryJobStore>(accounts_.get());
    manager_ =
        std::make_unique<JobManager>(options, jobs_.get(), accounts_.get(), &checker_, &clock_);
    manager_->Start();
  }

  void TearDown() override {
    checker_.Release();
    if (manager_) manager_->Shutdown();
    if (accounts_) {
      EXPECT_TRUE(accounts_->CheckInvariants().ok());
    }
  }

  // Waits (real time) until the job is terminal; returns the final snapshot.
  v1::Job AwaitDone(const Caller& caller, const std::string& job_id) {
    for (int i = 0; i < 1000; ++i) {
      auto job = manager_->Get(caller, job_id);
      if (job.ok() && IsTerminalState(job->state())) return *job;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << "job " << job_id << " did not finish";
    return {};
  }

  int64_t Credits(const std::string& token) {
    auto balance = accounts_->GetBalance(Caller::ForAccount(token), clock_.Now());
    return balance.ok() ? balance->credits() : -1;
  }

  FakeClock clock_;
  FakeChecker checker_;
  std::unique_ptr<MemoryAccountStore> accounts_;
  std::unique_ptr<MemoryJobStore> jobs_;
  std::unique_ptr<JobManager> manager_;
};

TEST_F(JobManagerTest, ChecksEveryAcceptedCitationAndChargesEachResult) {
  Start();
  ASSERT_TRUE(accounts_->GrantCredits("tok", 10, "o1", clock_.Now()).ok());
  auto job = manager_->Submit(Caller::ForAccount("tok"), Batch(7));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->accepted(), 7);
  EXPECT_EQ(job->model(), "fake");
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 7);
  ASSERT_EQ(done.results_size(), 7);
  EXPECT_EQ(done.results(6).original(), "c6");
  EXPECT_EQ(checker_.calls(), 2);  // 5 + 2
  EXPECT_EQ(Credits("tok"), 3);
}

TEST_F(JobManagerTest, FreeUserGetsPartialResultsAndUsageIsCountedOnTheServer) {
  QuotaRules rules;
  rules.free_limit = 10;
  Start({}, rules);
  // The old system's test: x-free-used = 8, five citations → two checked, three locked.
  auto job = manager_->Submit(Caller::ForFreeUser("u1", 8), Batch(5));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->accepted(), 2);
  EXPECT_EQ(job->locked(), 3);
  EXPECT_TRUE(job->partial());
  EXPECT_EQ(job->limit_type(), v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(job->user_status().free_used_total(), 10);
  v1::Job done = AwaitDone(Caller::ForFreeUser("u1"), job->job_id());
  EXPECT_EQ(done.results_size(), 2);
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);

  // The same user without the header: the server remembers.
  auto second = manager_->Submit(Caller::ForFreeUser("u1"), Batch(2, "d"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->accepted(), 0);
  EXPECT_EQ(second->locked(), 2);
  EXPECT_EQ(second->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(checker_.seen().size(), 2u);  // the second job never reached the checker
}

TEST_F(JobManagerTest, JobWithNothingAcceptedFinishesAtOnceWithoutCallingTheChecker) {
  Start();
  auto job = manager_->Submit(Caller::ForAccount("empty"), Batch(3));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->accepted(), 0);
  EXPECT_EQ(job->locked(), 3);
  EXPECT_EQ(job->limit_type(), v1::LIMIT_TYPE_CREDITS_EXHAUSTED);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(checker_.calls(), 0);
}

TEST_F(JobManagerTest, SmallJobIsNotHeldBackByABigOne) {
  JobManagerOptions options;
  options.max_inflight = 1;
  options.citations_per_call = 1;
  Start(options);
  ASSERT_TRUE(accounts_->GrantCredits("tok", 1000, "o1", clock_.Now()).ok());
  checker_.Hold();
  auto big = manager_->Submit(Caller::ForAccount("tok"), Batch(200, "big"));
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  auto small = manager_->Submit(Caller::ForAccount("tok"), Batch(2, "small"));
  ASSERT_TRUE(small.ok());
  checker_.Release();
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), small->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  // Jobs take turns: the small job's citations are among the first five checked.
  std::vector<std::string> seen = checker_.seen();
  ASSERT_GE(seen.size(), 4u);
  std::vector<std::string> first(seen.begin(), seen.begin() + 5);
  EXPECT_THAT(first, ::testing::IsSupersetOf({"small0", "small1"}));
  AwaitDone(Caller::ForAccount("tok"), big->job_id());
}

TEST_F(JobManagerTest, CancelStopsSchedulingAndReleasesUncheckedCitations) {
  JobManagerOptions options;
  options.max_inflight = 1;
  options.citations_per_call = 2;
  Start(options);
  ASSERT_TRUE(accounts_->GrantCredits("tok", 10, "o1", clock_.Now()).ok());
  checker_.Hold();
  auto job = manager_->Submit(Caller::ForAccount("tok"), Batch(10));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(Credits("tok"), 0);  // all ten reserved
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  auto cancelled = manager_->Cancel(Caller::ForAccount("tok"), job->job_id());
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(Credits("tok"), 10);  // released at once, the running chunk's two included
  checker_.Release();
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(checker_.calls(), 1);  // nothing new was started
  auto after = manager_->Get(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(after->results_size(), 0);  // the in-flight answer was discarded
  EXPECT_EQ(Credits("tok"), 10);        // and not charged
  EXPECT_EQ(manager_->executor().queued(), 0);
  // Cancelling a finished job returns it unchanged.
  auto again = manager_->Cancel(Caller::ForAccount("tok"), job->job_id());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->last_sequence(), after->last_sequence());
}

TEST_F(JobManagerTest, FailedCitationsAreReleasedNotCharged) {
  Start();
  ASSERT_TRUE(accounts_->GrantCredits("tok", 5, "o1", clock_.Now()).ok());
  checker_.FailCitationsContaining("bad", "LLM_UNAVAILABLE");
  BatchSpec batch;
  batch.citations = {"good one", "bad one", "good two"};
  auto job = manager_->Submit(Caller::ForAccount("tok"), batch);
  ASSERT_TRUE(job.ok());
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  EXPECT_EQ(done.failed(), 1);
  ASSERT_EQ(done.failures_size(), 1);
  EXPECT_EQ(done.failures(0).index(), 1);
  EXPECT_EQ(ErrorReason(FromRpcStatus(done.failures(0).status())), "LLM_UNAVAILABLE");
  EXPECT_EQ(Credits("tok"), 3);
}

TEST_F(JobManagerTest, JobFailsWhenNoCitationCouldBeChecked) {
  Start();
  ASSERT_TRUE(accounts_->GrantCredits("tok", 5, "o1", clock_.Now()).ok());
  checker_.FailCitationsContaining("bad", "LLM_REJECTED");
  BatchSpec batch;
  batch.citations = {"bad 1", "bad 2"};
  auto job = manager_->Submit(Caller::ForAccount("tok"), batch);
  ASSERT_TRUE(job.ok());
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(ErrorReason(FromRpcStatus(done.error())), "LLM_REJECTED");
  EXPECT_EQ(Credits("tok"), 5);
}

TEST_F(JobManagerTest, CitationsLeftWhenTheDeadlinePassesFailWithJobDeadlineExceeded) {
  JobManagerOptions options;
  options.max_inflight = 1;
  options.citations_per_call = 1;
  options.job_deadline = absl::Minutes(30);
  Start(options);
  ASSERT_TRUE(accounts_->GrantCredits("tok", 5, "o1", clock_.Now()).ok());
  checker_.Hold();
  auto job = manager_->Submit(Caller::ForAccount("tok"), Batch(3));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  clock_.Advance(absl::Minutes(31));
  checker_.Release();
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(done.succeeded(), 1);
  EXPECT_EQ(done.failed(), 2);
  for (const auto& failure : done.failures()) {
    EXPECT_EQ(ErrorReason(FromRpcStatus(failure.status())), "JOB_DEADLINE_EXCEEDED");
  }
  EXPECT_EQ(checker_.calls(), 1);
  EXPECT_EQ(Credits("tok"), 4);
}

TEST_F(JobManagerTest, FullQueueRefusesTheJobAndReservesNothing) {
  JobManagerOptions options;
  options.max_inflight = 1;
  options.citations_per_call = 1;
  options.max_queued_chunks = 3;
  Start(options);
  ASSERT_TRUE(accounts_->GrantCredits("tok", 100, "o1", clock_.Now()).ok());
  checker_.Hold();
  ASSERT_TRUE(manager_->Submit(Caller::ForAccount("tok"), Batch(1, "a")).ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  ASSERT_TRUE(manager_->Submit(Caller::ForAccount("tok"), Batch(3, "b")).ok());  // fills the queue
  auto refused = manager_->Submit(Caller::ForAccount("tok"), Batch(1, "c"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(refused.status()), "QUEUE_FULL");
  EXPECT_EQ(Credits("tok"), 96);  // only the accepted jobs hold credits
}

TEST_F(JobManagerTest, RequestIdReturnsTheSameJobAndRefusesOtherInput) {
  Start();
  ASSERT_TRUE(accounts_->GrantCredits("tok", 10, "o1", clock_.Now()).ok());
  auto first = manager_->Submit(Caller::ForAccount("tok"), Batch(3, "c", "req-1"));
  ASSERT_TRUE(first.ok());
  auto again = manager_->Submit(Caller::ForAccount("tok"), Batch(3, "c", "req-1"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->job_id(), first->job_id());
  auto other = manager_->Submit(Caller::ForAccount("tok"), Batch(4, "c", "req-1"));
  EXPECT_EQ(other.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(other.status()), "REQUEST_ID_REUSED");
  // Another caller may use the same id for its own job.
  ASSERT_TRUE(accounts_->GrantCredits("tok2", 10, "o2", clock_.Now()).ok());
  auto someone_else = manager_->Submit(Caller::ForAccount("tok2"), Batch(3, "c", "req-1"));
  ASSERT_TRUE(someone_else.ok());
  EXPECT_NE(someone_else->job_id(), first->job_id());
  AwaitDone(Caller::ForAccount("tok"), first->job_id());
  EXPECT_EQ(Credits("tok"), 7);  // charged once
}

TEST_F(JobManagerTest, JobsAreVisibleOnlyToTheirOwner) {
  Start();
  auto job = manager_->Submit(Caller::ForFreeUser("alice"), Batch(1));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(manager_->Get(Caller::ForFreeUser("bob"), job->job_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Cancel(Caller::ForFreeUser("bob"), job->job_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->Events(Caller::ForAccount("alice"), job->job_id()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(manager_->Get(Caller::ForFreeUser("alice"), job->job_id()).ok());
}

// An AccountStore whose Settle fails the next `n` times, like a database restarting.
class FlakySettleStore final : public AccountStore {
 public:
  explicit FlakySettleStore(AccountStore* inner) : inner_(inner) {}
  void FailNextSettles(int n) { failures_left_ = n; }
  int settle_calls() const { return settle_calls_; }

  absl::StatusOr<Reservation> Reserve(const ReserveRequest& r) override {
    return inner_->Reserve(r);
  }
  absl::Status Settle(absl::Span<const Settlement> s) override {
    ++settle_calls_;
    if (failures_left_ > 0) {
      --failures_left_;
      return absl::UnavailableError("database restarting");
    }
    return inner_->Settle(s);
  }
  absl::StatusOr<v1::Balance> GetBalance(const Caller& c, absl::Time now) override {
    return inner_->GetBalance(c, now);
  }
  absl::StatusOr<v1::Balance> GrantCredits(const std::string& t, int64_t c, const std::string& o,
                                           absl::Time now) override {
    return inner_->GrantCredits(t, c, o, now);
  }
  absl::StatusOr<v1::Balance> GrantPass(const std::string& t, int d, const std::string& o,
                                        absl::Time now) override {
    return inner_->GrantPass(t, d, o, now);
  }

 private:
  AccountStore* const inner_;
  std::atomic<int> failures_left_{0};
  std::atomic<int> settle_calls_{0};
};

TEST_F(JobManagerTest, ResultsAreRecordedOnceTheStoreComesBack) {
  accounts_ = std::make_unique<MemoryAccountStore>(QuotaRules{});
  FlakySettleStore flaky(accounts_.get());
  jobs_ = std::make_unique<MemoryJobStore>(&flaky);
  JobManagerOptions options;
  options.record_retry_initial = absl::Milliseconds(1);
  options.record_retry_max = absl::Milliseconds(5);
  manager_ = std::make_unique<JobManager>(options, jobs_.get(), &flaky, &checker_, &clock_);
  manager_->Start();
  ASSERT_TRUE(accounts_->GrantCredits("tok", 10, "o1", clock_.Now()).ok());
  flaky.FailNextSettles(4);
  auto job = manager_->Submit(Caller::ForAccount("tok"), Batch(3));
  ASSERT_TRUE(job.ok());
  v1::Job done = AwaitDone(Caller::ForAccount("tok"), job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 3);
  EXPECT_EQ(done.results_size(), 3);
  EXPECT_EQ(flaky.settle_calls(), 5);  // four refusals, then one settlement of the chunk
  EXPECT_EQ(checker_.calls(), 1);      // the answers were kept, not asked for again
  EXPECT_EQ(Credits("tok"), 7);        // charged exactly once
  manager_->Shutdown();
}

TEST_F(JobManagerTest, FinishedJobsAreForgottenAfterRetention) {
  JobManagerOptions options;
  options.job_retention = absl::Hours(1);
  options.sweep_interval = absl::Milliseconds(20);
  Start(options);
  auto job = manager_->Submit(Caller::ForFreeUser("alice"), Batch(1));
  ASSERT_TRUE(job.ok());
  AwaitDone(Caller::ForFreeUser("alice"), job->job_id());
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(manager_->Get(Caller::ForFreeUser("alice"), job->job_id()).ok());
  clock_.Advance(absl::Hours(2));
  absl::StatusCode code = absl::StatusCode::kOk;
  for (int i = 0; i < 200 && code != absl::StatusCode::kNotFound; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    code = manager_->Get(Caller::ForFreeUser("alice"), job->job_id()).status().code();
  }
  EXPECT_EQ(code, absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace citecheck

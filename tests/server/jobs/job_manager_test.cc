#include "server/jobs/job_manager.h"

#include <atomic>
#include <memory>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/accounts/memory_account_store.h"
#include "server/common/errors.h"
#include "server/jobs/event_hub.h"
#include "server/jobs/job_protos.h"
#include "server/jobs/memory_job_store.h"
#include "tests/fakes/eventually.h"
#include "tests/fakes/fake_checker.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/flaky_job_store.h"
#include "tests/server/accounts/memory_account_books.h"

// The job manager in process on a MemoryJobStore, with a checker that can be held and released
// and a clock that moves when told: tests wait on conditions, never on sleeps.

namespace citecheck {
namespace {

using ::testing::ElementsAre;

BatchSpec Batch(int n, const std::string& prefix = "c", const std::string& request_id = "") {
  BatchSpec batch;
  for (int i = 0; i < n; ++i) batch.citations.push_back(prefix + std::to_string(i));
  batch.request_id = request_id;
  batch.input_fingerprint = prefix + std::to_string(n);
  return batch;
}

const Caller kTok = Caller::ForAccount("tok");

JobManagerOptions FastOptions(const std::string& name = "a") {
  JobManagerOptions options;
  options.replica_name = name;
  options.citations_per_call = 2;
  options.max_inflight = 4;
  options.cancel_poll = absl::Milliseconds(10);
  options.claim_poll_max = absl::Milliseconds(20);
  options.maintenance_interval = absl::Milliseconds(10);
  options.heartbeat_interval = absl::Milliseconds(10);
  options.shutdown_grace = absl::Seconds(5);
  options.record_retry_initial = absl::Milliseconds(5);
  options.record_retry_max = absl::Milliseconds(20);
  return options;
}

// Every test runs twice: with a synchronous checker (the manager's worker threads run the
// checks) and with an asynchronous one (the claimer starts them; their callbacks come from the
// checker's threads).
class JobManagerTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    accounts_ = std::make_unique<MemoryAccountStore>(QuotaRules{});
    MakeStore(JobStoreOptions{});
  }

  void MakeStore(const JobStoreOptions& options) {
    store_ = std::make_unique<MemoryJobStore>(options, accounts_.get(), &hub_);
    flaky_ = std::make_unique<FlakyJobStore>(store_.get());
  }

  JobManager& Start(JobManagerOptions options = FastOptions()) {
    managers_.push_back(std::make_unique<JobManager>(options, flaky_.get(), &checker_, &clock_));
    const absl::Status started = managers_.back()->Start();
    EXPECT_TRUE(started.ok()) << started;
    return *managers_.back();
  }

  void TearDown() override {
    checker_.Release();
    for (auto& manager : managers_) manager->Shutdown();
    EXPECT_TRUE(CheckMemoryAccountBooks(*accounts_).ok()) << CheckMemoryAccountBooks(*accounts_);
  }

  // Waits until the job is terminal; returns the final snapshot.
  v1::Job AwaitDone(JobManager& manager, const Caller& caller, const std::string& job_id) {
    v1::Job last;
    EXPECT_TRUE(Eventually([&] {
      absl::StatusOr<v1::Job> job = manager.Get(caller, job_id);
      if (job.ok()) last = *job;
      return job.ok() && IsTerminalState(job->state());
    })) << "job "
        << job_id << " did not finish: " << last.ShortDebugString();
    return last;
  }

  int64_t Credits(const std::string& token) {
    auto balance = accounts_->GetBalance(Caller::ForAccount(token), clock_.Now());
    return balance.ok() ? balance->credits() : -1;
  }
  void Grant(const std::string& token, int64_t credits) {
    ASSERT_TRUE(
        accounts_
            ->GrantCredits(token, credits, "o-" + token + std::to_string(credits), clock_.Now())
            .ok());
  }

  FakeClock clock_;
  FakeChecker checker_{/*asynchronous=*/GetParam()};
  EventHub hub_;
  std::unique_ptr<MemoryAccountStore> accounts_;
  std::unique_ptr<MemoryJobStore> store_;
  std::unique_ptr<FlakyJobStore> flaky_;
  std::vector<std::unique_ptr<JobManager>> managers_;
};

TEST_P(JobManagerTest, ChecksEveryAcceptedCitationAndChargesEachResult) {
  JobManager& manager = Start();
  Grant("tok", 10);
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(7));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->accepted(), 7);
  EXPECT_EQ(job->model(), "fake");
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 7);
  ASSERT_EQ(done.results_size(), 7);
  EXPECT_EQ(done.results(6).original(), "c6");
  EXPECT_EQ(Credits("tok"), 3);
  EXPECT_EQ(checker_.calls(), 4);  // chunks of 2
  EXPECT_TRUE(Eventually([&] { return manager.inflight() == 0; }));
}

TEST_P(JobManagerTest, NoMoreThanMaxInflightChecksRunAtOnce) {
  JobManager& manager = Start();  // max_inflight 4, chunks of 2
  Grant("tok", 40);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(40));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_TRUE(checker_.AwaitRunning(4, absl::Seconds(10)));
  // Let the checks through a few at a time: each freed slot is taken again, never more.
  for (int round = 0; round < 4; ++round) {
    const int before = checker_.calls();
    checker_.Let(2);
    EXPECT_TRUE(Eventually([&] { return checker_.calls() >= before + 2; }));
    EXPECT_TRUE(checker_.AwaitRunning(4, absl::Seconds(10)));
  }
  checker_.Release();
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  EXPECT_EQ(done.succeeded(), 40);
  EXPECT_EQ(checker_.calls(), 20);
  EXPECT_EQ(checker_.max_concurrent(), 4);
}

TEST_P(JobManagerTest, AJobWithNothingAcceptedNeverReachesTheChecker) {
  JobManager& manager = Start();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(3));
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->locked(), 3);
  EXPECT_EQ(checker_.calls(), 0);
}

TEST_P(JobManagerTest, ASmallJobIsNotHeldBackByABigOne) {
  JobManagerOptions options = FastOptions();
  options.max_inflight = 1;
  options.citations_per_call = 1;
  JobManager& manager = Start(options);
  Grant("tok", 100);
  checker_.Hold();
  absl::StatusOr<v1::Job> big = manager.Submit(kTok, Batch(10, "big"));
  ASSERT_TRUE(big.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  absl::StatusOr<v1::Job> small = manager.Submit(kTok, Batch(2, "small"));
  ASSERT_TRUE(small.ok());
  checker_.Release();
  AwaitDone(manager, kTok, small->job_id());
  AwaitDone(manager, kTok, big->job_id());
  const std::vector<std::string> seen = checker_.seen();
  // The small job's two citations are checked among the first four, not after the big job.
  const auto last_small = std::find(seen.begin(), seen.end(), "small1");
  ASSERT_NE(last_small, seen.end());
  EXPECT_LT(last_small - seen.begin(), 5) << ::testing::PrintToString(seen);
}

TEST_P(JobManagerTest, CancelStopsTheRunningChecksAtOnceAndReleasesTheRest) {
  JobManager& manager = Start();
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(6));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(3, absl::Seconds(10)));
  absl::StatusOr<v1::Job> cancelled = manager.Cancel(kTok, job->job_id());
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(Credits("tok"), 10);
  // The held checks see the cancel (the checker is still held: nothing else ends them).
  EXPECT_TRUE(Eventually([&] { return checker_.cancelled_calls() == 3; }));
  EXPECT_TRUE(Eventually([&] { return manager.inflight() == 0; }));
  EXPECT_EQ(checker_.calls(), 3);
  absl::StatusOr<v1::Job> after = manager.Get(kTok, job->job_id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->succeeded(), 0);
  EXPECT_EQ(Credits("tok"), 10);
}

TEST_P(JobManagerTest, ACancelMadeByAnotherReplicaStopsTheChecksRunningHere) {
  JobManager& manager = Start();
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(2));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  // Straight in the store, as another replica's CancelJob would.
  ASSERT_TRUE(store_->Cancel(job->job_id(), kTok.OwnerKey(), clock_.Now()).ok());
  EXPECT_TRUE(Eventually([&] { return checker_.cancelled_calls() == 1; }));
  EXPECT_TRUE(Eventually([&] { return manager.inflight() == 0; }));
  EXPECT_EQ(Credits("tok"), 10);
}

TEST_P(JobManagerTest, FailedCitationsAreReleasedAndAJobWithNothingCheckedFails) {
  JobManager& manager = Start();
  Grant("tok", 10);
  checker_.FailCitationsContaining("bad", std::string(reason::kLlmUnavailable));
  BatchSpec mixed = Batch(3, "ok");
  mixed.citations.push_back("bad one");
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, mixed);
  ASSERT_TRUE(job.ok());
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.failed(), 1);
  EXPECT_EQ(Credits("tok"), 7);

  absl::StatusOr<v1::Job> all_bad = manager.Submit(kTok, Batch(2, "bad"));
  ASSERT_TRUE(all_bad.ok());
  const v1::Job failed = AwaitDone(manager, kTok, all_bad->job_id());
  EXPECT_EQ(failed.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(ErrorReason(FromRpcStatus(failed.error())), "LLM_UNAVAILABLE");
  EXPECT_EQ(Credits("tok"), 7);
}

TEST_P(JobManagerTest, CitationsLeftAtTheDeadlineFailWithJobDeadlineExceeded) {
  JobManagerOptions options = FastOptions();
  options.job_deadline = absl::Minutes(1);
  options.max_inflight = 1;
  JobManager& manager = Start(options);
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(6));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  clock_.Advance(absl::Minutes(2));  // the maintenance expires the job
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  checker_.Release();
  EXPECT_EQ(done.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(done.failed(), 6);
  EXPECT_EQ(ErrorReason(FromRpcStatus(done.failures(0).status())), "JOB_DEADLINE_EXCEEDED");
  EXPECT_TRUE(Eventually([&] { return manager.inflight() == 0; }));
  EXPECT_EQ(Credits("tok"), 10);
}

TEST_P(JobManagerTest, AFullQueueRefusesTheJobAndReservesNothing) {
  JobStoreOptions small;
  small.max_queued_chunks = 2;
  MakeStore(small);
  JobManager& manager = Start();
  Grant("tok", 100);
  checker_.Hold();
  ASSERT_TRUE(manager.Submit(kTok, Batch(4, "a")).ok());  // 2 chunks
  absl::StatusOr<v1::Job> refused = manager.Submit(kTok, Batch(2, "b"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorReason(refused.status()), "QUEUE_FULL");
  EXPECT_EQ(Credits("tok"), 96);
}

TEST_P(JobManagerTest, ARequestIdReturnsTheSameJobAndRefusesOtherInput) {
  JobManager& manager = Start();
  Grant("tok", 10);
  absl::StatusOr<v1::Job> first = manager.Submit(kTok, Batch(2, "c", "req"));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<v1::Job> again = manager.Submit(kTok, Batch(2, "c", "req"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->job_id(), first->job_id());
  EXPECT_EQ(ErrorReason(manager.Submit(kTok, Batch(3, "c", "req")).status()), "REQUEST_ID_REUSED");
  AwaitDone(manager, kTok, first->job_id());
  EXPECT_EQ(Credits("tok"), 8);
}

TEST_P(JobManagerTest, ResultsAreRecordedOnceTheStoreComesBack) {
  JobManager& manager = Start();
  Grant("tok", 10);
  flaky_->FailRecords(3);
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(2));
  ASSERT_TRUE(job.ok());
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  EXPECT_GE(flaky_->record_calls(), 4);
  EXPECT_EQ(checker_.calls(), 1);  // the answers were kept, not asked again
  EXPECT_EQ(Credits("tok"), 8);
}

TEST_P(JobManagerTest, ChecksGoOnWhileTheirResultsWaitForTheRecorder) {
  // One chunk is checked at a time, and up to a recording's worth (two) more may wait for the
  // recorder: a slow store stops the claims at three chunks, not at the one checking slot.
  JobManagerOptions options = FastOptions();
  options.max_inflight = 1;
  options.citations_per_call = 1;
  options.max_record_batch = 2;
  JobManager& manager = Start(options);
  Grant("tok", 10);
  flaky_->FailRecords(1 << 30);
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(6));
  ASSERT_TRUE(job.ok());
  // All three checked and waiting: nothing more is claimed. (A claimed chunk reaches the
  // checker a moment after it counts as in flight.)
  ASSERT_TRUE(Eventually([&] { return checker_.calls() == 3 && manager.inflight() == 3; }));
  EXPECT_EQ(Credits("tok"), 4);  // six reserved, none charged yet
  flaky_->FailRecords(0);
  const v1::Job done = AwaitDone(manager, kTok, job->job_id());
  EXPECT_EQ(done.succeeded(), 6);
  EXPECT_EQ(checker_.calls(), 6);
  EXPECT_EQ(Credits("tok"), 4);
}

TEST_P(JobManagerTest, FinishedJobsAreRemovedAfterRetention) {
  JobManagerOptions options = FastOptions();
  options.job_retention = absl::Hours(1);
  JobManager& manager = Start(options);
  Grant("tok", 10);
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(1));
  ASSERT_TRUE(job.ok());
  AwaitDone(manager, kTok, job->job_id());
  clock_.Advance(absl::Minutes(30));
  absl::SleepFor(absl::Milliseconds(50));  // maintenance rounds run; nothing is due yet
  EXPECT_TRUE(manager.Get(kTok, job->job_id()).ok());
  clock_.Advance(absl::Minutes(31));
  EXPECT_TRUE(Eventually([&] {
    return manager.Get(kTok, job->job_id()).status().code() == absl::StatusCode::kNotFound;
  }));
}

TEST_P(JobManagerTest, ShutdownFinishesWhatCompletesWithinTheGrace) {
  JobManager& manager = Start();
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(2));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  std::thread stopper([&] { manager.Shutdown(); });
  // New work is refused once draining (a submit that raced the start of the drain is durable:
  // it was accepted, and waits in the queue for the next replica).
  int accepted_late = 0;
  EXPECT_TRUE(Eventually([&] {
    absl::StatusOr<v1::Job> late = manager.Submit(kTok, Batch(1, "late"));
    if (late.ok()) ++accepted_late;
    return ErrorReason(late.status()) == "SERVER_SHUTTING_DOWN";
  }));
  EXPECT_EQ(Credits("tok"), 8 - accepted_late);  // nothing reserved for refused jobs
  checker_.Release();
  stopper.join();
  absl::StatusOr<v1::Job> done = store_->Get(job->job_id(), kTok.OwnerKey());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(Credits("tok"), 8 - accepted_late);
}

TEST_P(JobManagerTest, ShutdownHandsBackWhatIsStillRunningAfterTheGrace) {
  JobManagerOptions options = FastOptions();
  options.shutdown_grace = absl::Milliseconds(100);
  JobManager& manager = Start(options);
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(4));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(2, absl::Seconds(10)));
  const absl::Time start = absl::Now();
  manager.Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_EQ(checker_.cancelled_calls(), 2);
  // Nothing charged; the chunks are back in the queue for the next replica.
  EXPECT_EQ(Credits("tok"), 6);
  absl::StatusOr<std::vector<Chunk>> chunks = store_->Claim("b", 10, clock_.Now());
  ASSERT_TRUE(chunks.ok());
  EXPECT_EQ(chunks->size(), 2u);
  checker_.Release();
  // The next replica finishes the job.
  ASSERT_TRUE(store_->HandBack("b", *chunks).ok());
  JobManager& next = Start(FastOptions("b"));
  const v1::Job done = AwaitDone(next, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 4);
  EXPECT_EQ(Credits("tok"), 6);
}

// Regression (CI, ASan): a claim still in the store when Shutdown began came back after
// Shutdown had seen no check running, and its chunk was checked anyway. With the server's
// asynchronous LLM checker that check outlived the checker: the HTTP client answered it while
// being destroyed, into the freed retry budget.
TEST_P(JobManagerTest, AClaimThatReturnsDuringShutdownIsHandedBackUnchecked) {
  JobManager& manager = Start();
  ASSERT_TRUE(Eventually([&] { return manager.Ready(); }));
  Grant("tok", 10);
  flaky_->HoldClaims();
  absl::StatusOr<v1::Job> job = manager.Submit(kTok, Batch(2));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(flaky_->AwaitHeldClaim(absl::Seconds(10)));
  std::thread stopper([&] { manager.Shutdown(); });
  ASSERT_TRUE(Eventually([&] { return !manager.Ready(); }));  // draining
  flaky_->ReleaseClaims();
  stopper.join();
  EXPECT_EQ(checker_.calls(), 0);
  EXPECT_EQ(Credits("tok"), 8);  // reserved, not charged
  // Unregistering put the chunk back in the queue: the next replica checks it.
  JobManager& next = Start(FastOptions("b"));
  const v1::Job done = AwaitDone(next, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  EXPECT_EQ(checker_.calls(), 1);
  EXPECT_EQ(Credits("tok"), 8);
}

TEST_P(JobManagerTest, AReplicaThatLostItsLeaseDropsItsWorkAndRegistersAgain) {
  JobManagerOptions a_options = FastOptions("a");
  JobManager& a = Start(a_options);
  Grant("tok", 10);
  checker_.Hold();
  absl::StatusOr<v1::Job> job = a.Submit(kTok, Batch(2));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE(checker_.AwaitRunning(1, absl::Seconds(10)));
  // Another replica sweeps "a" as dead while its check runs (its heartbeat was stale).
  clock_.Advance(absl::Minutes(5));
  ASSERT_TRUE(store_->RegisterReplica("b", clock_.Now()).ok());
  absl::StatusOr<int> swept =
      store_->SweepDeadReplicas("b", clock_.Now() + absl::Minutes(5), absl::Minutes(1));
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  clock_.Advance(absl::Seconds(1));  // "a"'s next heartbeat is due
  // "a" notices at its next heartbeat: the held checks are abandoned (the requeued chunk may
  // have been claimed again meanwhile), and "a" takes new work.
  EXPECT_TRUE(Eventually([&] { return checker_.cancelled_calls() >= 1; }));
  checker_.Release();
  const v1::Job done = AwaitDone(a, kTok, job->job_id());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  EXPECT_EQ(Credits("tok"), 8);
}

TEST_P(JobManagerTest, ReadinessFollowsTheStoresHeartbeats) {
  JobManager& manager = Start();
  EXPECT_TRUE(Eventually([&] { return manager.Ready(); }));
  std::atomic<int> changes{0};
  manager.OnReadyChange([&](bool) { ++changes; });
  flaky_->FailHeartbeats(true);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return !manager.Ready(); }));
  flaky_->FailHeartbeats(false);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return manager.Ready(); }));
  EXPECT_EQ(changes.load(), 2);
  // The callback refers to this frame, and Shutdown (in TearDown) reports "not ready" once more.
  manager.OnReadyChange(nullptr);
}

INSTANTIATE_TEST_SUITE_P(Checkers, JobManagerTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Asynchronous" : "Synchronous";
                         });

}  // namespace
}  // namespace citecheck

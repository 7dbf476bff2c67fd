// The failure matrix of durable jobs (issue 7, point 6): real citecheck-server replicas on one
// MariaDB (a database of their own on the shared ctest fixture) with the fake OpenAI server, killed
// with SIGKILL, frozen with SIGSTOP, several at once. Each test ends with the books checked in
// SQL (CheckJobBooks: one terminal state per item, charges = successes, nothing held after the
// end, events exactly 1..last_sequence, balances = grants - charges - reservations).

#include <algorithm>
#include <atomic>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/job_follower.h"
#include "tests/integration/replica_test_support.h"

namespace citecheck::testing {
namespace {

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

// Citations of the test's jobs with a result or a failure, in the database.
constexpr char kItemsDone[] = "SELECT COUNT(*) FROM job_items WHERE state <> 0";

class ReplicaFailureTest : public ReplicaFixture {};

// kill -9 at ten seeded random instants while three jobs run; after each kill the replica is
// started again under the same name. It takes its chunks back at once (its first new result
// comes within 2 s of SERVING; --replica_dead_after is 5 s, so no sweep could explain it), every
// job finishes, and watchers that reconnect after their last sequence see every event once.
TEST_F(ReplicaFailureTest, KillNineAtTenSeededPointsAndRestartUnderTheSameName) {
  fake_->SetDefaultLatency(150);
  Replica& replica = AddReplica("solo", {"--replica_dead_after=5s", "--citations_per_call=2"});
  ASSERT_TRUE(replica.Start());
  Grant(replica, "kill9-user", 1000);
  LiveAddress live;
  live.Set(replica.address());

  // 150 chunks of 2 citations at 150 ms, 4 at a time: the jobs outlast the ten kills.
  constexpr int kCitations = 100;
  std::vector<std::string> jobs;
  std::vector<std::unique_ptr<JobFollower>> followers;
  for (int j = 0; j < 3; ++j) {
    v1::Job job;
    ASSERT_TRUE(replica.Account("kill9-user")
                    ->SubmitBatch(Batch(kCitations, absl::StrCat("kill9-", j)), &job)
                    .ok());
    jobs.push_back(job.job_id());
    followers.push_back(
        std::make_unique<JobFollower>(job.job_id(), "kill9-user", [&live] { return live.Get(); }));
    followers.back()->Start(absl::Seconds(120));
  }

  std::mt19937 rng(20240607);
  std::uniform_int_distribution<int> pause_ms(250, 700);
  std::vector<absl::Duration> resumed_after;
  for (int round = 0; round < 10; ++round) {
    absl::SleepFor(absl::Milliseconds(pause_ms(rng)));  // the seeded kill point
    replica.Kill();
    live.Set("");
    const int64_t done_at_kill = Count(kItemsDone);
    ASSERT_TRUE(replica.Start()) << "restart " << round + 1;
    live.Set(replica.address());
    ASSERT_LT(done_at_kill, 3 * kCitations) << "the jobs ended before kill " << round + 1;
    ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return Count(kItemsDone) > done_at_kill; }))
        << "no progress after restart " << round + 1;
    resumed_after.push_back(absl::Now() - replica.serving_at());
  }
  for (auto& follower : followers) EXPECT_TRUE(follower->Join());

  std::cout << "[kill9] first new result after SERVING, per restart:";
  for (absl::Duration d : resumed_after) std::cout << " " << absl::ToInt64Milliseconds(d) << "ms";
  std::cout << std::endl;
  for (absl::Duration d : resumed_after) EXPECT_LE(d, absl::Seconds(2));

  int succeeded = 0;
  int worker_lost = 0;
  for (size_t j = 0; j < jobs.size(); ++j) {
    SCOPED_TRACE(jobs[j]);
    EXPECT_TRUE(followers[j]->Complete());
    EXPECT_GE(followers[j]->streams().size(), 2u) << "the watcher never had to reconnect";
    v1::Job job;
    ASSERT_TRUE(replica.Account("kill9-user")->GetJob(jobs[j], &job).ok());
    EXPECT_TRUE(IsTerminal(job.state()));
    EXPECT_EQ(job.succeeded() + job.failed(), kCitations);
    for (const v1::ItemFailure& failure : job.failures()) {
      // The fake answers every request: a citation fails only when in flight at three kills.
      EXPECT_EQ(client::ErrorReason(failure.status()), "WORKER_LOST");
      ++worker_lost;
    }
    // What the watcher saw ends in the snapshot GetJob returns.
    const v1::JobEvent last = followers[j]->events().back();
    EXPECT_EQ(last.job_update().succeeded(), job.succeeded());
    EXPECT_EQ(last.job_update().failed(), job.failed());
    succeeded += job.succeeded();
  }
  std::cout << "[kill9] " << succeeded << " citations checked, " << worker_lost
            << " failed WORKER_LOST, over " << replica.incarnations() << " processes" << std::endl;
  v1::Balance balance;
  ASSERT_TRUE(replica.Account("kill9-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 1000 - succeeded);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(replica.Terminate(), 0);
}

}  // namespace
}  // namespace citecheck::testing

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
#include "server/common/proto_time.h"
#include "tests/integration/job_follower.h"
#include "tests/integration/mysql_proxy.h"
#include "tests/integration/replica_test_support.h"

namespace citecheck::testing {
namespace {

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

// Citations of the test's jobs with a result or a failure, in the database.
constexpr char kItemsDone[] = "SELECT COUNT(*) FROM job_items WHERE state <> 0";

// Every page of the caller's ListJobs on `address`, `page_size` jobs a page; a page token
// from `tokens_from` (when given) is used instead of the one `address` returned, so that the
// pages show whether replicas accept each other's tokens.
std::vector<v1::ListJobsResponse> ListAllPages(const std::string& address, const std::string& token,
                                               int page_size) {
  auto stub = v1::CitationService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  std::vector<v1::ListJobsResponse> pages;
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  do {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    v1::ListJobsResponse page;
    const grpc::Status status = stub->ListJobs(&context, request, &page);
    if (!status.ok()) {
      ADD_FAILURE() << "ListJobs on " << address << ": " << status.error_message();
      break;
    }
    request.set_page_token(page.next_page_token());
    pages.push_back(std::move(page));
  } while (!request.page_token().empty() && pages.size() < 100);
  return pages;
}

// ListJobs on `address` with `page_token` (e.g. one another replica returned).
grpc::Status ListPage(const std::string& address, const std::string& token, int page_size,
                      const std::string& page_token, v1::ListJobsResponse* page) {
  auto stub = v1::CitationService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  return stub->ListJobs(&context, request, page);
}

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

// Submit on A and watch on B, and the reverse: each watcher sees every event exactly once (B
// learns A's events through its poller). Then any replica answers GetJob and ListJobs alike,
// and accepts the other's page tokens.
TEST_F(ReplicaFailureTest, TwoReplicasServeEachOthersJobs) {
  fake_->SetDefaultLatency(60);
  Replica& a = AddReplica("a");
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  Grant(a, "two-user", 100);

  v1::Job on_a;
  v1::Job on_b;
  ASSERT_TRUE(a.Account("two-user")->SubmitBatch(Batch(12, "two-a"), &on_a).ok());
  JobFollower watch_a_on_b(on_a.job_id(), "two-user", [&b] { return b.address(); });
  watch_a_on_b.Start(absl::Seconds(60));
  ASSERT_TRUE(b.Account("two-user")->SubmitBatch(Batch(12, "two-b"), &on_b).ok());
  JobFollower watch_b_on_a(on_b.job_id(), "two-user", [&a] { return a.address(); });
  watch_b_on_a.Start(absl::Seconds(60));
  ASSERT_TRUE(watch_a_on_b.Join());
  ASSERT_TRUE(watch_b_on_a.Join());
  EXPECT_TRUE(watch_a_on_b.Complete());
  EXPECT_TRUE(watch_b_on_a.Complete());
  // One stream each: nothing dropped them.
  EXPECT_EQ(watch_a_on_b.streams().size(), 1u);
  EXPECT_EQ(watch_b_on_a.streams().size(), 1u);

  // A few more jobs, so that ListJobs pages.
  for (int i = 0; i < 3; ++i) {
    v1::Job job;
    ASSERT_TRUE((i % 2 == 0 ? a : b)
                    .Account("two-user")
                    ->SubmitBatch(Batch(2, absl::StrCat("two-more-", i)), &job)
                    .ok());
    ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(30)));
  }
  for (const v1::Job* job : {&on_a, &on_b}) {
    v1::Job from_a;
    v1::Job from_b;
    ASSERT_TRUE(a.Account("two-user")->GetJob(job->job_id(), &from_a).ok());
    ASSERT_TRUE(b.Account("two-user")->GetJob(job->job_id(), &from_b).ok());
    EXPECT_EQ(from_a.SerializeAsString(), from_b.SerializeAsString());
    EXPECT_EQ(from_a.state(), v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(from_a.results_size(), 12);
    // The watcher's last event is the snapshot's terminal job_update.
    const JobFollower& follower = job == &on_a ? watch_a_on_b : watch_b_on_a;
    EXPECT_EQ(follower.events().back().job_update().last_sequence(), from_a.last_sequence());
  }
  const std::vector<v1::ListJobsResponse> pages_a = ListAllPages(a.address(), "two-user", 2);
  const std::vector<v1::ListJobsResponse> pages_b = ListAllPages(b.address(), "two-user", 2);
  ASSERT_EQ(pages_a.size(), 3u);
  ASSERT_EQ(pages_b.size(), pages_a.size());
  for (size_t i = 0; i < pages_a.size(); ++i) {
    EXPECT_EQ(pages_a[i].SerializeAsString(), pages_b[i].SerializeAsString()) << "page " << i;
    if (pages_a[i].next_page_token().empty()) continue;
    v1::ListJobsResponse crossed;  // A's token, asked of B
    ASSERT_TRUE(ListPage(b.address(), "two-user", 2, pages_a[i].next_page_token(), &crossed).ok());
    EXPECT_EQ(crossed.SerializeAsString(), pages_a[i + 1].SerializeAsString());
  }
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// A runs a job's chunks (B starts only once A holds them all); B cancels the job while some of
// A's LLM answers are still to come, staggered around the cancel. CancelJob's answer is final:
// A's late answers are fenced out or dropped, never charged; both replicas then report what
// CancelJob returned; A abandons its LLM calls within 250 ms of the cancel.
TEST_F(ReplicaFailureTest, CancelOnBWhileARunsTheJob) {
  Replica& a = AddReplica("a", {"--llm_max_inflight=8"});
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  Grant(a, "cancel-user", 100);
  // The 8 requests answer at 1000, 1100, ..., 1700 ms.
  std::string script = "[";
  for (int i = 0; i < 8; ++i)
    absl::StrAppend(&script, i ? "," : "", "{\"latency_ms\":", 1000 + 100 * i, "}");
  fake_->Script(script + "]");
  v1::Job job;
  ASSERT_TRUE(a.Account("cancel-user")->SubmitBatch(Batch(8, "cancel"), &job).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return fake_->Stats().requests == 8; }));
  ASSERT_TRUE(b.Start());
  // Every chunk is A's: B has none to run.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM job_chunks WHERE job_id = ? AND (owner IS NULL OR"
                  " owner <> 'a')",
                  {job.job_id()}),
            0);

  // Cancel once A recorded two answers: the next ones arrive 100 ms apart from now on.
  ASSERT_TRUE(WaitUntil(
      absl::Seconds(10),
      [&] {
        return Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 1",
                     {job.job_id()}) >= 2;
      },
      absl::Milliseconds(5)));
  // The fake's clock, to place the cancel among its log's times.
  const FakeOpenAiClock clock(*fake_);
  v1::Job cancelled;
  ASSERT_TRUE(b.Account("cancel-user")->CancelJob(job.job_id(), &cancelled).ok());
  const int64_t cancelled_ms = clock.At(absl::Now());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_GE(cancelled.succeeded(), 2);
  EXPECT_LT(cancelled.succeeded(), 8);

  // Every request is answered or abandoned by now.
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return fake_->Stats().in_flight == 0; }));
  for (Replica* replica : {&a, &b}) {
    v1::Job later;
    ASSERT_TRUE(replica->Account("cancel-user")->GetJob(job.job_id(), &later).ok());
    EXPECT_EQ(later.SerializeAsString(), cancelled.SerializeAsString()) << replica->name();
  }
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE kind = 'charge' AND job_id = ?", {job.job_id()}),
      cancelled.succeeded());
  v1::Balance balance;
  ASSERT_TRUE(a.Account("cancel-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 100 - cancelled.succeeded());

  // A's calls whose answers were due more than 250 ms after the cancel were abandoned within
  // 250 ms of it (+ 20 ms: the fake watches connections every 10 ms, and the clocks' mapping).
  const FakeOpenAiStats stats = fake_->Stats();
  ASSERT_EQ(stats.log.size(), 8u);
  int abandoned = 0;
  int answered_late = 0;
  int64_t slowest_abandon_ms = 0;
  for (size_t i = 0; i < stats.log.size(); ++i) {
    const FakeOpenAiStats::Request& request = stats.log[i];
    const int64_t due_ms = request.received_ms + 1000 + 100 * static_cast<int64_t>(i);
    if (due_ms <= cancelled_ms) continue;
    if (request.gone_ms >= 0) {
      ++abandoned;
      slowest_abandon_ms = std::max(slowest_abandon_ms, request.gone_ms - cancelled_ms);
    } else {
      ++answered_late;
    }
    if (due_ms <= cancelled_ms + 250) continue;
    EXPECT_GE(request.gone_ms, cancelled_ms - 20) << "request " << i;
    EXPECT_LE(request.gone_ms, cancelled_ms + 270)
        << "request " << i << " (due " << due_ms - cancelled_ms
        << " ms after the cancel) was not abandoned within 250 ms";
  }
  std::cout << "[cancel] " << cancelled.succeeded() << " results before the cancel; of A's "
            << abandoned + answered_late << " later answers " << abandoned
            << " were abandoned (the last " << slowest_abandon_ms << " ms after the cancel) and "
            << answered_late << " came and were discarded ("
            << (absl::StrContains(a.Logs(), "fenced out") ? "some" : "none")
            << " fenced out by the database)" << std::endl;
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// A holds every chunk of a job (B starts afterwards, so none is B's) when it is killed with
// SIGKILL. B sweeps A once A's heartbeat is --replica_dead_after old, takes the chunks back and
// finishes the job; each citation is asked once by A and once by B, and never charged twice.
TEST_F(ReplicaFailureTest, KillNineAHoldingClaimsAndBFinishesAfterDeadAfter) {
  fake_->SetDefaultLatency(5000);  // A's calls are still waiting when A dies
  Replica& a = AddReplica("a", {"--llm_max_inflight=8"});
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  Grant(a, "takeover-user", 100);
  v1::Job job;
  ASSERT_TRUE(a.Account("takeover-user")->SubmitBatch(Batch(6, "takeover"), &job).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return fake_->Stats().requests == 6; }));
  ASSERT_TRUE(b.Start());
  fake_->SetDefaultLatency(50);
  JobFollower follower(job.job_id(), "takeover-user", [&b] { return b.address(); });
  follower.Start(absl::Seconds(60));

  const FakeOpenAiClock clock(*fake_);
  const absl::Time killed_at = absl::Now();
  a.Kill();
  ASSERT_TRUE(follower.Join());
  std::cout << "[takeover] B finished A's job " << absl::Now() - killed_at << " after the kill"
            << std::endl;
  EXPECT_TRUE(follower.Complete());

  const FakeOpenAiStats stats = fake_->Stats();
  int64_t first_b_ms = -1;
  for (const FakeOpenAiStats::Request& request : stats.log) {
    if (request.authorization == b.authorization() && first_b_ms < 0) {
      first_b_ms = request.received_ms;
    }
  }
  // A's last heartbeat was at most --heartbeat_interval before the kill: B may not take over
  // before --replica_dead_after - --heartbeat_interval = 1.3 s after it.
  EXPECT_GE(first_b_ms - clock.At(killed_at), 1300);
  std::cout << "[takeover] B's first call came " << first_b_ms - clock.At(killed_at)
            << " ms after the kill" << std::endl;
  for (int i = 0; i < 6; ++i) {
    auto asked = RequestsByCitation(stats)[BatchCitation("takeover", i)];
    EXPECT_EQ(asked[a.authorization()], 1) << i;
    EXPECT_EQ(asked[b.authorization()], 1) << i;
  }
  v1::Job done;
  ASSERT_TRUE(b.Account("takeover-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM processes WHERE name = 'a'"), 0);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));

  // A comes back under its name: the database freed the name with A's connections.
  ASSERT_TRUE(a.Start());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM processes"), 2);
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// A is frozen (SIGSTOP) holding a job's chunks while its LLM answers arrive; B sweeps it after
// --replica_dead_after and claims the chunks; A is thawed (SIGCONT) while B's calls are still
// out. A's answers are fenced out (B owns the chunks under a newer token): nothing is recorded or
// charged twice, A notices its lost lease and registers again, and B's answers are the ones kept.
TEST_F(ReplicaFailureTest, FrozenAIsTakenOverAndItsLateResultsAreFencedOut) {
  fake_->SetDefaultLatency(1500);
  Replica& a = AddReplica("a");
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  Grant(a, "frozen-user", 100);
  v1::Job job;
  ASSERT_TRUE(a.Account("frozen-user")->SubmitBatch(Batch(4, "frozen"), &job).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return fake_->Stats().requests == 4; }));
  ASSERT_TRUE(b.Start());
  a.Freeze();
  const absl::Time frozen_at = absl::Now();

  // B sweeps A and claims the 4 chunks (its calls take 1.5 s too).
  ASSERT_TRUE(WaitUntil(absl::Seconds(15), [&] {
    return Count("SELECT COUNT(*) FROM job_chunks WHERE job_id = ? AND owner = 'b'",
                 {job.job_id()}) == 4;
  }));
  const absl::Duration frozen_for = absl::Now() - frozen_at;
  EXPECT_GE(frozen_for, absl::Milliseconds(1500));  // longer than --replica_dead_after
  EXPECT_EQ(Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state <> 0", {job.job_id()}),
            0);
  a.Thaw();
  // A's 4 answers came while it was frozen. Either its recorder offers them first and the store
  // refuses them ("fenced out": B holds the chunks under a newer token), or its heartbeat finds
  // the lease lost first and abandons them (seen under ASan on a loaded machine); either way
  // none of them is recorded.
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    const std::string logs = a.Logs();
    return absl::StrContains(logs, "fenced out") || absl::StrContains(logs, "lease lost");
  })) << "A neither offered its late answers nor noticed its lost lease";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state <> 0", {job.job_id()}),
            0)
      << "A's late answers were recorded";
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(15)));
  // A lost its lease and registered again; it serves.
  EXPECT_TRUE(absl::StrContains(a.Logs(), "lease lost"));
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return a.health() == Health::kServing; }));

  v1::Job done;
  ASSERT_TRUE(a.Account("frozen-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 4);
  EXPECT_EQ(done.last_sequence(), 7);  // created, running, 4 results, succeeded
  for (int i = 0; i < 4; ++i) {
    auto asked = RequestsByCitation(fake_->Stats())[BatchCitation("frozen", i)];
    EXPECT_EQ(asked[a.authorization()], 1) << i;
    EXPECT_EQ(asked[b.authorization()], 1) << i;
  }
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE kind = 'charge' AND job_id = ?", {job.job_id()}), 4);

  // A takes new work again.
  fake_->SetDefaultLatency(20);
  b.Kill();
  v1::Job after;
  ASSERT_TRUE(a.Account("frozen-user")->SubmitBatch(Batch(2, "frozen-after"), &after).ok());
  ASSERT_TRUE(WaitJobEnded(after.job_id(), absl::Seconds(15)));
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(a.Terminate(), 0);
}

// The fake LLM hangs on a marked citation ("POISON"); the test kills the replica each time that
// call is in flight and starts it again. After the third death the chunk fails with WORKER_LOST
// (released, not charged). A chunk whose replica died on it twice ("TWICE": the fake hangs on
// its first two calls) still succeeds on its third claim.
TEST_F(ReplicaFailureTest, PoisonChunkEndsWorkerLostAfterThreeDeaths) {
  fake_->SetDefaultLatency(30);
  fake_->Rules(R"([{"contains":"POISON","hang_ms":60000},
                   {"contains":"TWICE","times":2,"hang_ms":60000}])");
  Replica& replica = AddReplica("poisoned");
  ASSERT_TRUE(replica.Start());
  Grant(replica, "poison-user", 100);
  v1::SubmitBatchRequest batch = Batch(6, "poison");
  const std::string poison = "Doe, J. (2020). POISON study. _Journal_, _1_(2), 1–9.";
  const std::string twice = "Roe, R. (2021). TWICE study. _Journal_, _2_(1), 3–8.";
  batch.mutable_citations()->set_items(0, poison);
  batch.mutable_citations()->set_items(1, twice);
  v1::Job job;
  ASSERT_TRUE(replica.Account("poison-user")->SubmitBatch(batch, &job).ok());
  auto asked = [&](const std::string& citation) {
    int count = 0;
    const auto requests = RequestsByCitation(fake_->Stats());
    auto it = requests.find(citation);
    if (it == requests.end()) return 0;
    for (const auto& [authorization, n] : it->second) count += n;
    return count;
  };
  auto item_state = [&](int index) {
    return Count("SELECT state FROM job_items WHERE job_id = ? AND item_index = ?",
                 {job.job_id(), index});
  };

  for (int death = 1; death <= 3; ++death) {
    SCOPED_TRACE(absl::StrCat("death ", death));
    // The poisoned call is in flight (and the twice-hanging one, while it still hangs), and
    // nothing else is: the other citations are done.
    ASSERT_TRUE(WaitUntil(absl::Seconds(15), [&] {
      return asked(poison) == death && (death == 3 ? item_state(1) == 1 : asked(twice) == death) &&
             Count(
                 "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND item_index >= 2"
                 " AND state = 0",
                 {job.job_id()}) == 0;
    }));
    replica.Kill();
    ASSERT_TRUE(replica.Start());
  }
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(15)));
  EXPECT_TRUE(absl::StrContains(replica.Logs(), "1 failed: WORKER_LOST"));

  v1::Job done;
  ASSERT_TRUE(replica.Account("poison-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 5);
  ASSERT_EQ(done.failures_size(), 1);
  EXPECT_EQ(done.failures(0).index(), 0);
  EXPECT_EQ(client::ErrorReason(done.failures(0).status()), "WORKER_LOST");
  EXPECT_EQ(asked(poison), 3);  // never a fourth time
  EXPECT_EQ(asked(twice), 3);   // claimed twice by replicas that died, then checked
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger WHERE job_id = ? AND item_index = 0"
                  " AND kind = 'release'",
                  {job.job_id()}),
            1);
  v1::Balance balance;
  ASSERT_TRUE(replica.Account("poison-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 100 - 5);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(replica.Terminate(), 0);
}
// Four replicas, 20 parallel submits on each (80 jobs of 4 accounts, each account on every
// replica), each job followed on the next replica. Every job finishes with every event once; no
// citation is checked twice unless a replica logged a takeover; the books balance.
TEST_F(ReplicaFailureTest, FourReplicasTwentyParallelSubmitsEach) {
  fake_->SetDefaultLatency(20);
  std::vector<Replica*> replicas;
  for (int r = 0; r < 4; ++r) {
    replicas.push_back(&AddReplica(absl::StrCat("r", r), {"--citations_per_call=2"}));
    ASSERT_TRUE(replicas.back()->Start());
  }
  for (int u = 0; u < 4; ++u) Grant(*replicas[0], absl::StrCat("four-user-", u), 1000);

  constexpr int kPerReplica = 20;
  constexpr int kCitations = 6;
  std::vector<std::thread> threads;
  std::vector<std::string> job_ids(4 * kPerReplica);
  std::vector<std::string> tokens(4 * kPerReplica);
  std::vector<std::unique_ptr<JobFollower>> followers(4 * kPerReplica);
  std::atomic<int> submitted{0};
  for (int r = 0; r < 4; ++r) {
    for (int t = 0; t < kPerReplica; ++t) {
      threads.emplace_back([&, r, t] {
        const int n = r * kPerReplica + t;
        tokens[n] = absl::StrCat("four-user-", (r + t) % 4);
        v1::Job job;
        const grpc::Status status = replicas[r]->Account(tokens[n])->SubmitBatch(
            Batch(kCitations, absl::StrCat("four-", n)), &job);
        if (!status.ok()) {
          ADD_FAILURE() << "submit " << n << " on r" << r << ": " << status.error_message();
          return;
        }
        ++submitted;
        job_ids[n] = job.job_id();
        Replica* next = replicas[(r + 1) % 4];
        followers[n] = std::make_unique<JobFollower>(job.job_id(), tokens[n],
                                                     [next] { return next->address(); });
        followers[n]->Run(absl::Seconds(120));
      });
    }
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(submitted.load(), 4 * kPerReplica);

  int checked = 0;
  for (int n = 0; n < 4 * kPerReplica; ++n) {
    ASSERT_NE(followers[n], nullptr);
    EXPECT_TRUE(followers[n]->Complete()) << "job " << n;
    checked += followers[n]->events().back().job_update().succeeded();
  }
  EXPECT_EQ(checked, 4 * kPerReplica * kCitations);

  bool takeover = false;
  for (Replica* replica : replicas) {
    takeover = takeover || absl::StrContains(replica->Logs(), "took over") ||
               absl::StrContains(replica->Logs(), "took back");
  }
  const auto requests = RequestsByCitation(fake_->Stats());
  int twice = 0;
  std::map<std::string, int> by_replica;
  for (int n = 0; n < 4 * kPerReplica; ++n) {
    for (int i = 0; i < kCitations; ++i) {
      auto it = requests.find(BatchCitation(absl::StrCat("four-", n), i));
      ASSERT_NE(it, requests.end()) << "job " << n << " citation " << i << " never checked";
      int asked = 0;
      for (const auto& [authorization, count] : it->second) {
        asked += count;
        by_replica[authorization] += count;
      }
      if (asked > 1) ++twice;
    }
  }
  std::cout << "[four] citations checked per replica:";
  for (const auto& [authorization, count] : by_replica) std::cout << " " << count;
  std::cout << "; checked twice: " << twice << (takeover ? " (after a takeover)" : "") << std::endl;
  EXPECT_TRUE(twice == 0 || takeover) << twice << " citations checked twice without a takeover";
  for (const auto& [authorization, count] : by_replica) EXPECT_GT(count, 0) << authorization;

  for (int u = 0; u < 4; ++u) {
    const std::string token = absl::StrCat("four-user-", u);
    v1::Balance balance;
    ASSERT_TRUE(replicas[u]->Account(token)->GetBalance(&balance).ok());
    EXPECT_EQ(balance.credits(),
              1000 - Count("SELECT COUNT(*) FROM ledger l JOIN jobs j ON j.job_id = l.job_id"
                           " WHERE l.kind = 'charge' AND l.owner = (SELECT owner FROM ledger"
                           " WHERE kind = 'grant' AND order_id = ?)",
                           {absl::StrCat("order-", token, "-1000")}));
  }
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  for (Replica* replica : replicas) EXPECT_EQ(replica->Terminate(), 0);
}

// A job's deadline passes while the replica running its chunks is frozen: the other replica
// ends the job (the pending citations fail with JOB_DEADLINE_EXCEEDED, released; what was
// checked before stays). When the frozen replica wakes, its late work is fenced out.
TEST_F(ReplicaFailureTest, DeadlineAppliedByAnotherReplica) {
  fake_->SetDefaultLatency(20);
  fake_->Rules(R"([{"contains":"SLOW","hang_ms":60000}])");
  // dead_after well beyond the deadline: B expires the job, it does not take it over.
  const std::vector<std::string> flags = {"--job_deadline=3s", "--replica_dead_after=20s"};
  Replica& a = AddReplica("a", flags);
  Replica& b = AddReplica("b", flags);
  ASSERT_TRUE(a.Start());
  Grant(a, "deadline-user", 100);
  v1::SubmitBatchRequest batch = Batch(4, "deadline");
  batch.mutable_citations()->set_items(2, "Doe, J. (2020). SLOW one. _Journal_, _1_(2), 1–9.");
  batch.mutable_citations()->set_items(3, "Roe, R. (2021). SLOW two. _Journal_, _2_(1), 3–8.");
  v1::Job job;
  ASSERT_TRUE(a.Account("deadline-user")->SubmitBatch(batch, &job).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 1", {job.job_id()}) ==
               2 &&
           fake_->Stats().requests == 4;
  }));
  ASSERT_TRUE(b.Start());
  a.Freeze();
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(15)));
  EXPECT_TRUE(absl::StrContains(b.Logs(), "deadlines: 1 jobs ended"));
  a.Thaw();

  v1::Job done;
  ASSERT_TRUE(b.Account("deadline-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  ASSERT_EQ(done.failures_size(), 2);
  for (const v1::ItemFailure& failure : done.failures()) {
    EXPECT_EQ(client::ErrorReason(failure.status()), "JOB_DEADLINE_EXCEEDED");
  }
  // A wakes with its two calls past the deadline: whatever it reports is fenced out.
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return a.health() == Health::kServing; }));
  v1::Job later;
  ASSERT_TRUE(WaitUntil(absl::Seconds(5), [&] {
    return a.Account("deadline-user")->GetJob(job.job_id(), &later).ok() &&
           later.SerializeAsString() == done.SerializeAsString();
  }));
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE kind = 'charge' AND job_id = ?", {job.job_id()}), 2);
  v1::Balance balance;
  ASSERT_TRUE(a.Account("deadline-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 98);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// Jobs finished on A are removed by B once --job_retention passed, while A is down: items,
// events and the request id go (GetJob answers NOT_FOUND on any replica, the request id makes a
// new job), the ledger stays and still balances.
TEST_F(ReplicaFailureTest, RetentionAppliedByAnotherReplica) {
  fake_->SetDefaultLatency(20);
  const std::vector<std::string> flags = {"--job_retention=2s"};
  Replica& a = AddReplica("a", flags);
  Replica& b = AddReplica("b", flags);
  ASSERT_TRUE(a.Start());
  Grant(a, "retention-user", 100);
  v1::Job job;
  ASSERT_TRUE(a.Account("retention-user")
                  ->SubmitBatch(Batch(3, "retention", "retained-request"), &job)
                  .ok());
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(15)));
  v1::Job finished;
  ASSERT_TRUE(a.Account("retention-user")->GetJob(job.job_id(), &finished).ok());
  EXPECT_EQ(a.Terminate(), 0);
  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(WaitUntil(absl::Seconds(15), [&] {
    return Count("SELECT COUNT(*) FROM jobs WHERE job_id = ?", {job.job_id()}) == 0;
  }));
  EXPECT_TRUE(absl::StrContains(b.Logs(), "retention: removed 1 finished jobs"));
  const absl::Time finished_at = FromTimestamp(finished.finish_time());
  EXPECT_GE(absl::Now() - finished_at, absl::Seconds(2));
  for (const char* table : {"job_items", "job_events", "job_chunks"}) {
    EXPECT_EQ(
        Count(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE job_id = ?"), {job.job_id()}), 0)
        << table;
  }
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE job_id = ? AND kind = 'charge'", {job.job_id()}), 3);
  v1::Job gone;
  EXPECT_EQ(b.Account("retention-user")->GetJob(job.job_id(), &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(a.Start());
  EXPECT_EQ(a.Account("retention-user")->GetJob(job.job_id(), &gone).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::Job again;
  ASSERT_TRUE(a.Account("retention-user")
                  ->SubmitBatch(Batch(3, "retention", "retained-request"), &again)
                  .ok());
  EXPECT_NE(again.job_id(), job.job_id());
  ASSERT_TRUE(WaitJobEnded(again.job_id(), absl::Seconds(15)));
  v1::Balance balance;
  ASSERT_TRUE(a.Account("retention-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 94);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(a.Terminate(), 0);
  EXPECT_EQ(b.Terminate(), 0);
}

// Every kind of transaction loses its connection right after its COMMIT took effect (a proxy
// between the replica and MariaDB forwards the COMMIT, swallows the OK and closes the
// connection): grant, submit, claim, recording, cancel, registration. The replica reruns each
// one; the rerun changes nothing: one job per submit, each citation recorded and charged once,
// the watcher sees each event once, the books balance.
TEST_F(ReplicaFailureTest, CommitWithUnknownOutcomeIsReplayedWithoutEffect) {
  fake_->SetDefaultLatency(30);
  std::unique_ptr<MysqlProxy> proxy = StartProxy();
  ASSERT_NE(proxy, nullptr);
  Replica& replica = AddReplicaThrough(*proxy, "proxied");
  ASSERT_TRUE(replica.Start());

  const std::string kGrant = "INSERT INTO orders";
  const std::string kSubmit = "INSERT INTO jobs (";
  const std::string kClaim = "token = token + 1";
  const std::string kRecord = "SELECT chunk_id, job_id, first_index, item_count, owner, token";
  const std::string kCancel = "SELECT chunk_id FROM job_chunks WHERE job_id = ? ORDER BY";
  const std::string kRegister = "INSERT INTO processes";

  proxy->CutAfterCommit(kGrant, 1);
  Grant(replica, "unknown-user", 50);
  EXPECT_EQ(proxy->cuts(kGrant), 1);
  v1::Balance balance;
  ASSERT_TRUE(replica.Account("unknown-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 50);

  proxy->CutAfterCommit(kSubmit, 1);
  proxy->CutAfterCommit(kClaim, 2);
  proxy->CutAfterCommit(kRecord, 3);
  v1::Job job;
  ASSERT_TRUE(
      replica.Account("unknown-user")->SubmitBatch(Batch(10, "unknown", "unknown-1"), &job).ok());
  EXPECT_EQ(proxy->cuts(kSubmit), 1);
  EXPECT_EQ(job.accepted(), 10);
  EXPECT_EQ(job.user_status().credits_remaining(), 40);
  JobFollower follower(job.job_id(), "unknown-user", [&replica] { return replica.address(); });
  ASSERT_TRUE(follower.Run(absl::Seconds(60)));
  EXPECT_TRUE(follower.Complete());
  EXPECT_EQ(proxy->cuts(kClaim), 2);
  EXPECT_EQ(proxy->cuts(kRecord), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs WHERE request_id = 'unknown-1'"), 1);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE kind = 'reserve' AND job_id = ?", {job.job_id()}),
      1);
  v1::Job done;
  ASSERT_TRUE(replica.Account("unknown-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.succeeded(), 10);
  EXPECT_EQ(done.last_sequence(), 13);  // created, running, 10 results, succeeded
  ASSERT_TRUE(replica.Account("unknown-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 40);

  // A cancel whose commit is cut answers the cancelled job all the same.
  fake_->Rules(R"([{"contains":"unknown-slow","hang_ms":60000}])");
  v1::Job slow;
  ASSERT_TRUE(replica.Account("unknown-user")->SubmitBatch(Batch(3, "unknown-slow"), &slow).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] { return fake_->Stats().in_flight == 3; }));
  proxy->CutAfterCommit(kCancel, 1);
  v1::Job cancelled;
  ASSERT_TRUE(replica.Account("unknown-user")->CancelJob(slow.job_id(), &cancelled).ok());
  EXPECT_EQ(proxy->cuts(kCancel), 1);
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled.last_sequence(), 3);  // created, running, cancelled
  ASSERT_TRUE(replica.Account("unknown-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 40);

  // A registration whose commit is cut: the replica still comes up, registered once.
  EXPECT_EQ(replica.Terminate(), 0);
  proxy->CutAfterCommit(kRegister, 1);
  ASSERT_TRUE(replica.Start());
  EXPECT_EQ(proxy->cuts(kRegister), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM processes WHERE name = 'proxied'"), 1);
  std::cout << "[unknown] " << proxy->cuts() << " commits cut of " << proxy->commits()
            << " forwarded" << std::endl;
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(replica.Terminate(), 0);
}

// A replica drains on SIGTERM but cannot hand its abandoned chunk back (the database refuses
// every hand-back COMMIT; it accepts the rest). It exits anyway after the grace; the chunk it
// still holds must not stay claimed for ever by a name that no process will use again: another
// replica takes it over and the job finishes.
TEST_F(ReplicaFailureTest, ChunkLeftClaimedByADrainedReplicaIsTakenOver) {
  fake_->SetDefaultLatency(20);
  fake_->Rules(R"([{"contains":"LEFTOVER","times":1,"latency_ms":30000}])");
  std::unique_ptr<MysqlProxy> proxy = StartProxy();
  ASSERT_NE(proxy, nullptr);
  Replica& a = AddReplicaThrough(*proxy, "a", {"--shutdown_grace=1s"});
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  Grant(a, "leftover-user", 10);
  v1::SubmitBatchRequest batch = Batch(2, "leftover");
  batch.mutable_citations()->set_items(1, "Doe, J. (2020). LEFTOVER. _Journal_, _1_(2), 1–9.");
  v1::Job job;
  ASSERT_TRUE(a.Account("leftover-user")->SubmitBatch(batch, &job).ok());
  ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
    return Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 1", {job.job_id()}) ==
               1 &&
           fake_->Stats().in_flight == 1;
  }));
  ASSERT_TRUE(b.Start());

  const std::string kHandBack = "SET owner = NULL, claim_id = NULL WHERE chunk_id";
  proxy->FailCommit(kHandBack, 1000);
  a.SendTerm();
  const std::optional<int> exit_code = a.WaitExit(absl::Seconds(20));
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
  EXPECT_GE(proxy->failed(kHandBack), 1);
  std::cout << "[leftover] A's hand-back failed " << proxy->failed(kHandBack)
            << " times; chunks still A's after it exited: "
            << Count("SELECT COUNT(*) FROM job_chunks WHERE owner = 'a'")
            << ", A's process row: " << Count("SELECT COUNT(*) FROM processes WHERE name = 'a'")
            << std::endl;
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(20)))
      << "the chunk A could not hand back is still claimed by 'a'";
  v1::Job done;
  ASSERT_TRUE(b.Account("leftover-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 2);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(b.Terminate(), 0);
}

// The books checker every failure test ends with is not vacuous: after a real job it passes,
// and each kind of damage (a lost event, a second charge, an item left reserved, a miscounted
// queue, a job left running) is reported.
TEST_F(ReplicaFailureTest, BooksCheckerReportsEachKindOfDamage) {
  fake_->SetDefaultLatency(0);
  Replica& replica = AddReplica("books");
  ASSERT_TRUE(replica.Start());
  Grant(replica, "books-user", 10);
  v1::Job job;
  ASSERT_TRUE(replica.Account("books-user")->SubmitBatch(Batch(3, "books"), &job).ok());
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(15)));
  EXPECT_EQ(replica.Terminate(), 0);
  ASSERT_TRUE(BooksBalance(JobsExpected::kAllEnded));

  struct Damage {
    std::string what;
    std::string damage;
    std::string repair;
  };
  const std::string id = job.job_id();
  const std::vector<Damage> damages = {
      {"a lost event", "UPDATE job_events SET seq = 100 WHERE job_id = '" + id + "' AND seq = 3",
       "UPDATE job_events SET seq = 3 WHERE job_id = '" + id + "' AND seq = 100"},
      {"a second charge",
       "INSERT INTO ledger (idempotency_key, kind, source, owner, job_id, item_index, amount,"
       " created_at) SELECT CONCAT(idempotency_key, '-again'), kind, source, owner, job_id,"
       " item_index, amount, created_at FROM ledger WHERE job_id = '" +
           id + "' AND kind = 'charge' AND item_index = 0",
       "DELETE FROM ledger WHERE idempotency_key LIKE '%-again'"},
      {"an item left reserved",
       "UPDATE reservation_items SET state = 'reserved' WHERE job_id = '" + id +
           "' AND item_index = 1",
       "UPDATE reservation_items SET state = 'charged' WHERE job_id = '" + id +
           "' AND item_index = 1"},
      {"a miscounted queue", "UPDATE queue_counts SET chunks = chunks + 1 WHERE shard = 0",
       "UPDATE queue_counts SET chunks = chunks - 1 WHERE shard = 0"},
      {"a job left running", "UPDATE jobs SET state = 2 WHERE job_id = '" + id + "'",
       "UPDATE jobs SET state = 3 WHERE job_id = '" + id + "'"},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.what);
    ASSERT_TRUE(db_->Execute(damage.damage).ok());
    const absl::Status books = CheckJobBooks(db_->pool(), JobsExpected::kAllEnded);
    EXPECT_EQ(books.code(), absl::StatusCode::kInternal);
    std::cout << "[books] " << damage.what << ": " << books.message() << std::endl;
    ASSERT_TRUE(db_->Execute(damage.repair).ok());
    EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  }
}

}  // namespace
}  // namespace citecheck::testing

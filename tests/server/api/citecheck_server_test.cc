// The whole server in this process (memory store, FakeChecker or an LlmChecker on a
// FakeLlmClient), driven through the client
// library over loopback: what depends on how far a job got is set up by holding the checker and
// letting calls through one by one, so no assertion depends on timing.

#include "server/api/citecheck_server.h"

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/citecheck_client.h"
#include "gtest/gtest.h"
#include "server/checking/llm_checker.h"
#include "tests/fakes/eventually.h"
#include "tests/fakes/fake_checker.h"
#include "tests/fakes/fake_llm_client.h"

namespace citecheck {
namespace {

// A text batch of `n` distinct APA references whose titles start with `title`.
v1::SubmitBatchRequest TextBatch(int n, absl::string_view title = "Deep learning") {
  std::string text;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&text, "Smith, J. A., & Doe, R. (2020). ", title, " for citation analysis ", i,
                    ". _Journal of Informetrics_, _14_(2), 101–115.\n\n");
  }
  v1::SubmitBatchRequest request;
  request.set_text(text);
  return request;
}

class InProcessServerTest : public ::testing::Test {
 protected:
  // Starts the server around `checker` on a free loopback port, with `max_inflight` checker
  // calls (of one citation each) at a time.
  void StartServer(std::unique_ptr<Checker> checker, int free_limit, int max_inflight = 1,
                   absl::Duration heartbeat = absl::Seconds(5)) {
    StoreSetup setup;
    setup.kind = "memory";
    setup.quota.free_limit = free_limit;
    absl::StatusOr<ServerParts> parts = BuildServerParts(setup, std::move(checker));
    ASSERT_TRUE(parts.ok()) << parts.status();
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.jobs.citations_per_call = 1;
    options.jobs.max_inflight = max_inflight;
    options.watch.heartbeat = heartbeat;
    absl::StatusOr<std::unique_ptr<CitecheckServer>> server =
        CitecheckServer::Start(options, *std::move(parts));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  // The server with a FakeChecker (checker_).
  void StartServer(int free_limit, int max_inflight = 1,
                   absl::Duration heartbeat = absl::Seconds(5)) {
    auto checker = std::make_unique<FakeChecker>();
    checker_ = checker.get();
    StartServer(std::move(checker), free_limit, max_inflight, heartbeat);
  }

  void TearDown() override {
    if (checker_ != nullptr) checker_->Release();
    llm_.Release();
    if (server_ != nullptr) server_->Shutdown();
  }

  std::unique_ptr<client::CitecheckClient> FreeUser(const std::string& id) const {
    client::ClientOptions options;
    options.server = server_->address();
    options.free_user_id = id;
    options.rpc_timeout = absl::Seconds(10);
    return std::make_unique<client::CitecheckClient>(std::move(options));
  }

  FakeChecker* checker_ = nullptr;  // owned by the server
  FakeLlmClient llm_;               // outlives the server's LlmChecker (declared before it)
  std::unique_ptr<CitecheckServer> server_;
};

TEST_F(InProcessServerTest, CancelEndsTheJobAtOnceAndRefundsWhatWasNotChecked) {
  StartServer(/*free_limit=*/20);
  checker_->Hold();
  auto client = FreeUser("canceller");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(10), &job).ok());
  EXPECT_EQ(job.user_status().free_used_total(), 10);

  // Exactly one citation checked, the second one's call running (held) when the job is cancelled.
  checker_->Let(1);
  ASSERT_TRUE(Eventually([&] {
    v1::Job now;
    return client->GetJob(job.job_id(), &now).ok() && now.succeeded() == 1 &&
           checker_->calls() == 2 && checker_->running() == 1;
  }));
  v1::Job cancelled;
  ASSERT_TRUE(client->CancelJob(job.job_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(cancelled.succeeded(), 1);

  // The held call sees the cancellation and returns. Draining the replica waits until its
  // chunk is done with (an answer landing late would be recorded by then); nothing changed.
  ASSERT_TRUE(Eventually([&] { return checker_->cancelled_calls() == 1; }));
  server_->manager().Shutdown();
  EXPECT_EQ(checker_->calls(), 2);  // no call after the cancel
  v1::Job later;
  ASSERT_TRUE(client->GetJob(job.job_id(), &later).ok());
  EXPECT_EQ(later.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(later.succeeded(), 1);
  EXPECT_EQ(later.results_size(), 1);
  EXPECT_EQ(later.last_sequence(), cancelled.last_sequence());
  // Cancelling again changes nothing.
  v1::Job again;
  ASSERT_TRUE(client->CancelJob(job.job_id(), &again).ok());
  EXPECT_EQ(again.last_sequence(), cancelled.last_sequence());
  // A watch ends with the CANCELLED update.
  v1::JobEvent last;
  const grpc::Status watched = client->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
    if (!event.has_heartbeat()) last = event;
    return true;
  });
  ASSERT_TRUE(watched.ok()) << watched.error_message();
  EXPECT_EQ(last.job_update().state(), v1::JOB_STATE_CANCELLED);
  // Only the checked citation counts against the allowance.
  v1::Balance balance;
  ASSERT_TRUE(client->GetBalance(&balance).ok());
  EXPECT_EQ(balance.free_used(), 1);
}

// A watcher gets each result as soon as it is recorded, while the job still runs, and
// heartbeats (repeating the last sequence) keep its stream alive between results. Each citation
// is let through only after the watcher saw the previous result and a heartbeat after it.
TEST_F(InProcessServerTest, ResultsStreamWhileTheJobRunsAndHeartbeatsKeepIdleStreamsAlive) {
  StartServer(/*free_limit=*/5, /*max_inflight=*/1, /*heartbeat=*/absl::Milliseconds(50));
  checker_->Hold();
  auto client = FreeUser("live");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(3), &job).ok());

  absl::Mutex mu;
  std::vector<v1::JobEvent> events;  // heartbeats included
  grpc::Status status;
  std::thread watcher([&] {
    grpc::Status ended = client->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
      absl::MutexLock lock(&mu);
      events.push_back(event);
      return true;
    });
    absl::MutexLock lock(&mu);
    status = ended;
  });
  absl::Cleanup join_watcher = [&] {  // also when an assertion ends the test early
    checker_->Release();
    if (watcher.joinable()) watcher.join();
  };
  const auto results = [&] {
    absl::MutexLock lock(&mu);
    int n = 0;
    for (const v1::JobEvent& event : events) n += event.has_result();
    return n;
  };
  // A heartbeat after the `k`-th result, repeating the sequence of the event before it.
  const auto heartbeat_after_result = [&](int k) {
    absl::MutexLock lock(&mu);
    int seen_results = 0;
    int64_t last_sequence = -1;
    for (const v1::JobEvent& event : events) {
      if (event.has_heartbeat()) {
        if (seen_results >= k && event.sequence() == last_sequence) return true;
        continue;
      }
      seen_results += event.has_result();
      last_sequence = event.sequence();
    }
    return false;
  };
  for (int checked = 1; checked <= 3; ++checked) {
    checker_->Let(1);
    ASSERT_TRUE(Eventually([&] { return results() == checked; })) << checked;
    if (checked < 3) {
      v1::Job now;
      ASSERT_TRUE(client->GetJob(job.job_id(), &now).ok());
      EXPECT_EQ(now.state(), v1::JOB_STATE_RUNNING);
      EXPECT_EQ(now.succeeded(), checked);
      EXPECT_EQ(results(), checked);  // the next citation waits for Let()
      ASSERT_TRUE(Eventually([&] { return heartbeat_after_result(checked); })) << checked;
    }
  }
  watcher.join();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(events.back().job_update().state(), v1::JOB_STATE_SUCCEEDED);
}

// Jobs take turns: a small job submitted while a big one fills every checker slot gets its
// citations checked after a few of the big one's, not after all 40. Calls are let through one
// at a time, so the order is the scheduler's alone.
TEST_F(InProcessServerTest, ASmallJobIsNotStuckBehindABigOne) {
  StartServer(/*free_limit=*/100, /*max_inflight=*/2);
  checker_->Hold();
  auto client = FreeUser("big-and-small");
  v1::Job big;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(40, "Big"), &big).ok());
  ASSERT_TRUE(Eventually([&] { return checker_->running() == 2; }));
  v1::Job small;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(2, "Small"), &small).ok());

  const auto small_seen = [&] {
    int n = 0;
    for (const std::string& citation : checker_->seen()) n += absl::StrContains(citation, "Small");
    return n;
  };
  int returned = 0;  // calls let through so far
  while (small_seen() < 2 && returned < 42) {
    checker_->Let(1);
    ++returned;
    ASSERT_TRUE(Eventually([&] { return checker_->calls() - checker_->running() == returned; }));
    ASSERT_TRUE(Eventually([&] { return checker_->running() == 2 || small_seen() == 2; }));
  }
  const int big_seen = static_cast<int>(checker_->seen().size()) - small_seen();
  EXPECT_EQ(small_seen(), 2);
  EXPECT_LT(big_seen, 20) << "the small job waited behind the big one";

  checker_->Release();
  ASSERT_TRUE(Eventually([&] {
    v1::Job now;
    return client->GetJob(small.job_id(), &now).ok() && now.state() == v1::JOB_STATE_SUCCEEDED;
  }));
}

// The LLM path: the calls in flight when a job is cancelled are abandoned, and no new call
// starts for the rest of the job.
TEST_F(InProcessServerTest, CancelStopsNewLlmCallsBeyondThoseInFlight) {
  LlmCheckerOptions options;
  options.primary.client = &llm_;
  options.primary.model = "model-a";
  options.primary.label = "fake";
  StartServer(std::make_unique<LlmChecker>(std::move(options)), /*free_limit=*/20,
              /*max_inflight=*/2);
  llm_.Hold();
  auto client = FreeUser("llm-canceller");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(20), &job).ok());
  ASSERT_TRUE(Eventually([&] { return llm_.running() == 2; }));
  EXPECT_EQ(llm_.calls(), 2);

  v1::Job cancelled;
  ASSERT_TRUE(client->CancelJob(job.job_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  ASSERT_TRUE(Eventually([&] { return llm_.running() == 0; }));  // both abandoned
  server_->manager().Shutdown();  // the replica is done with every chunk it held
  EXPECT_EQ(llm_.calls(), 2);
  v1::Job later;
  ASSERT_TRUE(client->GetJob(job.job_id(), &later).ok());
  EXPECT_EQ(later.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(later.succeeded(), 0);
  EXPECT_EQ(later.last_sequence(), cancelled.last_sequence());
  v1::Balance balance;
  ASSERT_TRUE(client->GetBalance(&balance).ok());
  EXPECT_EQ(balance.free_used(), 0);  // nothing was checked, nothing is charged
}

}  // namespace
}  // namespace citecheck

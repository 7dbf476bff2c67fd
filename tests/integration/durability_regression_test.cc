// Regression tests for what the build before durable jobs lost (issue 7, point 9), each found
// by treating the server as a careless operator would (MySQL store, kill -9, SIGTERM under
// load, slow LLM answers), on replicas of one database of the shared ctest fixture. Each test
// ends with the books checked in SQL (CheckJobBooks).

#include <atomic>
#include <iostream>
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

class DurabilityRegressionTest : public ReplicaFixture {};

constexpr char kResultsOfJob[] = "SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 1";

// kill -9 during a 50-citation job with 15 checked (it used to leave 35 credits reserved for
// ever and lose the 15 paid results): the results survive two restarts unchanged, the job
// finishes, exactly the 50 results are charged and nothing stays reserved.
TEST_F(DurabilityRegressionTest, KillNineWithFifteenCheckedLosesNothing) {
  fake_->SetDefaultLatency(40);
  Replica& replica = AddReplica("careless", {"--llm_max_inflight=2"});
  ASSERT_TRUE(replica.Start());
  Grant(replica, "careless-user", 100);
  LiveAddress live;
  live.Set(replica.address());
  v1::Job job;
  ASSERT_TRUE(replica.Account("careless-user")->SubmitBatch(Batch(50, "careless"), &job).ok());
  JobFollower follower(job.job_id(), "careless-user", [&live] { return live.Get(); });
  follower.Start(absl::Seconds(60));

  std::vector<v1::JobEvent> before_kills;
  for (const int checked : {15, 30}) {
    ASSERT_TRUE(WaitUntil(
        absl::Seconds(20), [&] { return Count(kResultsOfJob, {job.job_id()}) >= checked; },
        absl::Milliseconds(5)));
    replica.Kill();
    live.Set("");
    const int64_t recorded = Count(kResultsOfJob, {job.job_id()});
    // The job's unchecked citations are still reserved for it (not lost, not released).
    EXPECT_EQ(Count("SELECT COUNT(*) FROM reservation_items WHERE job_id = ? AND state ="
                    " 'reserved'",
                    {job.job_id()}),
              50 - recorded);
    before_kills = follower.events();
    ASSERT_TRUE(replica.Start());
    live.Set(replica.address());
  }
  ASSERT_TRUE(follower.Join());
  EXPECT_TRUE(follower.Complete());

  v1::Job done;
  ASSERT_TRUE(replica.Account("careless-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(done.results_size(), 50);
  // Every result a watcher had seen before the kills is in the final job, unchanged.
  int seen = 0;
  for (const v1::JobEvent& event : before_kills) {
    if (!event.has_result()) continue;
    ++seen;
    EXPECT_EQ(done.results(event.result().index()).SerializeAsString(),
              event.result().SerializeAsString());
  }
  EXPECT_GE(seen, 15);
  v1::Balance balance;
  ASSERT_TRUE(replica.Account("careless-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 50);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservation_items WHERE state = 'reserved'"), 0);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(replica.Terminate(), 0);
}

// SubmitBatch with the same request_id and input after a kill -9 and restart (it used to create
// a new job and charge again) returns the same job; the batch is charged once. The same
// request_id with other input is refused.
TEST_F(DurabilityRegressionTest, SameRequestIdAfterRestartIsTheSameJobChargedOnce) {
  fake_->SetDefaultLatency(40);
  Replica& replica = AddReplica("careless", {"--llm_max_inflight=2"});
  ASSERT_TRUE(replica.Start());
  Grant(replica, "retry-user", 100);
  const v1::SubmitBatchRequest batch = Batch(50, "retry", "batch-2026-001");
  v1::Job first;
  ASSERT_TRUE(replica.Account("retry-user")->SubmitBatch(batch, &first).ok());
  ASSERT_TRUE(
      WaitUntil(absl::Seconds(20), [&] { return Count(kResultsOfJob, {first.job_id()}) >= 10; }));
  replica.Kill();
  ASSERT_TRUE(replica.Start());

  v1::Job again;
  ASSERT_TRUE(replica.Account("retry-user")->SubmitBatch(batch, &again).ok());
  EXPECT_EQ(again.job_id(), first.job_id());
  EXPECT_EQ(again.accepted(), 50);
  ASSERT_TRUE(WaitJobEnded(first.job_id(), absl::Seconds(30)));
  v1::Job after_end;
  ASSERT_TRUE(replica.Account("retry-user")->SubmitBatch(batch, &after_end).ok());
  EXPECT_EQ(after_end.job_id(), first.job_id());
  EXPECT_EQ(after_end.state(), v1::JOB_STATE_SUCCEEDED);

  v1::SubmitBatchRequest other = Batch(50, "retry-other", "batch-2026-001");
  v1::Job refused;
  const grpc::Status reused = replica.Account("retry-user")->SubmitBatch(other, &refused);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(reused), "REQUEST_ID_REUSED");

  EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger WHERE kind = 'reserve'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM ledger WHERE kind = 'charge'"), 50);
  v1::Balance balance;
  ASSERT_TRUE(replica.Account("retry-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 50);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(replica.Terminate(), 0);
}

// SIGTERM to a replica running 10 jobs with 100 watchers on it (it used to leave 440 citations
// reserved for ever, and chunks finished during the drain were charged but reached no watcher
// and no snapshot): the replica exits 0 within its grace, ends every open stream with
// UNAVAILABLE SERVER_SHUTTING_DOWN after the events it drained, hands back what it did not
// finish; the watchers resume on the other replica and see every event once; the jobs finish
// there; nothing stays reserved.
TEST_F(DurabilityRegressionTest, SigtermWithTenRunningJobsAndHundredWatchers) {
  fake_->SetDefaultLatency(300);
  Replica& a = AddReplica("a", {"--llm_max_inflight=8", "--shutdown_grace=5s"});
  Replica& b = AddReplica("b", {"--llm_max_inflight=8"});
  ASSERT_TRUE(a.Start());
  ASSERT_TRUE(b.Start());
  Grant(a, "drain-user", 1000);
  LiveAddress live;
  live.Set(a.address());
  std::vector<std::string> jobs;
  std::vector<std::unique_ptr<JobFollower>> followers;
  for (int j = 0; j < 10; ++j) {
    v1::Job job;
    ASSERT_TRUE(
        a.Account("drain-user")->SubmitBatch(Batch(20, absl::StrCat("drain-", j)), &job).ok());
    jobs.push_back(job.job_id());
    for (int w = 0; w < 10; ++w) {
      followers.push_back(std::make_unique<JobFollower>(job.job_id(), "drain-user",
                                                        [&live] { return live.Get(); }));
      followers.back()->Start(absl::Seconds(90));
    }
  }
  // Every watcher is following on A, and A has chunks in flight.
  int waiting = 0;
  ASSERT_TRUE(WaitUntil(absl::Seconds(20),
                        [&] {
                          waiting = 0;
                          for (const auto& follower : followers)
                            waiting += follower->events().empty() ? 1 : 0;
                          return waiting == 0 &&
                                 Count("SELECT COUNT(*) FROM job_chunks WHERE owner = 'a'") > 0 &&
                                 Count("SELECT COUNT(*) FROM job_items WHERE state = 1") > 0;
                        }))
      << waiting << " watchers have no event yet";
  live.Set(b.address());  // where the watchers resume
  const absl::Time term_at = absl::Now();
  a.SendTerm();
  const std::optional<int> exit_code = a.WaitExit(absl::Seconds(15));
  const absl::Duration exit_took = absl::Now() - term_at;
  ASSERT_TRUE(exit_code.has_value()) << "A still runs 15 s after SIGTERM";
  EXPECT_EQ(*exit_code, 0);
  EXPECT_LE(exit_took, absl::Seconds(5) + absl::Seconds(3));
  // Nothing is left in A's name: its chunks were recorded or handed back, its row removed.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM job_chunks WHERE owner = 'a'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM processes WHERE name = 'a'"), 0);

  int shutting_down = 0;
  int finished_before = 0;
  for (const auto& follower : followers) {
    ASSERT_TRUE(follower->Join());
    EXPECT_TRUE(follower->Complete());
    const std::vector<WatchStream> streams = follower->streams();
    const WatchStream& on_a = streams.front();
    EXPECT_EQ(on_a.address, a.address());
    if (streams.size() == 1) {
      ++finished_before;
      continue;
    }
    EXPECT_EQ(on_a.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(client::ErrorReason(on_a.status), "SERVER_SHUTTING_DOWN")
        << on_a.status.error_message();
    shutting_down += client::ErrorReason(on_a.status) == "SERVER_SHUTTING_DOWN" ? 1 : 0;
  }
  std::cout << "[drain] A exited " << exit_took << " after SIGTERM; " << shutting_down
            << " watchers ended with SERVER_SHUTTING_DOWN and resumed on B, " << finished_before
            << " saw their job end on A" << std::endl;
  EXPECT_GT(shutting_down, 0);
  int checked = 0;
  for (const std::string& job_id : jobs) {
    v1::Job done;
    ASSERT_TRUE(b.Account("drain-user")->GetJob(job_id, &done).ok());
    EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
    EXPECT_EQ(done.succeeded(), 20);
    checked += done.succeeded();
  }
  v1::Balance balance;
  ASSERT_TRUE(b.Account("drain-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 1000 - checked);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reservation_items WHERE state = 'reserved'"), 0);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(b.Terminate(), 0);
}

// SubmitBatch on an already-open connection 1 ms after SIGTERM (it used to return OK for a
// job that never ran, its quota reserved for ever): either the job is durable and runs on the
// other replica, or the call is refused with UNAVAILABLE SERVER_SHUTTING_DOWN having reserved
// nothing. Once with the replica busy (an LLM call to drain), then idle (its drain takes a few
// ms) with the submit 1 to 12 ms after the signal, around the end of the drain.
TEST_F(DurabilityRegressionTest, SubmitJustAfterSigterm) {
  fake_->SetDefaultLatency(20);
  fake_->Rules(R"([{"contains":"busy","latency_ms":1500}])");
  Replica& a = AddReplica("a");
  Replica& b = AddReplica("b");
  ASSERT_TRUE(b.Start());
  Grant(b, "busy-user", 10);
  int durable = 0;
  int refused = 0;
  const std::vector<int> delays_ms = {1, 1, 2, 3, 4, 6, 8, 12};
  for (size_t round = 0; round < delays_ms.size(); ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    ASSERT_TRUE(a.Start());
    const std::string user = absl::StrCat("late-user-", round);
    Grant(a, user, 10);
    auto client = a.Account(user);
    v1::Balance balance;
    ASSERT_TRUE(client->GetBalance(&balance).ok());  // the connection is open
    const bool busy = round == 0;
    if (busy) {
      v1::Job drain;
      ASSERT_TRUE(a.Account("busy-user")->SubmitBatch(Batch(1, "busy"), &drain).ok());
      ASSERT_TRUE(WaitUntil(absl::Seconds(10), [&] {
        return Count("SELECT COUNT(*) FROM job_chunks WHERE job_id = ? AND owner = 'a'",
                     {drain.job_id()}) == 1;
      }));
    }
    a.SendTerm();
    absl::SleepFor(absl::Milliseconds(delays_ms[round]));
    v1::Job job;
    const std::string request_id = absl::StrCat("late-", round);
    const grpc::Status status =
        client->SubmitBatch(Batch(2, absl::StrCat("late-", round), request_id), &job);
    client.reset();  // an open connection would hold A's exit for its --rpc_grace
    ASSERT_TRUE(a.WaitExit(absl::Seconds(15)).has_value());
    std::cout << "[late submit] " << delays_ms[round] << " ms after SIGTERM"
              << (busy ? " (busy)" : " (idle)") << ": "
              << (status.ok() ? "OK" : client::StatusCodeName(status.error_code())) << " "
              << client::ErrorReason(status) << " \"" << status.error_message() << "\""
              << std::endl;
    if (status.ok()) {
      ++durable;
      ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(20)));
      v1::Job done;
      ASSERT_TRUE(b.Account(user)->GetJob(job.job_id(), &done).ok());
      EXPECT_EQ(done.succeeded(), 2);
      ASSERT_TRUE(b.Account(user)->GetBalance(&balance).ok());
      EXPECT_EQ(balance.credits(), 8);
    } else {
      ++refused;
      EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
      EXPECT_EQ(client::ErrorReason(status), "SERVER_SHUTTING_DOWN") << status.error_message();
      EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs WHERE request_id = ?", {request_id}), 0);
      ASSERT_TRUE(b.Account(user)->GetBalance(&balance).ok());
      EXPECT_EQ(balance.credits(), 10);
    }
  }
  std::cout << "[late submit] " << durable << " durable, " << refused << " refused" << std::endl;
  // The busy job was handed back or finished, and B ran it.
  ASSERT_TRUE(WaitUntil(absl::Seconds(20), [&] {
    return Count("SELECT COUNT(*) FROM jobs WHERE state IN (1, 2)") == 0;
  }));
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(b.Terminate(), 0);
}

// SIGTERM while an LLM call takes 40 s, with --shutdown_grace=2s (shutdown used to wait for it
// without bound): the replica exits 0 within the grace plus a margin, abandons the call at the
// grace (the fake sees the connection closed) and hands the chunk back uncharged; the next
// replica checks it and the job finishes, charged once.
TEST_F(DurabilityRegressionTest, FortySecondAnswerWithTwoSecondGrace) {
  fake_->SetDefaultLatency(20);
  fake_->Rules(R"([{"contains":"FORTY","times":1,"latency_ms":40000}])");
  Replica& a = AddReplica("a", {"--shutdown_grace=2s"});
  Replica& b = AddReplica("b");
  ASSERT_TRUE(a.Start());
  Grant(a, "grace-user", 10);
  v1::SubmitBatchRequest batch = Batch(3, "grace");
  const std::string forty = "Doe, J. (2020). FORTY seconds. _Journal_, _1_(2), 1–9.";
  batch.mutable_citations()->set_items(1, forty);
  v1::Job job;
  ASSERT_TRUE(a.Account("grace-user")->SubmitBatch(batch, &job).ok());
  ASSERT_TRUE(
      WaitUntil(absl::Seconds(10), [&] { return Count(kResultsOfJob, {job.job_id()}) == 2; }));
  const FakeOpenAiStats before = fake_->Stats();
  ASSERT_EQ(before.in_flight, 1);
  const FakeOpenAiClock clock(*fake_);

  const absl::Time term_at = absl::Now();
  a.SendTerm();
  const std::optional<int> exit_code = a.WaitExit(absl::Seconds(45));
  const absl::Duration exit_took = absl::Now() - term_at;
  const int64_t term_ms = clock.At(term_at);
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
  std::cout << "[grace] exited " << exit_took << " after SIGTERM (grace 2 s)" << std::endl;
  // Long before the 40 s answer: the grace ended the wait (the abandoned call below says when).
  EXPECT_LT(exit_took, absl::Seconds(20));
  // The call was abandoned at the grace, not answered.
  const FakeOpenAiStats after = fake_->Stats();
  int64_t gone_ms = -1;
  for (const FakeOpenAiStats::Request& request : after.log) {
    if (!request.citations.empty() && request.citations[0] == forty) gone_ms = request.gone_ms;
  }
  // Not before the 2 s grace (less the clocks' 50 ms of uncertainty), and not at the answer.
  EXPECT_GE(gone_ms - term_ms, 2000 - 50);
  EXPECT_LT(gone_ms - term_ms, 20000);
  // Handed back: queued, nobody's, unpaid.
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM job_chunks WHERE job_id = ? AND owner IS NULL", {job.job_id()}),
      1);
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM ledger WHERE job_id = ? AND item_index = 1", {job.job_id()}), 0);

  ASSERT_TRUE(b.Start());
  ASSERT_TRUE(WaitJobEnded(job.job_id(), absl::Seconds(20)));
  v1::Job done;
  ASSERT_TRUE(b.Account("grace-user")->GetJob(job.job_id(), &done).ok());
  EXPECT_EQ(done.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 3);
  v1::Balance balance;
  ASSERT_TRUE(b.Account("grace-user")->GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 7);
  EXPECT_TRUE(BooksBalance(JobsExpected::kAllEnded));
  EXPECT_EQ(b.Terminate(), 0);
}

// WatchJob streams whose clients stopped reading, at SIGTERM (the old build ended them with a
// bare "Cancelling all calls"). What a client sees when it reads again, measured (gRPC 1.51):
//  - a C++ client with default channel settings keeps receiving into its buffers (BDP probing
//    grows the windows; here ~370 KiB unread, in a trial ~4 MB): usually nothing blocks the
//    replica's writes, and the client reads every event sent before the shutdown, then
//    UNAVAILABLE SERVER_SHUTTING_DOWN (when the probing has not grown the window in time, it
//    ends like the next one);
//  - a client whose window stays small (BDP probing off, 64 KiB lookahead) blocks the
//    replica's write, and the status cannot overtake a blocked write (HTTP/2 sends the
//    trailers after the data): the replica's gRPC shutdown cancels the stream after
//    --rpc_grace, and the client reads a gap-free prefix of the events (what its window took),
//    then UNAVAILABLE "Cancelling all calls" without an ErrorInfo (gRPC's own status; "Broken
//    pipe" when the process is gone first). Both are retryable: resuming after its last
//    sequence on another replica loses nothing.
TEST_F(DurabilityRegressionTest, WatchersThatStoppedReadingAtShutdown) {
  fake_->SetDefaultLatency(0);
  fake_->Rules(R"([{"contains":"STUCK","hang_ms":60000}])");
  Replica& a =
      AddReplica("a", {"--llm_max_inflight=8", "--citations_per_call=10", "--shutdown_grace=1s"});
  ASSERT_TRUE(a.Start());
  Grant(a, "reader-user", 1000);
  // 120 citations of ~3 KiB (~370 KiB of result events, far beyond a 64 KiB window) and a last
  // chunk whose LLM call never answers: the job stays RUNNING, its streams open.
  v1::SubmitBatchRequest big;
  for (int i = 0; i < 120; ++i) {
    big.mutable_citations()->add_items(
        absl::StrCat(BatchCitation("big", i), " ", std::string(3000, 'a' + i % 26)));
  }
  big.mutable_citations()->add_items("Roe, R. (2021). STUCK as well. _J_, _2_(1), 3–8.");
  v1::Job big_job;
  ASSERT_TRUE(a.Account("reader-user")->SubmitBatch(big, &big_job).ok());

  // A stream never read until after the shutdown, on a channel with `args`.
  struct Stalled {
    std::unique_ptr<v1::CitationService::Stub> stub;
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader;
  };
  auto open = [&](const grpc::ChannelArguments& args) {
    auto stalled = std::make_unique<Stalled>();
    stalled->stub = v1::CitationService::NewStub(
        grpc::CreateCustomChannel(a.address(), grpc::InsecureChannelCredentials(), args));
    stalled->context.AddMetadata("authorization", "Bearer reader-user");
    v1::WatchJobRequest request;
    request.set_job_id(big_job.job_id());
    stalled->reader = stalled->stub->WatchJob(&stalled->context, request);
    return stalled;
  };
  grpc::ChannelArguments small_window;
  small_window.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_window.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
  std::unique_ptr<Stalled> buffering = open(grpc::ChannelArguments());
  std::unique_ptr<Stalled> blocked = open(small_window);
  ASSERT_TRUE(WaitUntil(absl::Seconds(60), [&] {
    return Count("SELECT COUNT(*) FROM job_items WHERE job_id = ? AND state = 1",
                 {big_job.job_id()}) == 120;
  }));
  const int64_t sent = Count("SELECT last_sequence FROM jobs WHERE job_id = ?", {big_job.job_id()});
  // The replica pushes the events as the windows allow, also during its drain below.

  const absl::Time term_at = absl::Now();
  a.SendTerm();
  const std::optional<int> exit_code = a.WaitExit(absl::Seconds(30));
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
  const absl::Duration exit_took = absl::Now() - term_at;

  auto drain = [](Stalled& stalled, std::vector<int64_t>* sequences) {
    v1::JobEvent event;
    while (stalled.reader->Read(&event)) {
      if (!event.has_heartbeat()) sequences->push_back(event.sequence());
    }
    return stalled.reader->Finish();
  };
  std::vector<int64_t> buffered_seen;
  const grpc::Status buffered_status = drain(*buffering, &buffered_seen);
  std::vector<int64_t> blocked_seen;
  const grpc::Status blocked_status = drain(*blocked, &blocked_seen);
  auto describe = [](const grpc::Status& status) {
    return absl::StrCat(client::StatusCodeName(status.error_code()), " ",
                        client::ErrorReason(status), " \"", status.error_message(), "\"");
  };
  std::cout << "[stalled] A exited " << exit_took << " after SIGTERM; " << sent
            << " events were due; default window: " << buffered_seen.size() << " events, then "
            << describe(buffered_status) << "; small window: " << blocked_seen.size()
            << " events, then " << describe(blocked_status) << std::endl;

  // How far BDP probing grows the default client's window depends on timing (a CI run at load 4
  // saw it stay at 40 events, then the transport's reset): a gap-free prefix, then UNAVAILABLE;
  // SERVER_SHUTTING_DOWN whenever every event got through before the end.
  ASSERT_FALSE(buffered_seen.empty());
  EXPECT_LE(buffered_seen.size(), static_cast<size_t>(sent));
  for (size_t i = 0; i < buffered_seen.size(); ++i) {
    EXPECT_EQ(buffered_seen[i], static_cast<int64_t>(i) + 1);
  }
  EXPECT_EQ(buffered_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << describe(buffered_status);
  if (buffered_seen.size() == static_cast<size_t>(sent)) {
    EXPECT_EQ(client::ErrorReason(buffered_status), "SERVER_SHUTTING_DOWN");
  }

  ASSERT_FALSE(blocked_seen.empty());
  EXPECT_LT(blocked_seen.size(), static_cast<size_t>(sent));
  for (size_t i = 0; i < blocked_seen.size(); ++i) {
    EXPECT_EQ(blocked_seen[i], static_cast<int64_t>(i) + 1);
  }
  // gRPC's own status ("Cancelling all calls", or the transport's error when the process is
  // gone first): retryable, but without SERVER_SHUTTING_DOWN.
  EXPECT_EQ(blocked_status.error_code(), grpc::StatusCode::UNAVAILABLE) << describe(blocked_status);
  EXPECT_EQ(client::ErrorReason(blocked_status), "");

  // Resuming after its last sequence on another replica, the blocked client gets the rest.
  Replica& b = AddReplica("b", {"--shutdown_grace=1s"});
  ASSERT_TRUE(b.Start());
  auto stub = v1::CitationService::NewStub(
      grpc::CreateChannel(b.address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext resumed;
  resumed.AddMetadata("authorization", "Bearer reader-user");
  v1::WatchJobRequest request;
  request.set_job_id(big_job.job_id());
  request.set_after_sequence(blocked_seen.back());
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub->WatchJob(&resumed, request);
  v1::JobEvent event;
  while (blocked_seen.back() < sent && reader->Read(&event)) {
    if (!event.has_heartbeat()) blocked_seen.push_back(event.sequence());
  }
  resumed.TryCancel();
  reader->Finish().IgnoreError();
  ASSERT_EQ(blocked_seen.size(), static_cast<size_t>(sent));
  for (size_t i = 0; i < blocked_seen.size(); ++i) {
    EXPECT_EQ(blocked_seen[i], static_cast<int64_t>(i) + 1);
  }
  EXPECT_TRUE(BooksBalance(JobsExpected::kAnyState));
  EXPECT_EQ(b.Terminate(), 0);
}
}  // namespace
}  // namespace citecheck::testing

#include "client/citecheck_client.h"

#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/fake_server.h"

namespace citecheck::client {
namespace {

using ::citecheck::client::testing::FakeServer;
using ::citecheck::client::testing::MakeJobEvents;
using ::citecheck::client::testing::RichStatus;
using ::citecheck::client::testing::WatchStep;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Pair;

class CitecheckClientTest : public ::testing::Test {
 protected:
  CitecheckClientTest() { server_.citations.events = MakeJobEvents("job-1", 5); }

  ClientOptions Options() {
    ClientOptions options;
    options.server = server_.address();
    return options;
  }

  // Watches job-1 from `after` and returns the sequences delivered (heartbeats as -1).
  std::vector<int64_t> WatchSequences(CitecheckClient& client, int64_t after,
                                      grpc::Status* status) {
    std::vector<int64_t> sequences;
    *status = client.Watch("job-1", after, [&](const v1::JobEvent& event) {
      sequences.push_back(event.has_heartbeat() ? -1 : event.sequence());
      return true;
    });
    return sequences;
  }

  static std::vector<int64_t> Range(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t i = from; i <= to; ++i) out.push_back(i);
    return out;
  }

  FakeServer server_;
};

TEST(IsTerminalTest, OnlyFinalStates) {
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_UNSPECIFIED));
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_PENDING));
  EXPECT_FALSE(IsTerminal(v1::JOB_STATE_RUNNING));
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_SUCCEEDED));
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_FAILED));
  EXPECT_TRUE(IsTerminal(v1::JOB_STATE_CANCELLED));
}

TEST_F(CitecheckClientTest, WatchDeliversEveryEventWithoutReconnecting) {
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 8)));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(client.last_watch_reconnects(), 0);
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0));
}

TEST_F(CitecheckClientTest, WatchStartsAfterTheGivenSequence) {
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 5, &status), ElementsAre(6, 7, 8));
  EXPECT_TRUE(status.ok());
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(5));
}

TEST_F(CitecheckClientTest, WatchResumesAfterDropWithoutGapOrDuplicate) {
  server_.citations.watch_script = {{WatchStep::End::kDrop, 2}};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 8)));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(client.last_watch_reconnects(), 1);
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0, 2));
}

TEST_F(CitecheckClientTest, WatchSurvivesSeveralDropsOfEveryRetryableKind) {
  WatchStep unavailable{WatchStep::End::kDrop, 1};
  WatchStep internal{WatchStep::End::kDrop, 2, grpc::Status(grpc::StatusCode::INTERNAL, "x")};
  WatchStep unknown{WatchStep::End::kDrop, 0, grpc::Status(grpc::StatusCode::UNKNOWN, "x")};
  WatchStep cancelled{WatchStep::End::kDrop, 1, grpc::Status(grpc::StatusCode::CANCELLED, "x")};
  WatchStep deadline{WatchStep::End::kDrop, 1,
                     grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "x")};
  server_.citations.watch_script = {unavailable, internal, unknown, cancelled, deadline};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 8)));
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(client.last_watch_reconnects(), 5);
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0, 1, 3, 3, 4, 5));
}

TEST_F(CitecheckClientTest, WatchDropsEventsReplayedByTheServer) {
  WatchStep drop{WatchStep::End::kDrop, 3};
  WatchStep replay;
  replay.replay_from_start = true;
  server_.citations.watch_script = {drop, replay};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 8)));
  EXPECT_TRUE(status.ok());
}

TEST_F(CitecheckClientTest, WatchTakesAnOkEndAsTheEndOfTheJob) {
  // The server ends a stream OK only after the terminal event, e.g. when the watch started at
  // or past it: the client must not reconnect.
  server_.citations.watch_script = {{WatchStep::End::kDrop, 4, grpc::Status::OK}};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 4)));
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(client.last_watch_reconnects(), 0);
}

TEST_F(CitecheckClientTest, WatchIgnoresAnErrorAfterTheTerminalEvent) {
  WatchStep step;
  step.final_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "late drop");
  server_.citations.watch_script = {step};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAreArray(Range(1, 8)));
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(client.last_watch_reconnects(), 0);
}

TEST_F(CitecheckClientTest, WatchDeliversHeartbeatsButResumesFromRealEvents) {
  WatchStep drop{WatchStep::End::kDrop, 2};
  drop.heartbeat_first = true;
  WatchStep rest;
  rest.heartbeat_first = true;
  server_.citations.watch_script = {drop, rest};
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAre(-1, 1, 2, -1, 3, 4, 5, 6, 7, 8));
  EXPECT_TRUE(status.ok());
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0, 2));
}

TEST_F(CitecheckClientTest, WatchGivesUpAfterMaxReconnects) {
  WatchStep drop{WatchStep::End::kDrop, 1};
  server_.citations.watch_script = {drop, drop, drop, drop, drop};
  ClientOptions options = Options();
  options.max_reconnects = 2;
  CitecheckClient client(options);
  grpc::Status status;
  EXPECT_THAT(WatchSequences(client, 0, &status), ElementsAre(1, 2, 3));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(client.last_watch_reconnects(), 2);
  EXPECT_THAT(server_.citations.WatchAfter(), ElementsAre(0, 1, 2));
}

TEST_F(CitecheckClientTest, WatchReturnsNonRetryableErrorsAtOnce) {
  server_.citations.watch_status =
      RichStatus(grpc::StatusCode::NOT_FOUND, "JOB_NOT_FOUND", "no such job");
  CitecheckClient client(Options());
  grpc::Status status;
  EXPECT_TRUE(WatchSequences(client, 0, &status).empty());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorReason(status), "JOB_NOT_FOUND");
  EXPECT_EQ(client.last_watch_reconnects(), 0);
  EXPECT_EQ(server_.citations.WatchAfter().size(), 1u);
}

TEST_F(CitecheckClientTest, WatchStopsWithCancelledWhenTheCallbackReturnsFalse) {
  CitecheckClient client(Options());
  std::vector<int64_t> sequences;
  grpc::Status status = client.Watch("job-1", 0, [&](const v1::JobEvent& event) {
    sequences.push_back(event.sequence());
    return sequences.size() < 3;
  });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_THAT(sequences, ElementsAre(1, 2, 3));
  EXPECT_EQ(client.last_watch_reconnects(), 0);
}

TEST_F(CitecheckClientTest, CancelWatchesStopsARunningWatch) {
  server_.citations.watch_script = {{WatchStep::End::kHang, 2}};
  CitecheckClient client(Options());
  absl::Notification two_seen;
  std::vector<int64_t> sequences;
  std::thread canceller([&] {
    two_seen.WaitForNotification();
    client.CancelWatches();
  });
  grpc::Status status = client.Watch("job-1", 0, [&](const v1::JobEvent& event) {
    sequences.push_back(event.sequence());
    if (sequences.size() == 2) two_seen.Notify();
    return true;
  });
  canceller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_THAT(sequences, ElementsAre(1, 2));
  EXPECT_EQ(client.last_watch_reconnects(), 0);
  // A later watch is not affected.
  grpc::Status again;
  EXPECT_THAT(WatchSequences(client, 2, &again), ElementsAre(3, 4, 5, 6, 7, 8));
  EXPECT_TRUE(again.ok());
}

TEST_F(CitecheckClientTest, WatchFailsFastWhenTheServerIsUnreachable) {
  ClientOptions options;
  options.server = "127.0.0.1:1";
  options.max_reconnects = 1;
  CitecheckClient client(options);
  absl::Time start = absl::Now();
  grpc::Status status = client.Watch("job-1", 0, [](const v1::JobEvent&) { return true; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(client.last_watch_reconnects(), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(CitecheckClientTest, SendsIdentityAndExtraMetadata) {
  ClientOptions options = Options();
  options.token = "tok";
  options.free_user_id = "free-1";
  options.admin_key = "adm";
  options.extra_metadata = {{"x-free-used", "OA=="}};
  CitecheckClient client(options);
  v1::Job job;
  ASSERT_TRUE(client.GetJob("job-1", &job).ok());
  auto md = server_.citations.MetadataOf("GetJob");
  EXPECT_THAT(md.equal_range("authorization").first->second, "Bearer tok");
  EXPECT_EQ(md.find("x-free-user-id")->second, "free-1");
  EXPECT_EQ(md.find("x-admin-key")->second, "adm");
  EXPECT_EQ(md.find("x-free-used")->second, "OA==");
  grpc::Status status;
  WatchSequences(client, 0, &status);
  EXPECT_EQ(server_.citations.MetadataOf("WatchJob").find("authorization")->second, "Bearer tok");
}

TEST_F(CitecheckClientTest, OmitsEmptyIdentityMetadata) {
  CitecheckClient client(Options());
  v1::Job job;
  ASSERT_TRUE(client.GetJob("job-1", &job).ok());
  auto md = server_.citations.MetadataOf("GetJob");
  EXPECT_EQ(md.count("authorization"), 0u);
  EXPECT_EQ(md.count("x-free-user-id"), 0u);
  EXPECT_EQ(md.count("x-admin-key"), 0u);
}

TEST_F(CitecheckClientTest, UnaryCallsHaveTheConfiguredDeadline) {
  server_.citations.get_delay = absl::Milliseconds(500);
  ClientOptions options = Options();
  options.rpc_timeout = absl::Milliseconds(50);
  CitecheckClient client(options);
  v1::Job job;
  EXPECT_EQ(client.GetJob("job-1", &job).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(CitecheckClientTest, UnaryCallsPassRequestsAndRichErrors) {
  server_.citations.job.set_job_id("job-9");
  CitecheckClient client(Options());
  v1::SubmitBatchRequest request;
  request.set_text("A. (2020). T.");
  request.set_style(v1::STYLE_MLA9);
  v1::Job job;
  ASSERT_TRUE(client.SubmitBatch(request, &job).ok());
  EXPECT_EQ(job.job_id(), "job-9");
  EXPECT_EQ(server_.citations.last_submit.style(), v1::STYLE_MLA9);
  ASSERT_TRUE(client.CancelJob("job-9", &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(server_.citations.last_job_id, "job-9");

  server_.citations.unary_status =
      RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "CITATION_TOO_LONG", "too long",
                 "citations.items[3]", "over 4 KiB");
  grpc::Status status = client.SubmitBatch(request, &job);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ErrorReason(status), "CITATION_TOO_LONG");
  EXPECT_THAT(FieldViolations(status), ElementsAre(Pair("citations.items[3]", "over 4 KiB")));
}

TEST_F(CitecheckClientTest, AccountCalls) {
  server_.accounts.balance.set_credits(42);
  ClientOptions options = Options();
  options.admin_key = "adm";
  CitecheckClient client(options);
  v1::Balance balance;
  ASSERT_TRUE(client.GetBalance(&balance).ok());
  EXPECT_EQ(balance.credits(), 42);
  ASSERT_TRUE(client.GrantCredits("tok", 10, "order-1", &balance).ok());
  EXPECT_EQ(server_.accounts.last_credits.token(), "tok");
  EXPECT_EQ(server_.accounts.last_credits.credits(), 10);
  EXPECT_EQ(server_.accounts.last_credits.order_id(), "order-1");
  EXPECT_EQ(server_.accounts.admin_key, "adm");
  ASSERT_TRUE(client.GrantPass("tok", 7, "order-2", &balance).ok());
  EXPECT_EQ(server_.accounts.last_pass.days(), 7);
  EXPECT_EQ(server_.accounts.last_pass.order_id(), "order-2");
}

}  // namespace
}  // namespace citecheck::client

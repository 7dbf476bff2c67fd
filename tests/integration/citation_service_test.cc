// Integration tests: the real citecheck-server binary on a loopback port, driven through the
// client library exactly as the CLI and other services drive it.

#include <atomic>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_calls.h"
#include "tests/integration/server_process.h"
#include "tests/integration/shared_server_test.h"

namespace citecheck::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kValidApa[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";
constexpr char kFlawedApa[] =
    "Smith, J. A. and Doe, R. 2020. Deep Learning For Citation Analysis. Journal of "
    "Informetrics, 14(2), 101-115. doi:10.1016/j.joi.2020.101015";

v1::SubmitBatchRequest TextBatch(int n, const std::string& request_id = "") {
  v1::SubmitBatchRequest request;
  std::string text;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&text, i % 2 == 0 ? kValidApa : kFlawedApa, " (", i, ")\n\n");
  }
  request.set_text(text);
  request.set_request_id(request_id);
  return request;
}

// Every event of a watch from `after` to the end.
struct Watched {
  grpc::Status status;
  std::vector<v1::JobEvent> events;  // heartbeats excluded
  int heartbeats = 0;
};

Watched WatchAll(client::CitecheckClient& client, const std::string& job_id, int64_t after = 0) {
  Watched out;
  out.status = client.Watch(job_id, after, [&out](const v1::JobEvent& event) {
    if (event.has_heartbeat()) {
      ++out.heartbeats;
    } else {
      out.events.push_back(event);
    }
    return true;
  });
  return out;
}

void ExpectSequencesFrom(const std::vector<v1::JobEvent>& events, int64_t first) {
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), first + static_cast<int64_t>(i)) << "event " << i;
  }
}

class CitationServiceTest : public SharedServerTest<CitationServiceTest> {
 public:
  static std::vector<std::string> ServerFlags() {
    return {"--free_limit=10", "--watch_heartbeat=300ms"};
  }
};

TEST_F(CitationServiceTest, SubmitThenWatchStreamsEveryResultInOrderAndEndsOk) {
  auto client = server_->FreeUser("watcher-1");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(4), &job).ok());
  EXPECT_EQ(job.total(), 4);
  EXPECT_EQ(job.accepted(), 4);
  EXPECT_EQ(job.style(), v1::STYLE_APA7);
  EXPECT_EQ(job.model(), "heuristic");
  EXPECT_EQ(job.user_status().kind(), v1::USER_KIND_FREE);
  EXPECT_EQ(job.user_status().free_used_total(), 4);

  Watched watched = WatchAll(*client, job.job_id());
  ASSERT_TRUE(watched.status.ok()) << watched.status.error_message();
  ASSERT_GE(watched.events.size(), 6u);
  ExpectSequencesFrom(watched.events, 1);
  EXPECT_TRUE(watched.events.front().has_job_update());
  const v1::Job& last = watched.events.back().job_update();
  EXPECT_EQ(last.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(last.succeeded(), 4);
  EXPECT_EQ(last.last_sequence(), watched.events.back().sequence());
  std::vector<int> indices;
  for (const auto& event : watched.events) {
    if (event.has_result()) {
      indices.push_back(event.result().index());
      EXPECT_FALSE(event.result().source_type().empty());
      EXPECT_EQ(event.result().valid(), event.result().errors_size() == 0);
    }
  }
  EXPECT_THAT(indices, ElementsAre(0, 1, 2, 3));

  v1::Job got;
  ASSERT_TRUE(client->GetJob(job.job_id(), &got).ok());
  EXPECT_EQ(got.state(), v1::JOB_STATE_SUCCEEDED);
  ASSERT_EQ(got.results_size(), 4);
  EXPECT_TRUE(got.results(0).valid());
  EXPECT_FALSE(got.results(1).valid());  // the flawed one
  EXPECT_FALSE(got.results(1).corrected_citation().empty());
  EXPECT_TRUE(got.results(0).corrected_citation().empty());
  EXPECT_EQ(got.last_sequence(), last.last_sequence());
  EXPECT_TRUE(got.has_finish_time());
}

TEST_F(CitationServiceTest, WatchFromASequenceReplaysExactlyTheLaterEvents) {
  auto client = server_->FreeUser("resumer");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(3), &job).ok());
  Watched all = WatchAll(*client, job.job_id());
  ASSERT_TRUE(all.status.ok());
  const int64_t last = all.events.back().sequence();
  for (int64_t after : {int64_t{0}, int64_t{2}, last - 1, last}) {
    Watched part = WatchAll(*client, job.job_id(), after);
    if (after == last) {
      // Nothing after the terminal event: the stream ends at once, OK, with no event.
      EXPECT_TRUE(part.status.ok());
      EXPECT_TRUE(part.events.empty());
      EXPECT_EQ(client->last_watch_reconnects(), 0);
      continue;
    }
    ASSERT_TRUE(part.status.ok()) << after;
    ASSERT_EQ(part.events.size(), static_cast<size_t>(last - after)) << after;
    ExpectSequencesFrom(part.events, after + 1);
    for (size_t i = 0; i < part.events.size(); ++i) {
      EXPECT_EQ(part.events[i].SerializeAsString(), all.events[after + i].SerializeAsString());
    }
  }
}

TEST_F(CitationServiceTest, WatchBeyondTheLastSequenceIsOutOfRange) {
  auto client = server_->FreeUser("range");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(1), &job).ok());
  ASSERT_TRUE(WatchAll(*client, job.job_id()).status.ok());
  v1::Job got;
  ASSERT_TRUE(client->GetJob(job.job_id(), &got).ok());
  Watched beyond = WatchAll(*client, job.job_id(), got.last_sequence() + 1);
  EXPECT_EQ(beyond.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
  EXPECT_EQ(client::ErrorReason(beyond.status), "SEQUENCE_OUT_OF_RANGE");
  Watched negative = WatchAll(*client, job.job_id(), -1);
  EXPECT_EQ(negative.status.error_code(), grpc::StatusCode::OUT_OF_RANGE);
}

TEST_F(CitationServiceTest, JobsAreInvisibleToOtherCallers) {
  auto alice = server_->FreeUser("alice");
  auto bob = server_->FreeUser("bob");
  auto token = server_->Account("alice");  // a token "alice" is not the free user "alice"
  v1::Job job;
  ASSERT_TRUE(alice->SubmitBatch(TextBatch(1), &job).ok());
  for (auto* other : {bob.get(), token.get()}) {
    v1::Job got;
    grpc::Status get = other->GetJob(job.job_id(), &got);
    EXPECT_EQ(get.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(client::ErrorReason(get), "JOB_NOT_FOUND");
    EXPECT_EQ(other->CancelJob(job.job_id(), &got).error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(WatchAll(*other, job.job_id()).status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  v1::Job got;
  EXPECT_TRUE(alice->GetJob(job.job_id(), &got).ok());
  EXPECT_EQ(alice->GetJob("job_doesnotexist", &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(CitationServiceTest, SameRequestIdAndInputReturnTheSameJobWithoutASecondCharge) {
  auto client = server_->FreeUser("idem");
  v1::Job first, second, third;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(2, "order-42"), &first).ok());
  ASSERT_TRUE(client->SubmitBatch(TextBatch(2, "order-42"), &second).ok());
  EXPECT_EQ(second.job_id(), first.job_id());
  EXPECT_EQ(second.user_status().free_used_total(), 2);  // counted once
  grpc::Status reused = client->SubmitBatch(TextBatch(3, "order-42"), &third);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(reused), "REQUEST_ID_REUSED");
  EXPECT_THAT(client::FieldViolations(reused), ElementsAre(Pair("request_id", ::testing::_)));
  ASSERT_TRUE(client->SubmitBatch(TextBatch(1), &third).ok());
  EXPECT_EQ(third.user_status().free_used_total(), 3);
}

struct BadInput {
  std::string name;
  std::function<void(v1::SubmitBatchRequest&)> make;
  std::string reason;
  std::string field;
};

TEST_F(CitationServiceTest, EveryBadInputGetsInvalidArgumentWithReasonAndFieldAndNoCharge) {
  auto client = server_->FreeUser("bad-input");
  const std::vector<BadInput> cases = {
      {"no input", [](auto&) {}, "EMPTY_BATCH", "input"},
      {"blank text", [](auto& r) { r.set_text(" \n\n\t\n"); }, "EMPTY_BATCH", "text"},
      {"empty html", [](auto& r) { r.set_html("<p></p><p> &nbsp; </p>"); }, "EMPTY_BATCH", "html"},
      {"too many",
       [](auto& r) {
         for (int i = 0; i < 1001; ++i) r.mutable_citations()->add_items(absl::StrCat("c", i));
       },
       "TOO_MANY_CITATIONS", "citations.items"},
      {"too long",
       [](auto& r) {
         r.mutable_citations()->add_items("short");
         r.mutable_citations()->add_items(std::string(4097, 'x'));
       },
       "CITATION_TOO_LONG", "citations.items[1]"},
      {"style",
       [](auto& r) {
         r.set_text("A.");
         r.set_style(static_cast<v1::Style>(9));
       },
       "UNSUPPORTED_STYLE", "style"},
      {"model",
       [](auto& r) {
         r.set_text("A.");
         r.set_model("gpt-99");
       },
       "UNSUPPORTED_MODEL", "model"},
      {"request id",
       [](auto& r) {
         r.set_text("A.");
         r.set_request_id(std::string(65, 'x'));
       },
       "INVALID_REQUEST_ID", "request_id"},
  };
  for (const BadInput& bad : cases) {
    v1::SubmitBatchRequest request;
    bad.make(request);
    v1::Job job;
    grpc::Status status = client->SubmitBatch(request, &job);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad.name;
    EXPECT_EQ(client::ErrorReason(status), bad.reason) << bad.name;
    auto fields = client::FieldViolations(status);
    ASSERT_EQ(fields.size(), 1u) << bad.name;
    EXPECT_EQ(fields[0].first, bad.field) << bad.name;
  }
  // Nothing was counted against the free allowance.
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(1), &job).ok());
  EXPECT_EQ(job.user_status().free_used_total(), 1);
}

TEST_F(CitationServiceTest, InvalidUtf8AndOversizedRequestsGetTheirOwnReasons) {
  // The generated client would not send invalid UTF-8 in a string field; send the raw bytes a
  // sloppy client in another language could send.
  auto call = [&](const std::string& bytes) {
    return RawUnaryCall(server_->address(), kSubmitBatch, bytes);
  };
  std::string bad_text = "\x22\x08Smith \xff\xfe";  // field 4 (text), 8 bytes
  grpc::Status utf8 = call(bad_text);
  EXPECT_EQ(utf8.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(utf8), "INVALID_UTF8");
  EXPECT_THAT(client::FieldViolations(utf8), ElementsAre(Pair("text", ::testing::_)));

  v1::SubmitBatchRequest huge;
  huge.set_text(std::string(5 * 1024 * 1024, 'a'));
  grpc::Status too_large = call(huge.SerializeAsString());
  EXPECT_EQ(too_large.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(client::ErrorReason(too_large), "REQUEST_TOO_LARGE");
}

TEST_F(CitationServiceTest, ThreeJobsAtOnceAllComplete) {
  std::vector<std::thread> threads;
  std::atomic<int> succeeded{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([t, &succeeded] {
      auto client = server_->FreeUser(absl::StrCat("parallel-", t));
      v1::Job job;
      if (!client->SubmitBatch(TextBatch(3), &job).ok()) return;
      Watched watched = WatchAll(*client, job.job_id());
      if (watched.status.ok() &&
          watched.events.back().job_update().state() == v1::JOB_STATE_SUCCEEDED &&
          watched.events.back().job_update().succeeded() == 3) {
        ++succeeded;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 3);
}

TEST_F(CitationServiceTest, HealthServiceReportsServing) {
  EXPECT_EQ(CheckHealth(server_->address(), "citecheck.v1.CitationService"), Health::kServing);
  EXPECT_EQ(CheckHealth(server_->address()), Health::kServing);
}

// ---- Quota -----------------------------------------------------------------------------

TEST(FreeUserIntegrationTest, OldFreeTestHoldsAndUsageIsCountedOnTheServer) {
  auto server = ServerProcess::Start({"--free_limit=10"});
  ASSERT_NE(server, nullptr);
  client::ClientOptions options;
  options.free_user_id = "old-client";
  options.extra_metadata = {{"x-free-used", absl::Base64Escape("8")}};
  auto client = server->Client(options);
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(5), &job).ok());
  EXPECT_EQ(job.accepted(), 2);
  EXPECT_EQ(job.locked(), 3);
  EXPECT_TRUE(job.partial());
  EXPECT_EQ(job.limit_type(), v1::LIMIT_TYPE_FREE_LIMIT);
  EXPECT_EQ(job.user_status().free_used_total(), 10);
  EXPECT_EQ(job.user_status().free_limit(), 10);
  Watched watched = WatchAll(*client, job.job_id());
  ASSERT_TRUE(watched.status.ok());
  int results = 0;
  for (const auto& event : watched.events) results += event.has_result() ? 1 : 0;
  EXPECT_EQ(results, 2);
  v1::Job got;
  ASSERT_TRUE(client->GetJob(job.job_id(), &got).ok());
  EXPECT_EQ(got.results_size(), 2);
  EXPECT_EQ(got.results(1).index(), 1);

  // The same free user, without the header: nothing left.
  auto again = server->FreeUser("old-client");
  v1::Job second;
  ASSERT_TRUE(again->SubmitBatch(TextBatch(2), &second).ok());
  EXPECT_EQ(second.accepted(), 0);
  EXPECT_EQ(second.locked(), 2);
  EXPECT_EQ(second.state(), v1::JOB_STATE_SUCCEEDED);
  Watched nothing = WatchAll(*again, second.job_id());
  ASSERT_TRUE(nothing.status.ok());
  ASSERT_EQ(nothing.events.size(), 1u);
  EXPECT_EQ(nothing.events[0].job_update().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST(FreeUserIntegrationTest, AnonymousCallersShareTheAllowanceOfTheirAddress) {
  auto server = ServerProcess::Start({"--free_limit=3"});
  ASSERT_NE(server, nullptr);
  auto first = server->Client();
  auto second = server->Client();  // another connection from the same address
  v1::Job a, b;
  ASSERT_TRUE(first->SubmitBatch(TextBatch(2), &a).ok());
  ASSERT_TRUE(second->SubmitBatch(TextBatch(2), &b).ok());
  EXPECT_EQ(a.accepted(), 2);
  EXPECT_EQ(b.accepted(), 1);
  EXPECT_EQ(b.user_status().free_used_total(), 3);
  v1::Job got;
  EXPECT_TRUE(second->GetJob(a.job_id(), &got).ok());  // same anonymous identity
}

// ---- Live behaviour with a slow checker ------------------------------------------------

// Results streaming while a job runs, with heartbeats between them, is tested with the server
// in process and a held checker: tests/server/api/citecheck_server_test.cc.

// Cancelling a running job (exactly how much was checked, what is refunded) is tested with the
// server in process and a held checker: tests/server/api/citecheck_server_test.cc.

TEST(SlowCheckerIntegrationTest, WatchResumesAfterItsStreamDropsWithNoGapAndNoDuplicate) {
  auto server = ServerProcess::Start(
      {"--checker_delay=150ms", "--citations_per_call=1", "--llm_max_inflight=1"});
  ASSERT_NE(server, nullptr);
  auto client = server->FreeUser("dropper");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(4), &job).ok());
  // First watcher goes away after two events (as a client whose connection broke would).
  std::vector<v1::JobEvent> seen;
  grpc::Status first = client->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
    if (event.has_heartbeat()) return true;
    seen.push_back(event);
    return seen.size() < 2;
  });
  EXPECT_EQ(first.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_EQ(seen.size(), 2u);
  grpc::Status second =
      client->Watch(job.job_id(), seen.back().sequence(), [&](const v1::JobEvent& event) {
        if (!event.has_heartbeat()) seen.push_back(event);
        return true;
      });
  ASSERT_TRUE(second.ok()) << second.error_message();
  ExpectSequencesFrom(seen, 1);
  EXPECT_EQ(seen.back().job_update().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(server->Terminate(), 0);
}

TEST(SlowCheckerIntegrationTest, SigtermEndsOpenStreamsWithUnavailableAndExitsZero) {
  auto server = ServerProcess::Start(
      {"--checker_delay=2s", "--citations_per_call=1", "--llm_max_inflight=1"});
  ASSERT_NE(server, nullptr);
  auto channel = grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials());
  auto stub = v1::CitationService::NewStub(channel);
  auto client = server->FreeUser("shutdown");
  v1::Job job;
  ASSERT_TRUE(client->SubmitBatch(TextBatch(3), &job).ok());
  grpc::ClientContext context;
  context.AddMetadata("x-free-user-id", "shutdown");
  v1::WatchJobRequest request;
  request.set_job_id(job.job_id());
  auto reader = stub->WatchJob(&context, request);
  v1::JobEvent event;
  ASSERT_TRUE(reader->Read(&event));  // the stream is open
  std::thread terminator([&] { EXPECT_EQ(server->Terminate(), 0); });
  while (reader->Read(&event)) {
  }
  grpc::Status status = reader->Finish();
  terminator.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(client::ErrorReason(status), "SERVER_SHUTTING_DOWN");
}

}  // namespace
}  // namespace citecheck::testing

namespace citecheck::testing {
namespace {

std::vector<std::string> ListAll(client::CitecheckClient& client, int page_size,
                                 v1::JobState state = v1::JOB_STATE_UNSPECIFIED) {
  std::vector<std::string> ids;
  v1::ListJobsRequest request;
  request.set_page_size(page_size);
  request.set_state(state);
  for (int page = 0; page < 100; ++page) {
    v1::ListJobsResponse response;
    grpc::Status status = client.ListJobs(request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    if (!status.ok()) break;
    for (const v1::Job& job : response.jobs()) {
      EXPECT_EQ(job.results_size(), 0);
      ids.push_back(job.job_id());
    }
    if (response.next_page_token().empty()) break;
    EXPECT_EQ(response.jobs_size(), page_size);  // every page but the last is full
    request.set_page_token(response.next_page_token());
  }
  return ids;
}

TEST_F(CitationServiceTest, ListJobsShowsTheCallersJobsNewestFirstInPages) {
  auto client = server_->FreeUser("lister");
  auto other = server_->FreeUser("someone-else");
  std::vector<std::string> submitted;
  for (int i = 0; i < 5; ++i) {
    v1::Job job;
    ASSERT_TRUE(client->SubmitBatch(TextBatch(1), &job).ok());
    submitted.insert(submitted.begin(), job.job_id());
  }
  v1::Job theirs;
  ASSERT_TRUE(other->SubmitBatch(TextBatch(1), &theirs).ok());
  EXPECT_EQ(ListAll(*client, 2), submitted);
  EXPECT_EQ(ListAll(*client, 0), submitted);
  EXPECT_THAT(ListAll(*other, 10), ElementsAre(theirs.job_id()));

  // A token belongs to its caller and its filter; altered tokens are refused.
  v1::ListJobsRequest request;
  request.set_page_size(2);
  v1::ListJobsResponse first;
  ASSERT_TRUE(client->ListJobs(request, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  std::string altered = first.next_page_token();
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  for (auto [who, token, state] :
       {std::tuple{other.get(), first.next_page_token(), v1::JOB_STATE_UNSPECIFIED},
        std::tuple{client.get(), first.next_page_token(), v1::JOB_STATE_SUCCEEDED},
        std::tuple{client.get(), altered, v1::JOB_STATE_UNSPECIFIED}}) {
    v1::ListJobsRequest next;
    next.set_page_token(token);
    next.set_state(state);
    v1::ListJobsResponse response;
    grpc::Status status = who->ListJobs(next, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(client::ErrorReason(status), "INVALID_PAGE_TOKEN");
    EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("page_token", ::testing::_)));
  }
  v1::ListJobsRequest negative;
  negative.set_page_size(-1);
  v1::ListJobsResponse response;
  grpc::Status status = client->ListJobs(negative, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(client::FieldViolations(status), ElementsAre(Pair("page_size", ::testing::_)));
}

}  // namespace
}  // namespace citecheck::testing

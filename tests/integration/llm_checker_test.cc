// The LLM path end to end: the real citecheck-server binary checks citations through the fake
// OpenAI-compatible server (tests/fake_openai), which is scripted to be slow, rate-limit, fail
// or answer badly. One test per behaviour.

#include <cstdlib>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/error_details.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {
namespace {

constexpr char kApiKeyEnv[] = "CITECHECK_TEST_LLM_KEY";
constexpr char kApiKey[] = "sk-test-not-a-real-key-1234";

std::string Citation(int i) {
  return absl::StrCat("Author", i, ", A. and Writer, B. (2020). A Study Of Things Number ", i,
                      ". Journal of Tests, 1(2), 10-20.");
}

v1::SubmitBatchRequest Batch(int n, int first = 0) {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) request.mutable_citations()->add_items(Citation(first + i));
  return request;
}

class LlmCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv(kApiKeyEnv, kApiKey, 1);
    fake_ = FakeOpenAi::Start();
    ASSERT_NE(fake_, nullptr);
  }

  // Starts the server against the fake with `flags` added to the defaults.
  void StartServer(std::vector<std::string> flags = {}) {
    std::vector<std::string> all = {"--llm_base_url=" + fake_->base_url(),
                                    "--llm_model=fake-model",
                                    absl::StrCat("--llm_api_key_env=", kApiKeyEnv),
                                    "--free_limit=100000",
                                    "--llm_attempt_timeout=2s",
                                    "--citations_per_call=5"};
    all.insert(all.end(), flags.begin(), flags.end());
    server_ = ServerProcess::Start(all);
    ASSERT_NE(server_, nullptr);
    client_ = server_->FreeUser("llm-tester");
  }

  v1::Job Submit(const v1::SubmitBatchRequest& request) {
    v1::Job job;
    grpc::Status status = client_->SubmitBatch(request, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return job;
  }

  // Watches the job to its end; returns the final snapshot.
  v1::Job Finish(const std::string& job_id) {
    grpc::Status status = client_->Watch(job_id, 0, [](const v1::JobEvent&) { return true; });
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::Job job;
    EXPECT_TRUE(client_->GetJob(job_id, &job).ok());
    return job;
  }

  std::vector<std::string> FailureReasons(const v1::Job& job) {
    std::vector<std::string> reasons;
    for (const auto& failure : job.failures()) {
      reasons.push_back(client::ErrorReason(failure.status()));
    }
    return reasons;
  }

  std::unique_ptr<FakeOpenAi> fake_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::CitecheckClient> client_;
};

TEST_F(LlmCheckerTest, HappyPathParsesErrorsCorrectionsAndValidCitations) {
  StartServer();
  v1::SubmitBatchRequest request;
  request.mutable_citations()->add_items(
      "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
      "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015");
  request.mutable_citations()->add_items(
      "Smith, J. A. and Doe, R. (2020). Deep Learning For Citation Analysis. _Journal of "
      "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015");
  v1::Job job = Finish(Submit(request).job_id());
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.model(), "fake-model");
  ASSERT_EQ(job.results_size(), 2);
  EXPECT_TRUE(job.results(0).valid());
  EXPECT_TRUE(job.results(0).corrected_citation().empty());
  EXPECT_FALSE(job.results(0).source_type().empty());
  const v1::CitationResult& flawed = job.results(1);
  EXPECT_FALSE(flawed.valid());
  ASSERT_GE(flawed.errors_size(), 2);
  std::vector<std::string> components;
  for (const auto& error : flawed.errors()) {
    components.push_back(error.component());
    EXPECT_FALSE(error.problem().empty());
    EXPECT_FALSE(error.correction().empty());
  }
  EXPECT_THAT(components, ::testing::IsSupersetOf({"Authors", "Title"}));
  EXPECT_THAT(flawed.corrected_citation(),
              ::testing::HasSubstr("<em>Journal of Informetrics</em>"));
  EXPECT_THAT(flawed.corrected_citation(), ::testing::HasSubstr("& Doe"));
}

TEST_F(LlmCheckerTest, RequestCarriesModelBearerKeyAndNumberedCitations) {
  StartServer();
  Finish(Submit(Batch(2)).job_id());
  FakeOpenAiStats stats = fake_->Stats();
  ASSERT_EQ(stats.requests, 1);
  const auto& request = stats.log[0];
  EXPECT_EQ(request.path, "/v1/chat/completions");
  EXPECT_EQ(request.model, "fake-model");
  EXPECT_EQ(request.authorization, absl::StrCat("Bearer ", kApiKey));
  EXPECT_THAT(request.citations, ::testing::ElementsAre(Citation(0), Citation(1)));
  EXPECT_FALSE(absl::StrContains(server_->Log(), kApiKey));  // never logged
}

TEST_F(LlmCheckerTest, CutsTwelveCitationsIntoThreeCallsOfFive) {
  StartServer();
  v1::Job job = Finish(Submit(Batch(12)).job_id());
  EXPECT_EQ(job.succeeded(), 12);
  FakeOpenAiStats stats = fake_->Stats();
  ASSERT_EQ(stats.requests, 3);
  std::vector<size_t> sizes;
  for (const auto& r : stats.log) sizes.push_back(r.citations.size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_THAT(sizes, ::testing::ElementsAre(2, 5, 5));
}

TEST_F(LlmCheckerTest, RateLimitWithRetryAfterIsHonoured) {
  StartServer();
  fake_->Script(R"([{"status":429,"headers":{"retry-after":"1"}}])");
  v1::Job job = Finish(Submit(Batch(1)).job_id());
  EXPECT_EQ(job.succeeded(), 1);
  FakeOpenAiStats stats = fake_->Stats();
  ASSERT_EQ(stats.requests, 2);
  EXPECT_GE(stats.log[1].received_ms - stats.log[0].received_ms, 900);
}

TEST_F(LlmCheckerTest, ServerErrorsAreRetriedUntilSuccess) {
  StartServer();
  fake_->Script(R"([{"status":500},{"status":500}])");
  v1::Job job = Finish(Submit(Batch(1)).job_id());
  EXPECT_EQ(job.state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job.succeeded(), 1);
  EXPECT_EQ(fake_->Stats().requests, 3);
}

TEST_F(LlmCheckerTest, BadRequestIsNotRetriedAndBecomesItemFailures) {
  StartServer();
  fake_->Script(R"([{"status":400}])");
  v1::Job job = Finish(Submit(Batch(2)).job_id());
  EXPECT_EQ(fake_->Stats().requests, 1);
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_EQ(job.failed(), 2);
  EXPECT_THAT(FailureReasons(job), ::testing::Each("LLM_REJECTED"));
  // Failed citations are released: the free allowance is untouched.
  v1::Job next = Submit(Batch(1, 10));
  EXPECT_EQ(next.user_status().free_used_total(), 1);
}

TEST_F(LlmCheckerTest, InsufficientQuotaIsFinal) {
  StartServer();
  fake_->Script(R"([{"status":429,"error_code":"insufficient_quota"}])");
  v1::Job job = Finish(Submit(Batch(1)).job_id());
  EXPECT_EQ(fake_->Stats().requests, 1);
  EXPECT_THAT(FailureReasons(job), ::testing::ElementsAre("LLM_QUOTA_EXHAUSTED"));
}

TEST_F(LlmCheckerTest, HangLongerThanTheAttemptTimeoutIsRetried) {
  StartServer({"--llm_attempt_timeout=500ms"});
  fake_->Script(R"([{"hang_ms":3000}])");
  v1::Job job = Finish(Submit(Batch(1)).job_id());
  EXPECT_EQ(job.succeeded(), 1);
  EXPECT_EQ(fake_->Stats().requests, 2);
}

TEST_F(LlmCheckerTest, CitationMissingFromTheAnswerIsAskedAgainAlone) {
  StartServer();
  fake_->Script(R"([{"omit":[2]}])");
  v1::Job job = Finish(Submit(Batch(3)).job_id());
  EXPECT_EQ(job.succeeded(), 3);
  FakeOpenAiStats stats = fake_->Stats();
  ASSERT_EQ(stats.requests, 2);
  EXPECT_THAT(stats.log[1].citations, ::testing::ElementsAre(Citation(1)));
}

TEST_F(LlmCheckerTest, MalformedJsonIsRetried) {
  StartServer();
  fake_->Script(R"([{"malformed":true}])");
  v1::Job job = Finish(Submit(Batch(1)).job_id());
  EXPECT_EQ(job.succeeded(), 1);
  EXPECT_EQ(fake_->Stats().requests, 2);
}

TEST_F(LlmCheckerTest, NeverMoreCallsInFlightThanTheCap) {
  StartServer({"--llm_max_inflight=3", "--citations_per_call=1"});
  fake_->SetDefaultLatency(200);
  v1::Job job = Finish(Submit(Batch(12)).job_id());
  EXPECT_EQ(job.succeeded(), 12);
  EXPECT_EQ(fake_->Stats().max_concurrency, 3);
}

// Jobs taking turns (a small job not stuck behind a big one) is tested with the server in
// process and calls let through one by one: tests/server/api/citecheck_server_test.cc.

// A cancel stopping new LLM calls beyond those in flight is tested with the server in process
// and held calls: tests/server/api/citecheck_server_test.cc.

TEST_F(LlmCheckerTest, ResultsArriveWhileTheJobRuns) {
  StartServer({"--llm_max_inflight=1", "--citations_per_call=1"});
  fake_->SetDefaultLatency(250);
  v1::Job job = Submit(Batch(4));
  std::vector<absl::Time> arrivals;
  absl::Time end;
  grpc::Status status = client_->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
    if (event.has_result()) arrivals.push_back(absl::Now());
    if (event.has_job_update() && event.job_update().state() == v1::JOB_STATE_SUCCEEDED) {
      end = absl::Now();
    }
    return true;
  });
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(arrivals.size(), 4u);
  // The first result arrived long before the job ended (one call of 250 ms each).
  EXPECT_GE(end - arrivals.front(), absl::Milliseconds(500));
}

}  // namespace
}  // namespace citecheck::testing

// LlmChecker against a scripted FakeLlmClient, a FakeClock and a sleeper that only advances
// that clock: retries, budgets, pauses, re-asks, fallback, cancel and deadline, without a single
// real sleep.

#include "server/checking/llm_checker.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/inline_prompts.h"
#include "server/checking/prompts.h"
#include "server/common/errors.h"
#include "tests/fakes/eventually.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_llm_client.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

using fake_llm::Answer;
using fake_llm::Block;
using fake_llm::Failed;
using fake_llm::Ok;

// An endpoint of the tests: a fake client with its model, budget and pause (either may be null).
LlmEndpoint TestEndpoint(FakeLlmClient* client, const std::string& model, RetryBudget* budget,
                         EndpointPause* pause, const std::string& label) {
  LlmEndpoint endpoint;
  endpoint.client = client;
  endpoint.model = model;
  endpoint.budget = budget;
  endpoint.pause = pause;
  endpoint.label = label;
  return endpoint;
}

class LlmCheckerTest : public ::testing::Test {
 protected:
  LlmCheckerOptions Options(bool with_fallback = false) {
    LlmCheckerOptions options;
    options.primary = TestEndpoint(&primary_, "model-a", &budget_, &pause_, "primary");
    if (with_fallback) {
      options.fallback =
          TestEndpoint(&fallback_, "model-b", &fallback_budget_, &fallback_pause_, "fallback");
    }
    options.retry.max_attempts = 3;
    options.clock = &clock_;
    options.uniform01 = [] { return 0.0; };  // full backoff: 0.5 s, 1 s, 2 s, ...
    options.sleep = [this](absl::Duration d) {
      slept_ += d;
      max_step_ = std::max(max_step_, d);
      clock_.Advance(d);
    };
    return options;
  }

  CheckRequest Request(int count) {
    CheckRequest request;
    request.style = v1::STYLE_APA7;
    for (int i = 1; i <= count; ++i) {
      request.citations.push_back(absl::StrCat("Author ", i, ". (2020). Title ", i, "."));
    }
    return request;
  }

  FakeClock clock_;
  FakeLlmClient primary_;
  FakeLlmClient fallback_;
  RetryBudget budget_{100, 0.1};
  RetryBudget fallback_budget_{100, 0.1};
  EndpointPause pause_;
  EndpointPause fallback_pause_;
  absl::Duration slept_ = absl::ZeroDuration();
  absl::Duration max_step_ = absl::ZeroDuration();
};

// Every entry is a failure with `reason`.
void ExpectAllFail(const std::vector<absl::StatusOr<v1::CitationResult>>& results,
                   absl::string_view reason) {
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(ErrorReason(result.status()), reason) << result.status();
  }
}

TEST_F(LlmCheckerTest, HappyPathSendsThePromptsAndParsesTheAnswer) {
  primary_.Push(Ok(Block(1, "Work 1.") + Block(2, "Work 2.", /*valid=*/false)));
  LlmChecker checker(Options());
  const CheckRequest request = Request(2);

  const auto results = checker.Check(request);

  ASSERT_THAT(results, SizeIs(2));
  ASSERT_TRUE(results[0].ok());
  EXPECT_TRUE(results[0]->valid());
  EXPECT_EQ(results[0]->original(), "Work 1.");
  EXPECT_EQ(results[0]->source_type(), "book");
  ASSERT_TRUE(results[1].ok());
  EXPECT_FALSE(results[1]->valid());
  ASSERT_THAT(results[1]->errors(), SizeIs(1));
  EXPECT_EQ(results[1]->errors(0).component(), "Year");
  EXPECT_EQ(results[1]->corrected_citation(), "Fixed.");

  const std::vector<LlmRequest> sent = primary_.requests();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].model, "model-a");
  EXPECT_EQ(sent[0].system_prompt, std::string(SystemPrompt(v1::STYLE_APA7)));
  EXPECT_EQ(sent[0].user_message, NumberedCitations(request.citations));
  EXPECT_EQ(sent[0].timeout, absl::Seconds(60));
  EXPECT_EQ(slept_, absl::ZeroDuration());
  EXPECT_EQ(budget_.Tokens(), 100);
}

TEST_F(LlmCheckerTest, UsesTheStyleSystemPrompt) {
  LlmChecker checker(Options());
  CheckRequest request = Request(1);
  request.style = v1::STYLE_MLA9;
  ASSERT_TRUE(checker.Check(request)[0].ok());
  EXPECT_EQ(primary_.requests()[0].system_prompt, std::string(SystemPrompt(v1::STYLE_MLA9)));
}

TEST_F(LlmCheckerTest, EmptyOriginalIsTheSubmittedCitation) {
  primary_.Push(Ok(Block(1, "")));
  LlmChecker checker(Options());
  const auto results = checker.Check(Request(1));
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->original(), "Author 1. (2020). Title 1.");
}

TEST_F(LlmCheckerTest, EmptyChunkMakesNoCall) {
  LlmChecker checker(Options());
  EXPECT_THAT(checker.Check(Request(0)), SizeIs(0));
  EXPECT_EQ(primary_.calls(), 0);
}

TEST_F(LlmCheckerTest, ServerErrorsAreRetriedWithBackoff) {
  primary_.PushTimes(2, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options());

  const auto results = checker.Check(Request(2));

  EXPECT_EQ(primary_.calls(), 3);
  ASSERT_THAT(results, SizeIs(2));
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_EQ(slept_, absl::Milliseconds(1500));   // 0.5 s + 1 s at full jitter
  EXPECT_LE(max_step_, absl::Milliseconds(50));  // slept in small steps
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 98.1);      // two failures, one success
}

TEST_F(LlmCheckerTest, TransportFailuresAreRetried) {
  primary_.Push(Failed(AttemptOutcome::ConnectionError()));
  primary_.Push(Failed(AttemptOutcome::Timeout()));
  LlmChecker checker(Options());
  const auto results = checker.Check(Request(1));
  EXPECT_EQ(primary_.calls(), 3);
  EXPECT_TRUE(results[0].ok());
}

TEST_F(LlmCheckerTest, ServerErrorsUntilTheLastAttemptFailUnavailable) {
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(503)));
  LlmChecker checker(Options());
  const auto results = checker.Check(Request(2));
  EXPECT_EQ(primary_.calls(), 3);
  ExpectAllFail(results, reason::kLlmUnavailable);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(LlmCheckerTest, BadRequestIsNotRetriedNorSentToTheFallback) {
  primary_.Push(Failed(AttemptOutcome::Http(400, {}, "invalid_request_error")));
  LlmChecker checker(Options(/*with_fallback=*/true));

  const auto results = checker.Check(Request(2));

  EXPECT_EQ(primary_.calls(), 1);
  EXPECT_EQ(fallback_.calls(), 0);
  ExpectAllFail(results, reason::kLlmRejected);
  EXPECT_EQ(slept_, absl::ZeroDuration());
  EXPECT_EQ(budget_.Tokens(), 100);  // not a retryable failure: not reported
}

TEST_F(LlmCheckerTest, InsufficientQuotaIsFinal) {
  primary_.Push(Failed(AttemptOutcome::Http(429, {{"retry-after", "1"}}, "insufficient_quota")));
  LlmChecker checker(Options());
  const auto results = checker.Check(Request(1));
  EXPECT_EQ(primary_.calls(), 1);
  ExpectAllFail(results, reason::kLlmQuotaExhausted);
}

TEST_F(LlmCheckerTest, RateLimitWithRetryAfterPausesTheEndpointAndWaits) {
  const absl::Time start = clock_.Now();
  primary_.Push(Failed(AttemptOutcome::Http(429, {{"retry-after", "1"}})));
  LlmChecker checker(Options());

  const auto results = checker.Check(Request(1));

  EXPECT_EQ(primary_.calls(), 2);
  EXPECT_TRUE(results[0].ok());
  EXPECT_GE(slept_, absl::Seconds(1));
  EXPECT_EQ(pause_.ReadyAt(), start + absl::Seconds(1));
}

TEST_F(LlmCheckerTest, WaitsForAnEndpointPauseBeforeSending) {
  pause_.PauseUntil(clock_.Now() + absl::Seconds(5));
  LlmChecker checker(Options());
  ASSERT_TRUE(checker.Check(Request(1))[0].ok());
  EXPECT_EQ(slept_, absl::Seconds(5));
}

TEST_F(LlmCheckerTest, RateLimitedRetriesRunOutAsRateLimited) {
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(429, {{"retry-after-ms", "10"}})));
  LlmChecker checker(Options());
  const auto results = checker.Check(Request(1));
  EXPECT_EQ(primary_.calls(), 3);
  ExpectAllFail(results, reason::kLlmRateLimited);
}

TEST_F(LlmCheckerTest, OmittedCitationIsAskedAgainOnItsOwn) {
  primary_.Push(Ok(Answer({1, 3})));
  primary_.Push(Ok(Block(1, "Work 2, again.")));
  LlmChecker checker(Options());
  const CheckRequest request = Request(3);

  const auto results = checker.Check(request);

  const std::vector<LlmRequest> sent = primary_.requests();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[1].user_message, "1. " + request.citations[1]);
  ASSERT_THAT(results, SizeIs(3));
  ASSERT_TRUE(results[0].ok());
  ASSERT_TRUE(results[1].ok());
  ASSERT_TRUE(results[2].ok());
  EXPECT_EQ(results[0]->original(), "Work 1.");
  EXPECT_EQ(results[1]->original(), "Work 2, again.");
  EXPECT_EQ(results[2]->original(), "Work 3.");
  EXPECT_EQ(slept_, absl::ZeroDuration());  // the endpoint answered: no backoff
}

TEST_F(LlmCheckerTest, ReAsksCountTowardsTheCitationsAttempts) {
  // Attempt 1 (both) lacks #2; attempt 2 (#2 alone) lacks it again; with 2 attempts in all
  // #2 fails as a bad answer without a third request.
  primary_.Push(Ok(Answer({1})));
  primary_.Push(Ok("CITATION #1\nnothing useful"));
  LlmCheckerOptions options = Options();
  options.retry.max_attempts = 2;
  LlmChecker checker(std::move(options));

  const auto results = checker.Check(Request(2));

  EXPECT_EQ(primary_.calls(), 2);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(ErrorReason(results[1].status()), reason::kLlmBadAnswer);
}

TEST_F(LlmCheckerTest, OmittedCitationWithoutAttemptsLeftFailsAsBadAnswer) {
  primary_.Push(Ok(Answer({1})));
  LlmCheckerOptions options = Options();
  options.retry.max_attempts = 1;
  LlmChecker checker(std::move(options));
  const auto results = checker.Check(Request(2));
  EXPECT_EQ(primary_.calls(), 1);
  EXPECT_TRUE(results[0].ok());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(ErrorReason(results[1].status()), reason::kLlmBadAnswer);
}

TEST_F(LlmCheckerTest, AnswerWithoutBlocksIsRetriedThenFailsAsBadAnswer) {
  primary_.PushTimes(3, Ok("I cannot help with that."));
  LlmChecker checker(Options());

  const auto results = checker.Check(Request(2));

  EXPECT_EQ(primary_.calls(), 3);
  ExpectAllFail(results, reason::kLlmBadAnswer);
  EXPECT_EQ(slept_, absl::Milliseconds(1500));
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 97);  // counted like a 5xx
}

TEST_F(LlmCheckerTest, BadAnswerFromTheClientIsRetried) {
  primary_.Push(Failed(AttemptOutcome::BadAnswer()));
  LlmChecker checker(Options());
  EXPECT_TRUE(checker.Check(Request(1))[0].ok());
  EXPECT_EQ(primary_.calls(), 2);
}

TEST_F(LlmCheckerTest, FallbackAfterThePrimaryIsExhausted) {
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(503)));
  LlmChecker checker(Options(/*with_fallback=*/true));
  const CheckRequest request = Request(2);

  const auto results = checker.Check(request);

  EXPECT_EQ(primary_.calls(), 3);
  const std::vector<LlmRequest> sent = fallback_.requests();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].model, "model-b");
  EXPECT_EQ(sent[0].user_message, NumberedCitations(request.citations));
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
}

TEST_F(LlmCheckerTest, FallbackHasAttemptsOfItsOwnAndItsFailureCounts) {
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(503)));
  fallback_.PushTimes(3, Failed(AttemptOutcome::Http(429)));
  LlmChecker checker(Options(/*with_fallback=*/true));
  const auto results = checker.Check(Request(1));
  EXPECT_EQ(primary_.calls(), 3);
  EXPECT_EQ(fallback_.calls(), 3);
  ExpectAllFail(results, reason::kLlmRateLimited);
  EXPECT_EQ(budget_.Tokens(), 97);
  EXPECT_EQ(fallback_budget_.Tokens(), 97);
}

TEST_F(LlmCheckerTest, OnlyCitationsThatFailedGoToTheFallback) {
  // #2 is missing from every answer of the primary; only #2 is sent to the fallback.
  primary_.Push(Ok(Answer({1})));
  primary_.PushTimes(2, Ok("nothing"));
  LlmChecker checker(Options(/*with_fallback=*/true));
  const CheckRequest request = Request(2);

  const auto results = checker.Check(request);

  EXPECT_EQ(primary_.calls(), 3);
  const std::vector<LlmRequest> sent = fallback_.requests();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].user_message, "1. " + request.citations[1]);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
}

TEST_F(LlmCheckerTest, RequestForTheFallbackModelGoesToTheFallbackOnly) {
  fallback_.PushTimes(3, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options(/*with_fallback=*/true));
  CheckRequest request = Request(1);
  request.model = "model-b";

  const auto results = checker.Check(request);

  EXPECT_EQ(primary_.calls(), 0);
  EXPECT_EQ(fallback_.calls(), 3);
  ExpectAllFail(results, reason::kLlmUnavailable);
}

TEST_F(LlmCheckerTest, ModelNames) {
  LlmChecker checker(Options(/*with_fallback=*/true));
  EXPECT_EQ(checker.ModelName(), "model-a");
  EXPECT_TRUE(checker.SupportsModel(""));
  EXPECT_TRUE(checker.SupportsModel("model-a"));
  EXPECT_TRUE(checker.SupportsModel("model-b"));
  EXPECT_FALSE(checker.SupportsModel("model-c"));
  LlmChecker alone(Options());
  EXPECT_FALSE(alone.SupportsModel("model-b"));

  CheckRequest request = Request(1);
  request.model = "model-c";
  ExpectAllFail(alone.Check(request), reason::kLlmRejected);
  EXPECT_EQ(primary_.calls(), 0);
}

TEST_F(LlmCheckerTest, ExhaustedBudgetAllowsNoRetry) {
  RetryBudget budget(10, 0.1);
  for (int i = 0; i < 5; ++i) budget.OnFailure();  // 5 tokens left: not above 10 / 2
  ASSERT_FALSE(budget.AllowRetry());
  primary_.Push(Failed(AttemptOutcome::Http(500)));
  LlmCheckerOptions options = Options();
  options.primary.budget = &budget;
  LlmChecker checker(std::move(options));

  const auto results = checker.Check(Request(2));

  EXPECT_EQ(primary_.calls(), 1);
  ExpectAllFail(results, reason::kLlmUnavailable);
  EXPECT_EQ(slept_, absl::ZeroDuration());
}

TEST_F(LlmCheckerTest, CancelStopsRetrying) {
  std::atomic<bool> cancelled{false};
  primary_.OnCall([&cancelled] { cancelled = true; });
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options());
  CheckRequest request = Request(2);
  request.cancelled = &cancelled;

  const auto results = checker.Check(request);

  EXPECT_EQ(primary_.calls(), 1);
  ASSERT_THAT(results, SizeIs(2));
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  }
}

TEST_F(LlmCheckerTest, CancelledBeforeStartMakesNoCall) {
  std::atomic<bool> cancelled{true};
  LlmChecker checker(Options());
  CheckRequest request = Request(1);
  request.cancelled = &cancelled;
  EXPECT_FALSE(checker.Check(request)[0].ok());
  EXPECT_EQ(primary_.calls(), 0);
}

TEST_F(LlmCheckerTest, CancelInterruptsAWait) {
  std::atomic<bool> cancelled{false};
  LlmCheckerOptions options = Options();
  options.sleep = [&](absl::Duration d) {
    slept_ += d;
    clock_.Advance(d);
    if (slept_ >= absl::Seconds(1)) cancelled = true;
  };
  pause_.PauseUntil(clock_.Now() + absl::Seconds(30));
  LlmChecker checker(std::move(options));
  CheckRequest request = Request(1);
  request.cancelled = &cancelled;

  EXPECT_FALSE(checker.Check(request)[0].ok());
  EXPECT_EQ(primary_.calls(), 0);
  EXPECT_LT(slept_, absl::Seconds(2));
}

TEST_F(LlmCheckerTest, PassedDeadlineFailsWithoutACall) {
  LlmChecker checker(Options());
  CheckRequest request = Request(2);
  request.deadline = clock_.Now() - absl::Seconds(1);
  const auto results = checker.Check(request);
  EXPECT_EQ(primary_.calls(), 0);
  ExpectAllFail(results, reason::kJobDeadlineExceeded);
  EXPECT_EQ(results[0].status().code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(LlmCheckerTest, DeadlineCapsTheAttemptAndEndsTheRetries) {
  // 1.2 s left: attempt 1 fails, the 0.5 s backoff fits, attempt 2 fails, the 1 s backoff
  // would end after the deadline.
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options(/*with_fallback=*/true));
  CheckRequest request = Request(1);
  request.deadline = clock_.Now() + absl::Milliseconds(1200);

  const auto results = checker.Check(request);

  const std::vector<LlmRequest> sent = primary_.requests();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[0].timeout, absl::Milliseconds(1200));
  EXPECT_EQ(sent[1].timeout, absl::Milliseconds(700));
  EXPECT_EQ(fallback_.calls(), 0);
  ExpectAllFail(results, reason::kJobDeadlineExceeded);
}

TEST_F(LlmCheckerTest, TimeoutAtTheDeadlineIsTheDeadlines) {
  CheckRequest request = Request(1);
  request.deadline = clock_.Now() + absl::Seconds(2);
  primary_.OnCall([this] { clock_.Advance(absl::Seconds(2)); });
  primary_.Push(Failed(AttemptOutcome::Timeout()));
  LlmChecker checker(Options());
  ExpectAllFail(checker.Check(request), reason::kJobDeadlineExceeded);
  EXPECT_EQ(primary_.calls(), 1);
}

TEST_F(LlmCheckerTest, RateLimiterSpacesRequests) {
  RateLimiter limiter(RateLimitOptions{/*requests_per_minute=*/1, /*tokens_per_minute=*/0});
  LlmCheckerOptions options = Options();
  options.primary.rate_limiter = &limiter;
  LlmChecker checker(std::move(options));

  ASSERT_TRUE(checker.Check(Request(1))[0].ok());
  EXPECT_EQ(slept_, absl::ZeroDuration());
  ASSERT_TRUE(checker.Check(Request(1))[0].ok());
  EXPECT_EQ(slept_, absl::Seconds(60));
}

TEST_F(LlmCheckerTest, ConcurrentChecksShareTheClient) {
  LlmCheckerOptions options = Options();
  options.sleep = [](absl::Duration) {};
  LlmChecker checker(std::move(options));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        for (const auto& result : checker.Check(Request(3))) ok += result.ok() ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 4 * 20 * 3);
  EXPECT_EQ(primary_.calls(), 80);
}

// ---- in-text citations (MatchInline) ------------------------------------------------------

InlineCheckRequest InlineRequest(int count) {
  InlineCheckRequest request;
  request.style = v1::STYLE_APA7;
  request.references = {"Lee, K. (2019). Reading. Routledge.",
                        "Smith, J. (2020). Writing. Routledge."};
  for (int i = 0; i < count; ++i) {
    request.citations.push_back({i * 2, absl::StrCat("(Smith, ", 2000 + i, ")")});
  }
  return request;
}

// The JSON answer for the ids `ids`, each matched to reference `reference` (1-based).
std::string InlineAnswer(const std::vector<std::string>& ids, int reference = 2) {
  std::vector<std::string> entries;
  for (const std::string& id : ids) {
    entries.push_back(absl::StrCat("{\"id\": \"", id, "\", \"match\": \"matched\", ",
                                   "\"references\": [", reference, "]}"));
  }
  return absl::StrCat("```json\n{\"results\": [", absl::StrJoin(entries, ", "), "]}\n```");
}

TEST_F(LlmCheckerTest, InlineHappyPathSendsTheWholeListAndReadsTheJson) {
  primary_.Push(Ok(
      R"json({"results": [{"id": "c1", "match": "mismatch", "references": [2],
                   "problem": "the year is 2020", "correction": "(Smith, 2020)"},
                  {"id": "c3", "match": "not_found", "references": []}]})json"));
  LlmChecker checker(Options());
  const InlineCheckRequest request = InlineRequest(2);

  const auto results = checker.MatchInline(request);

  ASSERT_THAT(results, SizeIs(2));
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->index(), 0);
  EXPECT_EQ(results[0]->text(), "(Smith, 2000)");
  EXPECT_EQ(results[0]->offset(), 0);
  EXPECT_EQ(results[0]->match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(results[0]->reference_indices(), ElementsAre(1));
  EXPECT_EQ(results[0]->correction(), "(Smith, 2020)");
  ASSERT_TRUE(results[1].ok());
  EXPECT_EQ(results[1]->index(), 2);
  EXPECT_EQ(results[1]->match(), v1::MATCH_STATUS_NOT_FOUND);

  const std::vector<LlmRequest> sent = primary_.requests();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].model, "model-a");
  EXPECT_EQ(sent[0].system_prompt, std::string(InlineSystemPrompt(v1::STYLE_APA7)));
  EXPECT_EQ(sent[0].user_message, InlineUserMessage(request.references, request.citations));
  EXPECT_EQ(slept_, absl::ZeroDuration());
  EXPECT_EQ(budget_.Tokens(), 100);
}

TEST_F(LlmCheckerTest, InlineIdMissingFromAnAnswerIsAskedAgainAlone) {
  primary_.Push(Ok(InlineAnswer({"c1", "c5"})));
  primary_.Push(Ok(InlineAnswer({"c3"}, /*reference=*/1)));
  LlmChecker checker(Options());
  const InlineCheckRequest request = InlineRequest(3);

  const auto results = checker.MatchInline(request);

  const std::vector<LlmRequest> sent = primary_.requests();
  ASSERT_THAT(sent, SizeIs(2));
  EXPECT_EQ(sent[1].user_message, InlineUserMessage(request.references, {request.citations[1]}));
  ASSERT_THAT(results, SizeIs(3));
  for (const auto& result : results) ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(results[0]->reference_indices(), ElementsAre(1));
  EXPECT_THAT(results[1]->reference_indices(), ElementsAre(0));
  EXPECT_EQ(results[1]->index(), 2);
  EXPECT_EQ(slept_, absl::ZeroDuration());  // the endpoint answered: no backoff
}

TEST_F(LlmCheckerTest, InlineMalformedAnswerIsRetriedWithBackoff) {
  primary_.Push(Ok("{\"results\": [{\"id\": \"c1\", \"match\":"));
  LlmChecker checker(Options());

  const auto results = checker.MatchInline(InlineRequest(1));

  EXPECT_EQ(primary_.calls(), 2);
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(slept_, absl::Milliseconds(500));
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 99.1);  // counted like a 5xx, then a success
}

TEST_F(LlmCheckerTest, InlineReferenceOutOfRangeIsABadAnswerUntilAttemptsRunOut) {
  primary_.PushTimes(3, Ok(InlineAnswer({"c1"}, /*reference=*/3)));
  LlmChecker checker(Options());

  const auto results = checker.MatchInline(InlineRequest(1));

  EXPECT_EQ(primary_.calls(), 3);
  ASSERT_FALSE(results[0].ok());
  EXPECT_EQ(ErrorReason(results[0].status()), reason::kLlmBadAnswer);
  EXPECT_EQ(slept_, absl::Milliseconds(1500));
}

TEST_F(LlmCheckerTest, InlineRateLimitWithRetryAfterPausesTheEndpoint) {
  const absl::Time start = clock_.Now();
  primary_.Push(Failed(AttemptOutcome::Http(429, {{"retry-after", "2"}})));
  LlmChecker checker(Options());

  const auto results = checker.MatchInline(InlineRequest(2));

  EXPECT_EQ(primary_.calls(), 2);
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_GE(slept_, absl::Seconds(2));
  EXPECT_EQ(pause_.ReadyAt(), start + absl::Seconds(2));
}

TEST_F(LlmCheckerTest, InlineGoesToTheFallbackWhenThePrimaryIsExhausted) {
  primary_.PushTimes(3, Failed(AttemptOutcome::Http(503)));
  LlmChecker checker(Options(/*with_fallback=*/true));

  const auto results = checker.MatchInline(InlineRequest(2));

  EXPECT_EQ(primary_.calls(), 3);
  const std::vector<LlmRequest> sent = fallback_.requests();
  ASSERT_THAT(sent, SizeIs(1));
  EXPECT_EQ(sent[0].model, "model-b");
  EXPECT_EQ(sent[0].system_prompt, std::string(InlineSystemPrompt(v1::STYLE_APA7)));
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
}

TEST_F(LlmCheckerTest, InlineFailuresCarryTheReferenceChecksReasons) {
  primary_.Push(Failed(AttemptOutcome::Http(400)));
  LlmChecker checker(Options());
  const auto rejected = checker.MatchInline(InlineRequest(1));
  ASSERT_FALSE(rejected[0].ok());
  EXPECT_EQ(ErrorReason(rejected[0].status()), reason::kLlmRejected);

  InlineCheckRequest late = InlineRequest(1);
  late.deadline = clock_.Now();
  const auto deadline = checker.MatchInline(late);
  ASSERT_FALSE(deadline[0].ok());
  EXPECT_EQ(ErrorReason(deadline[0].status()), reason::kJobDeadlineExceeded);
  EXPECT_EQ(primary_.calls(), 1);
}

TEST_F(LlmCheckerTest, InlineAndReferenceChecksShareTheRetryBudget) {
  primary_.PushTimes(2, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options());
  EXPECT_TRUE(checker.MatchInline(InlineRequest(1))[0].ok());
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 98.1);
  primary_.Push(Failed(AttemptOutcome::Http(500)));
  EXPECT_TRUE(checker.Check(Request(1))[0].ok());
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 97.2);
}

// ---- Asynchronous checks: clients with an event loop, real waits on the checker's timer ------

class AsyncLlmCheckerTest : public ::testing::Test {
 protected:
  // Real clock and sleeps; small backoffs so that a retry waits tens of milliseconds.
  LlmCheckerOptions Options(bool with_fallback = false) {
    LlmCheckerOptions options;
    options.primary = TestEndpoint(&primary_, "model-a", &budget_, &pause_, "primary");
    if (with_fallback) {
      options.fallback = TestEndpoint(&fallback_, "model-b", nullptr, nullptr, "fallback");
    }
    options.retry.max_attempts = 3;
    options.retry.initial_backoff = absl::Milliseconds(40);
    options.sleep_step = absl::Milliseconds(10);
    return options;
  }

  static CheckRequest Request(int count) {
    CheckRequest request;
    for (int i = 1; i <= count; ++i) request.citations.push_back(absl::StrCat("Work ", i, "."));
    return request;
  }

  // The results of a StartCheck, and where its callback ran. Shared with the callback, whose
  // thread may still be inside Notify() when the test has seen it.
  struct Outcome {
    absl::Notification done;
    std::vector<absl::StatusOr<v1::CitationResult>> results;
    std::thread::id thread;
  };
  static CheckDone Into(std::shared_ptr<Outcome> outcome) {
    return [outcome](std::vector<absl::StatusOr<v1::CitationResult>> results) {
      outcome->results = std::move(results);
      outcome->thread = std::this_thread::get_id();
      outcome->done.Notify();
    };
  }

  FakeLlmClient primary_{/*event_loop=*/true};
  FakeLlmClient fallback_{/*event_loop=*/true};
  FakeLlmClient blocking_;  // no event loop
  RetryBudget budget_{100, 0.1};
  EndpointPause pause_;
};

TEST_F(AsyncLlmCheckerTest, AsynchronousOnlyWhenEveryClientHasAnEventLoopAndNoSleepIsGiven) {
  EXPECT_TRUE(LlmChecker(Options()).Asynchronous());
  EXPECT_TRUE(LlmChecker(Options(/*with_fallback=*/true)).Asynchronous());
  LlmCheckerOptions blocking_primary = Options();
  blocking_primary.primary.client = &blocking_;
  EXPECT_FALSE(LlmChecker(blocking_primary).Asynchronous());
  LlmCheckerOptions blocking_fallback = Options(/*with_fallback=*/true);
  blocking_fallback.fallback->client = &blocking_;
  EXPECT_FALSE(LlmChecker(blocking_fallback).Asynchronous());
  LlmCheckerOptions with_sleep = Options();
  with_sleep.sleep = [](absl::Duration) {};
  EXPECT_FALSE(LlmChecker(with_sleep).Asynchronous());
}

TEST_F(AsyncLlmCheckerTest, StartCheckReturnsBeforeTheAnswerAndManyRunWithoutAThreadEach) {
  LlmChecker checker(Options());
  primary_.Hold();
  constexpr int kChecks = 40;
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < kChecks; ++i) {
    outcomes.push_back(std::make_shared<Outcome>());
    checker.StartCheck(Request(2), Into(outcomes.back()));
  }
  // Every check is waiting on its (held) attempt, and none has answered.
  EXPECT_TRUE(Eventually([&] { return primary_.running() == kChecks; }));
  for (const auto& outcome : outcomes) EXPECT_FALSE(outcome->done.HasBeenNotified());
  primary_.Release();
  for (const auto& outcome : outcomes) {
    outcome->done.WaitForNotification();
    ASSERT_THAT(outcome->results, SizeIs(2));
    EXPECT_TRUE(outcome->results[0].ok());
    EXPECT_TRUE(outcome->results[1].ok());
    EXPECT_NE(outcome->thread, std::this_thread::get_id());
  }
  EXPECT_EQ(primary_.calls(), kChecks);
}

TEST_F(AsyncLlmCheckerTest, ARetryWaitsItsBackoffOnTheTimerThenSucceeds) {
  primary_.Push(Failed(AttemptOutcome::Http(503)));
  LlmChecker checker(Options());
  auto outcome = std::make_shared<Outcome>();
  const absl::Time started = absl::Now();
  checker.StartCheck(Request(1), Into(outcome));
  outcome->done.WaitForNotification();
  const absl::Duration took = absl::Now() - started;
  ASSERT_THAT(outcome->results, SizeIs(1));
  EXPECT_TRUE(outcome->results[0].ok()) << outcome->results[0].status();
  EXPECT_EQ(primary_.calls(), 2);
  // Backoff before the first retry: 40 ms * [0.75, 1] (retry_policy.h), at least 30 ms.
  EXPECT_GE(took, absl::Milliseconds(30));
  EXPECT_DOUBLE_EQ(budget_.Tokens(), 99.1);
}

TEST_F(AsyncLlmCheckerTest, ACancelEndsAWaitOnTheTimer) {
  std::atomic<bool> cancelled{false};
  pause_.PauseUntil(absl::Now() + absl::Hours(1));
  LlmChecker checker(Options());
  CheckRequest request = Request(2);
  request.cancelled = &cancelled;
  auto outcome = std::make_shared<Outcome>();
  checker.StartCheck(std::move(request), Into(outcome));
  EXPECT_FALSE(outcome->done.HasBeenNotified());  // waiting for the pause to end
  cancelled = true;
  outcome->done.WaitForNotification();
  ASSERT_THAT(outcome->results, SizeIs(2));
  for (const auto& result : outcome->results) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled);
  }
  EXPECT_EQ(primary_.calls(), 0);
}

TEST_F(AsyncLlmCheckerTest, FallbackAndMissingCitationsGoOnAcrossCallbacks) {
  // The primary answers citation 1 only, then fails the re-ask of 2 until attempts run out;
  // the fallback answers 2.
  primary_.Push(Ok(Answer({1})));
  primary_.PushTimes(2, Failed(AttemptOutcome::Http(500)));
  LlmChecker checker(Options(/*with_fallback=*/true));
  auto outcome = std::make_shared<Outcome>();
  checker.StartCheck(Request(2), Into(outcome));
  outcome->done.WaitForNotification();
  ASSERT_THAT(outcome->results, SizeIs(2));
  EXPECT_TRUE(outcome->results[0].ok());
  EXPECT_TRUE(outcome->results[1].ok()) << outcome->results[1].status();
  EXPECT_EQ(primary_.calls(), 3);
  ASSERT_EQ(fallback_.calls(), 1);
  EXPECT_EQ(fallback_.requests()[0].model, "model-b");
}

TEST_F(AsyncLlmCheckerTest, MatchInlineRunsAsynchronouslyToo) {
  LlmChecker checker(Options());
  primary_.Hold();
  InlineCheckRequest request;
  request.references = {"Smith, J. (2020). A title. Publisher."};
  request.citations = {{0, "(Smith, 2020)"}};
  auto done = std::make_shared<absl::Notification>();  // shared with the notifying thread
  std::vector<absl::StatusOr<v1::InlineCitation>> verdicts;
  checker.StartMatchInline(request,
                           [&verdicts, done](std::vector<absl::StatusOr<v1::InlineCitation>> out) {
                             verdicts = std::move(out);
                             done->Notify();
                           });
  EXPECT_TRUE(Eventually([&] { return primary_.running() == 1; }));
  EXPECT_FALSE(done->HasBeenNotified());
  primary_.Release();
  done->WaitForNotification();
  ASSERT_THAT(verdicts, SizeIs(1));
  ASSERT_TRUE(verdicts[0].ok()) << verdicts[0].status();
  EXPECT_EQ(verdicts[0]->text(), "(Smith, 2020)");
}

}  // namespace
}  // namespace citecheck

#include "tests/fakes/fake_checker.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;

InlineCheckRequest Inline() {
  InlineCheckRequest request;
  request.references = {"Smith, J. (2020). Writing. Routledge."};
  request.citations = {{0, "(Smith, 2020)"}, {1, "(Lee, 2019)"}, {2, "(Smith, 2021)"}};
  return request;
}

TEST(FakeCheckerTest, InTextCitationsGetHeuristicVerdicts) {
  FakeChecker checker;
  const auto verdicts = checker.MatchInline(Inline());
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_EQ(verdicts[0]->match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(verdicts[1]->match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_EQ(verdicts[2]->match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(verdicts[2]->index(), 2);
  EXPECT_EQ(checker.inline_calls(), 1);
  EXPECT_EQ(checker.calls(), 1);
  EXPECT_THAT(checker.seen_inline(), ElementsAre("(Smith, 2020)", "(Lee, 2019)", "(Smith, 2021)"));
  EXPECT_TRUE(checker.seen().empty());
}

TEST(FakeCheckerTest, FailsInTextCitationsOnDemand) {
  FakeChecker checker;
  checker.FailInlineContaining("Lee", "LLM_UNAVAILABLE");
  checker.FailCitationsContaining("Smith", "LLM_BAD_ANSWER");  // reference checks only
  const auto verdicts = checker.MatchInline(Inline());
  EXPECT_TRUE(verdicts[0].ok());
  ASSERT_FALSE(verdicts[1].ok());
  EXPECT_EQ(ErrorReason(verdicts[1].status()), "LLM_UNAVAILABLE");
  EXPECT_TRUE(verdicts[2].ok());
}

TEST(FakeCheckerTest, HoldsInTextCallsUntilReleased) {
  FakeChecker checker;
  checker.Hold();
  std::thread call([&] { checker.MatchInline(Inline()); });
  ASSERT_TRUE(checker.AwaitRunning(1, absl::Seconds(30)));
  EXPECT_EQ(checker.running(), 1);
  checker.Release();
  call.join();
  EXPECT_EQ(checker.running(), 0);
  EXPECT_EQ(checker.max_concurrent(), 1);
}

}  // namespace
}  // namespace citecheck

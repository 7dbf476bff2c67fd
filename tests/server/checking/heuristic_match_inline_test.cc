// HeuristicChecker::MatchInline: the InlineMatcher behind the Checker interface.

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/heuristic_checker.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::SizeIs;

InlineCheckRequest Request(std::vector<std::string> references,
                           std::vector<InlineQuery> citations) {
  InlineCheckRequest request;
  request.style = v1::STYLE_APA7;
  request.references = std::move(references);
  request.citations = std::move(citations);
  return request;
}

const std::vector<std::string> kListA = {"Lee, K. (2019). Reading. Routledge.",
                                         "Smith, J. (2020). Writing. Routledge."};
const std::vector<std::string> kListB = {"Smith, J. (2018). Speaking. Routledge."};

TEST(HeuristicMatchInlineTest, GivesTheMatchersVerdictWithIndexAndText) {
  HeuristicChecker checker;
  const auto verdicts =
      checker.MatchInline(Request(kListA, {{4, "(Smith, 2020)"}, {7, "Lee (2018)"}}));
  ASSERT_THAT(verdicts, SizeIs(2));
  ASSERT_TRUE(verdicts[0].ok());
  EXPECT_EQ(verdicts[0]->index(), 4);
  EXPECT_EQ(verdicts[0]->text(), "(Smith, 2020)");
  EXPECT_EQ(verdicts[0]->offset(), 0);
  EXPECT_EQ(verdicts[0]->match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_THAT(verdicts[0]->reference_indices(), ElementsAre(1));
  ASSERT_TRUE(verdicts[1].ok());
  EXPECT_EQ(verdicts[1]->index(), 7);
  EXPECT_EQ(verdicts[1]->match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(verdicts[1]->correction(), "Lee (2019)");
}

TEST(HeuristicMatchInlineTest, KeepsEachReferenceListApart) {
  HeuristicChecker checker;
  // More lists than are kept, interleaved: every call must see its own list.
  for (int round = 0; round < 3; ++round) {
    for (int year = 2000; year < 2012; ++year) {
      const std::string reference = "Smith, J. (" + std::to_string(year) + "). Writing. Routledge.";
      const auto verdict =
          checker.MatchInline(Request({reference}, {{0, "(Smith, " + std::to_string(year) + ")"}}));
      ASSERT_TRUE(verdict[0].ok());
      EXPECT_EQ(verdict[0]->match(), v1::MATCH_STATUS_MATCHED) << year;
    }
    EXPECT_EQ(checker.MatchInline(Request(kListB, {{0, "(Smith, 2020)"}}))[0]->match(),
              v1::MATCH_STATUS_MISMATCH);
    EXPECT_EQ(checker.MatchInline(Request(kListA, {{0, "(Smith, 2020)"}}))[0]->match(),
              v1::MATCH_STATUS_MATCHED);
  }
}

TEST(HeuristicMatchInlineTest, StylesChangeTheVerdict) {
  HeuristicChecker checker;
  InlineCheckRequest request =
      Request({"Smith, J., Lee, K., & Brown, R. (2020). Writing. Routledge."}, {{0,
                                                                                 "(Smith, Lee, and "
                                                                                 "Brown 2020)"}});
  EXPECT_EQ(checker.MatchInline(request)[0]->match(), v1::MATCH_STATUS_MISMATCH);
  request.style = v1::STYLE_CHICAGO17;
  EXPECT_EQ(checker.MatchInline(request)[0]->match(), v1::MATCH_STATUS_MATCHED);
}

TEST(HeuristicMatchInlineTest, IsSafeFromManyThreads) {
  HeuristicChecker checker;
  std::atomic<int> matched{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const bool a = (i + t) % 2 == 0;
        const auto verdict = checker.MatchInline(
            Request(a ? kListA : kListB, {{0, a ? "(Lee, 2019)" : "(Smith, 2018)"}}));
        if (verdict[0].ok() && verdict[0]->match() == v1::MATCH_STATUS_MATCHED) ++matched;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(matched.load(), 200);
}

}  // namespace
}  // namespace citecheck

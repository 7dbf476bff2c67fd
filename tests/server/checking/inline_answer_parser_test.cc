#include "server/checking/inline_answer_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kIds = {"c1", "c2", "c4"};

TEST(ParseInlineAnswerTest, ReadsEveryVerdict) {
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      R"json({"results": [
        {"id": "c1", "match": "matched", "references": [2], "problem": "", "correction": ""},
        {"id": "c2", "match": "mismatch", "references": [1], "problem": "the year is 2019",
         "correction": "(Lee, 2019)"},
        {"id": "c4", "match": "ambiguous", "references": [2, 3], "problem": "suffix missing"}]})json",
      kIds, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_THAT(parsed.missing, IsEmpty());
  ASSERT_EQ(parsed.results.size(), 3u);
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_THAT(parsed.results[0].reference_indices(), ElementsAre(1));
  EXPECT_EQ(parsed.results[1].match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(parsed.results[1].reference_indices(), ElementsAre(0));
  EXPECT_EQ(parsed.results[1].problem(), "the year is 2019");
  EXPECT_EQ(parsed.results[1].correction(), "(Lee, 2019)");
  EXPECT_EQ(parsed.results[2].match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_THAT(parsed.results[2].reference_indices(), ElementsAre(1, 2));
  EXPECT_TRUE(parsed.results[2].correction().empty());
}

TEST(ParseInlineAnswerTest, ToleratesCodeFencesAndProseAround) {
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      "Here is the result {as asked}:\n```json\n{\"results\": [{\"id\": \"c1\", \"match\": "
      "\"not_found\", \"references\": []}]}\n```\nHope this helps {!}",
      kIds, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_THAT(parsed.missing, ElementsAre(1, 2));
}

TEST(ParseInlineAnswerTest, ToleratesLooseIdsMatchesAndNumbers) {
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      R"json([{"id": " C1 ", "match": "Matched", "references": "2"},
          {"id": 2, "match": "NOT FOUND", "references": [3]},
          {"id": "c4", "match": "Mismatched", "references": 1, "correction": null}])json",
      kIds, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_THAT(parsed.results[0].reference_indices(), ElementsAre(1));
  EXPECT_EQ(parsed.results[1].match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_THAT(parsed.results[1].reference_indices(), IsEmpty());
  EXPECT_EQ(parsed.results[2].match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(parsed.results[2].correction(), "");
}

TEST(ParseInlineAnswerTest, AReferenceNumberOutOfRangeMakesTheAnswerBad) {
  for (const char* answer :
       {R"json({"results": [{"id": "c1", "match": "matched", "references": [4]}]})json",
        R"json({"results": [{"id": "c1", "match": "matched", "references": [1]},
                        {"id": "c2", "match": "ambiguous", "references": [1, 0]}]})json"}) {
    ParsedInlineAnswer parsed = ParseInlineAnswer(answer, kIds, 3);
    EXPECT_FALSE(parsed.usable) << answer;
    EXPECT_THAT(parsed.results, IsEmpty());
    EXPECT_THAT(parsed.missing, ElementsAre(0, 1, 2));
    EXPECT_THAT(parsed.defect, ::testing::HasSubstr("outside 1..3"));
  }
}

TEST(ParseInlineAnswerTest, InvalidEntriesAndUnaskedIdsCountAsMissing) {
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      R"json({"results": [
        {"id": "c1", "match": "matched", "references": []},
        {"id": "c1", "match": "matched", "references": [1, 2]},
        {"id": "c2", "match": "maybe", "references": [1]},
        {"id": "c3", "match": "matched", "references": [1]},
        {"id": "c4", "match": "matched", "references": [3]},
        {"id": "c4", "match": "not_found"}]})json",
      kIds, 3);
  ASSERT_TRUE(parsed.usable);
  EXPECT_THAT(parsed.missing, ElementsAre(0, 1));
  ASSERT_EQ(parsed.results.count(2), 1u);
  EXPECT_EQ(parsed.results[2].match(), v1::MATCH_STATUS_MATCHED);  // the first valid one wins
}

TEST(ParseInlineAnswerTest, AnAnswerWithoutAValidEntryIsBad) {
  for (const char* answer :
       {"I cannot help with that.", "{\"results\": []}", "{\"verdicts\": []}",
        "{\"results\": [{\"id\": \"c9\", \"match\": \"matched\", \"references\": [1]}]}",
        "{\"results\": [{\"id\": \"c1\", \"match\": \"matched\""}) {
    ParsedInlineAnswer parsed = ParseInlineAnswer(answer, kIds, 3);
    EXPECT_FALSE(parsed.usable) << answer;
    EXPECT_THAT(parsed.missing, ElementsAre(0, 1, 2));
    EXPECT_FALSE(parsed.defect.empty());
  }
}

TEST(ParseInlineAnswerTest, MatchedVerdictsCarryNoProblem) {
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      R"json({"results": [{"id": "c1", "match": "matched", "references": [1], "problem": "x",
                       "correction": "y"},
                      {"id": "c2", "match": "not_found", "problem": "no Lee",
                       "correction": "z"}]})json",
      kIds, 1);
  ASSERT_TRUE(parsed.usable);
  EXPECT_TRUE(parsed.results[0].problem().empty());
  EXPECT_TRUE(parsed.results[0].correction().empty());
  EXPECT_EQ(parsed.results[1].problem(), "no Lee");
  EXPECT_TRUE(parsed.results[1].correction().empty());
}

// Found while writing the fuzz target (inline_answer_fuzzer): a reference number written as a
// double past int64 (1e300) was cast to int64, which is undefined behaviour. It is out of range
// like any other.
TEST(ParseInlineAnswerTest, ReferenceNumberPastInt64IsOutOfRange) {
  for (const char* number : {"1e300", "-1e300", "9223372036854775808.0"}) {
    ParsedInlineAnswer parsed = ParseInlineAnswer(
        absl::StrCat(R"({"results": [{"id": "c1", "match": "matched", "references": [)", number,
                     "]}]}"),
        kIds, 3);
    EXPECT_FALSE(parsed.usable) << number;
    EXPECT_THAT(parsed.defect, HasSubstr("is outside 1..3")) << number;
  }
  // A whole number written as a double is still read.
  ParsedInlineAnswer parsed = ParseInlineAnswer(
      R"({"results": [{"id": "c1", "match": "matched", "references": [2.0]}]})", kIds, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_THAT(parsed.results[0].reference_indices(), ElementsAre(1));
}

// Found while writing the fuzz target (inline_answer_fuzzer): RapidJSON's parser recursed once
// per nested array, so an answer of millions of '[' overflowed the worker's stack. Such an
// answer is now bad without being parsed; 64 levels are still read.
TEST(ParseInlineAnswerTest, JsonNestedMillionsDeepIsBadNotAStackOverflow) {
  const std::string deep = absl::StrCat(R"({"results": )", std::string(4 << 20, '['));
  ParsedInlineAnswer parsed = ParseInlineAnswer(deep, kIds, 3);
  EXPECT_FALSE(parsed.usable);

  const std::string nested_64 =
      absl::StrCat(R"({"results": [{"id": "c1", "match": "not_found"}], "extra": )",
                   std::string(62, '['), std::string(62, ']'), "}");
  parsed = ParseInlineAnswer(nested_64, kIds, 3);
  ASSERT_TRUE(parsed.usable) << parsed.defect;
  EXPECT_EQ(parsed.results[0].match(), v1::MATCH_STATUS_NOT_FOUND);
}

}  // namespace
}  // namespace citecheck

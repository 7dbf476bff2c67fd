// The three sample papers of tests/data/documents (one per style, with mistakes of each kind)
// through the splitter, the extractor and the heuristic matcher, against the expected verdict
// of every in-text citation (<paper>.expected.tsv). HeuristicChecker::MatchInline, in chunks of
// ten as the job layer sends them, must give the same verdicts.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/document_splitter.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/inline_extractor.h"
#include "server/checking/inline_matcher.h"

#ifndef CITECHECK_TEST_DATA_DIR
#error "CITECHECK_TEST_DATA_DIR must name tests/data"
#endif

namespace citecheck {
namespace {

struct ExpectedVerdict {
  std::string text;
  v1::MatchStatus match = v1::MATCH_STATUS_UNSPECIFIED;
  std::vector<int> references;
};

struct Expectations {
  std::vector<ExpectedVerdict> verdicts;
  std::vector<int> uncited;
};

std::string ReadFile(const std::string& name) {
  std::ifstream file(std::string(CITECHECK_TEST_DATA_DIR) + "/documents/" + name);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

std::vector<int> ReadIndices(absl::string_view field) {
  std::vector<int> indices;
  for (absl::string_view item : absl::StrSplit(field, ',', absl::SkipEmpty())) {
    int index = 0;
    EXPECT_TRUE(absl::SimpleAtoi(item, &index)) << item;
    indices.push_back(index);
  }
  return indices;
}

Expectations ReadExpectations(const std::string& name) {
  Expectations expectations;
  for (absl::string_view line : absl::StrSplit(ReadFile(name), '\n', absl::SkipEmpty())) {
    if (line[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
    if (fields[0] == "uncited") {
      expectations.uncited = ReadIndices(fields[1]);
      continue;
    }
    EXPECT_GE(fields.size(), 4u) << line;
    ExpectedVerdict verdict;
    verdict.text = absl::StrReplaceAll(fields[1], {{"\\n", "\n"}});
    EXPECT_TRUE(v1::MatchStatus_Parse(absl::StrCat("MATCH_STATUS_", fields[2]), &verdict.match))
        << fields[2];
    verdict.references = ReadIndices(fields[3]);
    expectations.verdicts.push_back(std::move(verdict));
  }
  return expectations;
}

struct Paper {
  std::string file;
  v1::Style style;
  bool html;
  size_t references;
};

class SamplePaperTest : public ::testing::TestWithParam<Paper> {};

TEST_P(SamplePaperTest, EveryInTextCitationGetsItsExpectedVerdict) {
  const Paper& paper = GetParam();
  const std::string content = ReadFile(paper.file);
  ASSERT_FALSE(content.empty()) << paper.file;
  absl::StatusOr<DocumentParts> parts =
      paper.html ? SplitDocumentHtml(content) : SplitDocumentText(content);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->references.size(), paper.references);

  const std::string stem = paper.file.substr(0, paper.file.rfind('.'));
  const Expectations expected = ReadExpectations(stem + ".expected.tsv");
  const std::vector<ExtractedCitation> citations = ExtractInlineCitations(parts->body, paper.style);
  ASSERT_EQ(citations.size(), expected.verdicts.size());
  EXPECT_GE(citations.size(), 10u);
  EXPECT_LE(citations.size(), 25u);

  const InlineMatcher matcher(paper.style, parts->references);
  std::vector<v1::InlineCitation> verdicts;
  for (size_t i = 0; i < citations.size(); ++i) {
    SCOPED_TRACE(citations[i].text);
    EXPECT_EQ(citations[i].text, expected.verdicts[i].text);
    EXPECT_EQ(parts->body.substr(citations[i].offset, citations[i].text.size()), citations[i].text);
    v1::InlineCitation verdict = matcher.Match(citations[i].text);
    EXPECT_EQ(verdict.match(), expected.verdicts[i].match)
        << v1::MatchStatus_Name(verdict.match()) << ": " << verdict.problem();
    EXPECT_THAT(verdict.reference_indices(),
                ::testing::ElementsAreArray(expected.verdicts[i].references));
    if (verdict.match() == v1::MATCH_STATUS_MISMATCH) {
      EXPECT_FALSE(verdict.problem().empty());
      EXPECT_FALSE(verdict.correction().empty());
      // The correction is itself a citation that matches.
      EXPECT_EQ(matcher.Match(verdict.correction()).match(), v1::MATCH_STATUS_MATCHED)
          << verdict.correction();
    }
    verdicts.push_back(std::move(verdict));
  }
  EXPECT_THAT(UncitedReferences(static_cast<int>(parts->references.size()), verdicts),
              ::testing::ElementsAreArray(expected.uncited));

  // The same verdicts through the Checker interface, ten at a time.
  HeuristicChecker checker;
  for (size_t start = 0; start < citations.size(); start += 10) {
    InlineCheckRequest request;
    request.style = paper.style;
    request.references = parts->references;
    for (size_t i = start; i < citations.size() && i < start + 10; ++i) {
      request.citations.push_back({static_cast<int>(i), citations[i].text});
    }
    const auto answers = checker.MatchInline(request);
    ASSERT_EQ(answers.size(), request.citations.size());
    for (size_t k = 0; k < answers.size(); ++k) {
      ASSERT_TRUE(answers[k].ok());
      const v1::InlineCitation& direct = verdicts[start + k];
      EXPECT_EQ(answers[k]->index(), static_cast<int>(start + k));
      EXPECT_EQ(answers[k]->match(), direct.match());
      EXPECT_EQ(answers[k]->problem(), direct.problem());
      EXPECT_EQ(answers[k]->correction(), direct.correction());
    }
  }
}

TEST_P(SamplePaperTest, HasMistakesOfEveryKind) {
  const Paper& paper = GetParam();
  const std::string stem = paper.file.substr(0, paper.file.rfind('.'));
  const Expectations expected = ReadExpectations(stem + ".expected.tsv");
  int count[5] = {0, 0, 0, 0, 0};
  for (const ExpectedVerdict& verdict : expected.verdicts) ++count[verdict.match];
  EXPECT_GE(count[v1::MATCH_STATUS_MATCHED], 5);
  EXPECT_GE(count[v1::MATCH_STATUS_MISMATCH], 3);
  EXPECT_GE(count[v1::MATCH_STATUS_NOT_FOUND], 1);
  EXPECT_GE(count[v1::MATCH_STATUS_AMBIGUOUS], 1);
  EXPECT_FALSE(expected.uncited.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Papers, SamplePaperTest,
    ::testing::Values(Paper{"apa7_screen_reading.html", v1::STYLE_APA7, true, 12},
                      Paper{"mla9_cather_landscape.txt", v1::STYLE_MLA9, false, 11},
                      Paper{"chicago17_community_gardens.txt", v1::STYLE_CHICAGO17, false, 11}),
    [](const ::testing::TestParamInfo<Paper>& info) {
      return info.param.file.substr(0, info.param.file.find('_'));
    });

}  // namespace
}  // namespace citecheck

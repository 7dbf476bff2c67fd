#include "server/checking/heuristic_checker.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/input_parser.h"

namespace citecheck {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Property;
using ::testing::SizeIs;

constexpr char kValidApa[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";
constexpr char kValidMla[] =
    "Smith, John, and Rachel Doe. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.";
// Chicago 17 author-date: the year follows the authors.
constexpr char kValidChicago[] =
    "Smith, John, and Rachel Doe. 2020. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_ 14, no. 2: 101–15. https://doi.org/10.1016/j.joi.2020.101015.";

v1::CitationResult CheckOne(v1::Style style, const std::string& citation) {
  HeuristicChecker checker;
  CheckRequest request;
  request.style = style;
  request.citations = {citation};
  std::vector<absl::StatusOr<v1::CitationResult>> results = checker.Check(request);
  EXPECT_THAT(results, SizeIs(1));
  EXPECT_TRUE(results[0].ok()) << results[0].status();
  return results[0].ok() ? *results[0] : v1::CitationResult();
}

auto HasComponent(const std::string& component) {
  return Contains(Property(&v1::CitationError::component, component));
}

TEST(HeuristicCheckerTest, NamesItsModel) {
  HeuristicChecker checker;
  EXPECT_EQ(checker.ModelName(), "heuristic");
  EXPECT_TRUE(checker.SupportsModel(""));
  EXPECT_TRUE(checker.SupportsModel("heuristic"));
  EXPECT_FALSE(checker.SupportsModel("gpt-4o"));
  EXPECT_FALSE(checker.SupportsModel("Heuristic"));
}

TEST(HeuristicCheckerTest, MakeHeuristicCheckerReturnsTheHeuristicChecker) {
  std::unique_ptr<Checker> checker = MakeHeuristicChecker();
  ASSERT_NE(checker, nullptr);
  EXPECT_EQ(checker->ModelName(), "heuristic");
}

TEST(HeuristicCheckerTest, AcceptsValidApaCitation) {
  v1::CitationResult result = CheckOne(v1::STYLE_APA7, kValidApa);
  EXPECT_TRUE(result.valid());
  EXPECT_THAT(result.errors(), IsEmpty());
  EXPECT_EQ(result.corrected_citation(), "");
  EXPECT_EQ(result.original(), kValidApa);
  EXPECT_EQ(result.source_type(), "journal article");
  EXPECT_EQ(result.index(), 0);
}

TEST(HeuristicCheckerTest, AcceptsValidMlaCitation) {
  v1::CitationResult result = CheckOne(v1::STYLE_MLA9, kValidMla);
  EXPECT_TRUE(result.valid());
  EXPECT_THAT(result.errors(), IsEmpty());
  EXPECT_EQ(result.corrected_citation(), "");
  EXPECT_EQ(result.source_type(), "journal article");
}

TEST(HeuristicCheckerTest, AcceptsValidChicagoCitation) {
  v1::CitationResult result = CheckOne(v1::STYLE_CHICAGO17, kValidChicago);
  EXPECT_TRUE(result.valid());
  EXPECT_THAT(result.errors(), IsEmpty());
  EXPECT_EQ(result.corrected_citation(), "");
  EXPECT_EQ(result.source_type(), "journal article");
}

TEST(HeuristicCheckerTest, AcceptsValidCitationsConvertedFromHtml) {
  std::vector<std::string> citations = ParseCitationHtml(
      "<p class=\"ref\">Smith, J. A., &amp; Doe, R. (2020). Deep learning for citation analysis. "
      "<i>Journal of Informetrics</i>, <i>14</i>(2), 101&ndash;115. "
      "https://doi.org/10.1016/j.joi.2020.101015</p>\n"
      "<p>Smith, John, and Rachel Doe. 2020. &ldquo;Deep Learning for Citation Analysis.&rdquo; "
      "<em>Journal of Informetrics</em> 14, no. 2: 101&#8211;15. "
      "https://doi.org/10.1016/j.joi.2020.101015.</p>");
  ASSERT_THAT(citations, SizeIs(2));
  EXPECT_EQ(citations[0], kValidApa);
  EXPECT_TRUE(CheckOne(v1::STYLE_APA7, citations[0]).valid());
  v1::CitationResult chicago = CheckOne(v1::STYLE_CHICAGO17, citations[1]);
  EXPECT_TRUE(chicago.valid()) << chicago.DebugString();
}

TEST(HeuristicCheckerTest, CorrectsEveryFixableProblemOfAnApaCitation) {
  v1::CitationResult result =
      CheckOne(v1::STYLE_APA7,
               "Smith, J. A. and Doe, R. 2020. Deep Learning For Citation Analysis. Journal of "
               "Informetrics, 14(2), pp. 101-115. doi:10.1016/j.joi.2020.101015");
  EXPECT_FALSE(result.valid());
  EXPECT_THAT(result.errors(), SizeIs(7));
  for (const char* component : {"Authors", "Year", "Title", "Journal", "Volume", "Pages", "DOI"}) {
    EXPECT_THAT(result.errors(), HasComponent(component));
  }
  EXPECT_EQ(result.corrected_citation(), kValidApa);
  EXPECT_TRUE(CheckOne(v1::STYLE_APA7, result.corrected_citation()).valid());
}

TEST(HeuristicCheckerTest, CorrectsEveryFixableProblemOfAnMlaCitation) {
  v1::CitationResult result = CheckOne(
      v1::STYLE_MLA9,
      "John Smith & Rachel Doe. Deep learning for citation analysis. Journal of Informetrics, "
      "14(2), 2020, 101–15.");
  EXPECT_FALSE(result.valid());
  for (const char* component : {"Authors", "Title", "Container", "Volume", "Pages"}) {
    EXPECT_THAT(result.errors(), HasComponent(component));
  }
  // The title gets the typeset quotation marks (the citation has none of its own).
  EXPECT_EQ(result.corrected_citation(),
            "Smith, John, and Rachel Doe. \xE2\x80\x9C"
            "Deep Learning for Citation Analysis.\xE2\x80\x9D "
            "_Journal of Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.");
  EXPECT_TRUE(CheckOne(v1::STYLE_MLA9, result.corrected_citation()).valid());
}

TEST(HeuristicCheckerTest, CorrectsEveryFixableProblemOfAChicagoCitation) {
  v1::CitationResult result =
      CheckOne(v1::STYLE_CHICAGO17,
               "Smith, John & Rachel Doe. \"Deep learning for citation analysis\". Journal of "
               "Informetrics, vol. 14, no. 2, 2020, pp. 101-15. doi:10.1016/j.joi.2020.101015.");
  EXPECT_FALSE(result.valid());
  for (const char* component : {"Authors", "Title", "Journal", "Volume", "Pages", "DOI"}) {
    EXPECT_THAT(result.errors(), HasComponent(component));
  }
  EXPECT_EQ(result.corrected_citation(), kValidChicago);
  EXPECT_TRUE(CheckOne(v1::STYLE_CHICAGO17, result.corrected_citation()).valid());
}

TEST(HeuristicCheckerTest, UsesMissingPlaceholderInsteadOfInventingData) {
  v1::CitationResult result =
      CheckOne(v1::STYLE_APA7, "Smith, J. Deep learning today. _Journal_, _3_(1), 1–9.");
  EXPECT_FALSE(result.valid());
  EXPECT_THAT(result.errors(), HasComponent("Year"));
  EXPECT_EQ(result.corrected_citation(),
            "Smith, J. ([MISSING: year]). Deep learning today. _Journal_, _3_(1), 1–9.");
}

TEST(HeuristicCheckerTest, FillsSourceType) {
  EXPECT_EQ(CheckOne(v1::STYLE_APA7, kValidApa).source_type(), "journal article");
  EXPECT_EQ(
      CheckOne(v1::STYLE_APA7, "Smith, J. (2020). _The art of citation_. Oxford University Press.")
          .source_type(),
      "book");
  EXPECT_EQ(CheckOne(v1::STYLE_APA7,
                     "Smith, J. (2020, March 5). _How to cite_. Example Site. "
                     "https://example.com/cite")
                .source_type(),
            "webpage");
  EXPECT_EQ(CheckOne(v1::STYLE_MLA9, "Some words without structure").source_type(), "other");
}

TEST(HeuristicCheckerTest, ReturnsOneResultPerCitationInOrder) {
  HeuristicChecker checker;
  CheckRequest request;
  request.style = v1::STYLE_APA7;
  request.citations = {kValidApa, "Smith, J. 2020. Title. _J_, _1_, 1-2.", "x"};
  std::vector<absl::StatusOr<v1::CitationResult>> results = checker.Check(request);
  ASSERT_THAT(results, SizeIs(3));
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok());
    EXPECT_EQ(results[i]->original(), request.citations[i]);
    EXPECT_EQ(results[i]->index(), 0);
  }
  EXPECT_TRUE(results[0]->valid());
  EXPECT_FALSE(results[1]->valid());
}

TEST(HeuristicCheckerTest, TreatsUnspecifiedStyleAsApa) {
  v1::CitationResult unspecified =
      CheckOne(v1::STYLE_UNSPECIFIED, "Smith, J. 2020. Title. _J_, _1_, 1-2.");
  v1::CitationResult apa = CheckOne(v1::STYLE_APA7, "Smith, J. 2020. Title. _J_, _1_, 1-2.");
  EXPECT_EQ(unspecified.SerializeAsString(), apa.SerializeAsString());
}

TEST(HeuristicCheckerTest, IsDeterministicForEveryStyle) {
  const std::string messy =
      "John Smith and Rachel Doe. 2020. Deep Learning for citation analysis. Journal of "
      "Informetrics, 14(2), pp. 101-115. doi:10.1016/j.joi.2020.101015.";
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17}) {
    std::string first = CheckOne(style, messy).SerializeAsString();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(CheckOne(style, messy).SerializeAsString(), first);
  }
}

TEST(HeuristicCheckerTest, GivesTheSameResultsFromConcurrentCalls) {
  HeuristicChecker checker;
  CheckRequest request;
  request.style = v1::STYLE_MLA9;
  request.citations = {kValidMla, "John Smith. Title. Journal, 1(2), 2020, 3-4.", kValidApa};
  std::vector<absl::StatusOr<v1::CitationResult>> expected = checker.Check(request);
  std::vector<std::thread> threads;
  std::vector<char> same(4, false);  // Not vector<bool>: threads write it.
  for (size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&, t] {
      std::vector<absl::StatusOr<v1::CitationResult>> results = checker.Check(request);
      bool all_same = results.size() == expected.size();
      for (size_t i = 0; all_same && i < results.size(); ++i) {
        all_same = results[i]->SerializeAsString() == expected[i]->SerializeAsString();
      }
      same[t] = all_same;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (char result : same) EXPECT_TRUE(result);
}

TEST(HeuristicCheckerTest, NeverFailsOnOddInput) {
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17}) {
    for (const char* text :
         {"", ".", "\"", "_", "(2020).", "Smith, J. (2020", "a. b. c.", "doi:", "https://",
          "Smith, J., & . (2020). . _J_, _1_(", "&, and, & and", "... … . . .",
          "Smith, John, et al. et al.", "\"\" \"\" __ __", "(n.d.). (n.d.).",
          "Smith, J. (2020). Title. _J_, 2020, 2021, 1-2-3, pp. p. vol. no."}) {
      v1::CitationResult result = CheckOne(style, text);
      EXPECT_FALSE(result.source_type().empty()) << text;
      EXPECT_EQ(result.valid(), result.errors().empty()) << text;
    }
  }
}

}  // namespace
}  // namespace citecheck

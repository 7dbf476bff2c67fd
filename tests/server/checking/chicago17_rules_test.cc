#include "server/checking/rules/chicago17_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/checking/rule_test_util.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kValid[] =
    "Smith, John, and Rachel Doe. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_ 14, no. 2 (2020): 101–15. https://doi.org/10.1016/j.joi.2020.101015.";

std::vector<RuleFinding> Chicago(absl::string_view rule, absl::string_view citation) {
  return FindingsOf(Chicago17Rules(), rule, citation);
}

std::string ChicagoFixed(absl::string_view rule, absl::string_view citation) {
  return FixedBy(Chicago17Rules(), rule, citation);
}

TEST(Chicago17RulesTest, ValidCitationPassesEveryRule) {
  for (const Rule& rule : Chicago17Rules()) {
    EXPECT_THAT(Chicago(rule.name, kValid), IsEmpty()) << rule.name;
  }
}

// chicago17-first-author-inverted

TEST(Chicago17RulesTest, AcceptsInvertedFirstAuthor) {
  EXPECT_THAT(Chicago("chicago17-first-author-inverted", kValid), IsEmpty());
}

TEST(Chicago17RulesTest, FlagsFirstAuthorNotInverted) {
  constexpr char kCitation[] =
      "John A. Smith and Rachel Doe. \"Title.\" _Journal_ 14, no. 2 (2020): 1–9.";
  std::vector<RuleFinding> findings = Chicago("chicago17-first-author-inverted", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Authors");
  EXPECT_THAT(findings[0].problem, HasSubstr("Last, First"));
  EXPECT_EQ(findings[0].correction, "Smith, John A.");
  EXPECT_EQ(ChicagoFixed("chicago17-first-author-inverted", kCitation),
            "Smith, John A. and Rachel Doe. \"Title.\" _Journal_ 14, no. 2 (2020): 1–9.");
}

// chicago17-author-connector

TEST(Chicago17RulesTest, AcceptsAndBeforeLastOfSeveralAuthors) {
  EXPECT_THAT(Chicago("chicago17-author-connector",
                      "Smith, John, Rachel Doe, and Mark Lee. \"Title.\" _J_ 1 (2020): 1–9."),
              IsEmpty());
}

TEST(Chicago17RulesTest, FlagsAmpersandAndMissingComma) {
  constexpr char kCitation[] = "Smith, John & Rachel Doe. \"Title.\" _J_ 1 (2020): 1–9.";
  std::vector<RuleFinding> findings = Chicago("chicago17-author-connector", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Authors");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"and\", not \"&\""));
  EXPECT_EQ(findings[0].correction, "Smith, John, and Rachel Doe");
  EXPECT_EQ(ChicagoFixed("chicago17-author-connector", kCitation),
            "Smith, John, and Rachel Doe. \"Title.\" _J_ 1 (2020): 1–9.");
}

// chicago17-title-quotation-marks

TEST(Chicago17RulesTest, AcceptsQuotedArticleTitle) {
  EXPECT_THAT(Chicago("chicago17-title-quotation-marks", kValid), IsEmpty());
}

TEST(Chicago17RulesTest, FlagsItalicArticleTitle) {
  constexpr char kCitation[] = "Smith, John. _Deep Learning_. _Journal_ 14, no. 2 (2020): 1–9.";
  std::vector<RuleFinding> findings = Chicago("chicago17-title-quotation-marks", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("quotation marks"));
  EXPECT_EQ(findings[0].correction,
            "\xE2\x80\x9C"
            "Deep Learning.\xE2\x80\x9D");
  EXPECT_EQ(ChicagoFixed("chicago17-title-quotation-marks", kCitation),
            "Smith, John. \xE2\x80\x9C"
            "Deep Learning.\xE2\x80\x9D _Journal_ 14, no. 2 (2020): 1–9.");
}

// chicago17-title-case

TEST(Chicago17RulesTest, AcceptsTitleCaseWithAcronymsAndMinorWords) {
  EXPECT_THAT(Chicago("chicago17-title-case",
                      "Smith, John. \"Using BERT in the Lab: A Guide to NLP.\" _J_ 1 (2020): 1–9."),
              IsEmpty());
}

TEST(Chicago17RulesTest, FlagsLowerCaseMajorWords) {
  constexpr char kCitation[] = "Smith, John. \"Citation analysis: a review.\" _J_ 1 (2020): 1–9.";
  std::vector<RuleFinding> findings = Chicago("chicago17-title-case", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("title case"));
  EXPECT_EQ(findings[0].correction, "Citation Analysis: A Review");
  EXPECT_EQ(ChicagoFixed("chicago17-title-case", kCitation),
            "Smith, John. \"Citation Analysis: A Review.\" _J_ 1 (2020): 1–9.");
}

// chicago17-journal-italics

TEST(Chicago17RulesTest, AcceptsItalicJournal) {
  EXPECT_THAT(Chicago("chicago17-journal-italics", kValid), IsEmpty());
}

TEST(Chicago17RulesTest, FlagsJournalWithoutItalics) {
  constexpr char kCitation[] =
      "Smith, John. \"Title.\" Journal of Informetrics 14, no. 2 (2020): 101–15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-journal-italics", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Journal");
  EXPECT_THAT(findings[0].problem, HasSubstr("italics"));
  EXPECT_EQ(findings[0].correction, "<em>Journal of Informetrics</em>");
  EXPECT_EQ(ChicagoFixed("chicago17-journal-italics", kCitation),
            "Smith, John. \"Title.\" _Journal of Informetrics_ 14, no. 2 (2020): 101–15.");
}

// chicago17-volume-issue-year

TEST(Chicago17RulesTest, AcceptsVolumeIssueYearAndAuthorDateYear) {
  EXPECT_THAT(Chicago("chicago17-volume-issue-year", kValid), IsEmpty());
  EXPECT_THAT(Chicago("chicago17-volume-issue-year",
                      "Smith, John. 2020. \"Title.\" _Journal_ 14, no. 2: 101–15."),
              IsEmpty());
}

TEST(Chicago17RulesTest, FlagsApaStyleVolumeIssueAndYearPlacement) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _Journal_, 14(2), 2020, 101–15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-volume-issue-year", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Volume");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"no. N\""));
  EXPECT_THAT(findings[0].problem, HasSubstr("year in parentheses"));
  EXPECT_THAT(findings[0].problem, HasSubstr("colon"));
  EXPECT_EQ(findings[0].correction, "14, no. 2 (2020)");
  EXPECT_EQ(ChicagoFixed("chicago17-volume-issue-year", kCitation),
            "Smith, John. \"Title.\" _Journal_ 14, no. 2 (2020): 101–15.");
}

TEST(Chicago17RulesTest, MarksAMissingYearWithoutInventingOne) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _Journal_ 14, no. 2: 101–15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-volume-issue-year", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("year is missing"));
  EXPECT_EQ(findings[0].correction, "14, no. 2 ([MISSING: year])");
  EXPECT_EQ(ChicagoFixed("chicago17-volume-issue-year", kCitation),
            "Smith, John. \"Title.\" _Journal_ 14, no. 2 ([MISSING: year]): 101–15.");
}

// chicago17-page-range

TEST(Chicago17RulesTest, AcceptsShortenedEnDashRange) {
  EXPECT_THAT(Chicago("chicago17-page-range", kValid), IsEmpty());
}

TEST(Chicago17RulesTest, FlagsPpAndHyphenInJournalPages) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _Journal_ 14, no. 2 (2020): pp. 101-15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-page-range", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Pages");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"pp.\""));
  EXPECT_THAT(findings[0].problem, HasSubstr("en dash"));
  EXPECT_EQ(findings[0].correction, "101–15");
  EXPECT_EQ(ChicagoFixed("chicago17-page-range", kCitation),
            "Smith, John. \"Title.\" _Journal_ 14, no. 2 (2020): 101–15.");
}

// chicago17-doi-url

TEST(Chicago17RulesTest, AcceptsDoiUrl) {
  EXPECT_THAT(Chicago("chicago17-doi-url", kValid), IsEmpty());
}

TEST(Chicago17RulesTest, FlagsDxDoiLink) {
  constexpr char kCitation[] =
      "Smith, John. \"Title.\" _J_ 14 (2020): 1–9. http://dx.doi.org/10.1016/j.joi.2020.101015.";
  std::vector<RuleFinding> findings = Chicago("chicago17-doi-url", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "DOI");
  EXPECT_THAT(findings[0].problem, HasSubstr("https://doi.org/"));
  EXPECT_EQ(findings[0].correction, "https://doi.org/10.1016/j.joi.2020.101015");
  EXPECT_EQ(
      ChicagoFixed("chicago17-doi-url", kCitation),
      "Smith, John. \"Title.\" _J_ 14 (2020): 1–9. https://doi.org/10.1016/j.joi.2020.101015.");
}

}  // namespace
}  // namespace citecheck

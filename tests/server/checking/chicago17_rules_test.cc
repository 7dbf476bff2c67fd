#include "server/checking/rules/chicago17_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/checking/rule_test_util.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The author-date system: the year follows the authors.
constexpr char kValid[] =
    "Smith, John, and Rachel Doe. 2020. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_ 14, no. 2: 101–15. https://doi.org/10.1016/j.joi.2020.101015.";

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

TEST(Chicago17RulesTest, FlagsApaStyleVolumeAndIssue) {
  constexpr char kCitation[] = "Smith, John. 2020. \"Title.\" _Journal_, 14(2), 101–15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-volume-issue-year", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Volume");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"no. N\""));
  EXPECT_THAT(findings[0].problem, HasSubstr("colon"));
  EXPECT_EQ(findings[0].correction, "14, no. 2");
  EXPECT_EQ(ChicagoFixed("chicago17-volume-issue-year", kCitation),
            "Smith, John. 2020. \"Title.\" _Journal_ 14, no. 2: 101–15.");
}

TEST(Chicago17RulesTest, MovesTheNotesBibliographyYearAfterTheAuthors) {
  for (const char* citation : {"Smith, John. \"Title.\" _Journal_ 14, no. 2 (2020): 101–15.",
                               "Smith, John. \"Title.\" _Journal_ 14, no. 2: 101–15, 2020."}) {
    std::vector<RuleFinding> findings = Chicago("chicago17-year-after-authors", citation);
    ASSERT_THAT(findings, SizeIs(1)) << citation;
    EXPECT_EQ(findings[0].correction, "2020");
    EXPECT_EQ(ChicagoFixed("chicago17-year-after-authors", citation),
              "Smith, John. 2020. \"Title.\" _Journal_ 14, no. 2: 101–15.");
  }
}

TEST(Chicago17RulesTest, MarksAMissingYearWithoutInventingOne) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _Journal_ 14, no. 2: 101–15.";
  std::vector<RuleFinding> findings = Chicago("chicago17-year-after-authors", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("year is missing"));
  EXPECT_EQ(findings[0].correction, "[MISSING: year]");
  EXPECT_EQ(ChicagoFixed("chicago17-year-after-authors", kCitation),
            "Smith, John. [MISSING: year]. \"Title.\" _Journal_ 14, no. 2: 101–15.");
  EXPECT_THAT(Chicago("chicago17-year-after-authors",
                      "Smith, John. n.d. \"Title.\" Site. https://example.org/p."),
              IsEmpty());
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

// Rules per source type, on references rendered by citeproc-js with the official Chicago 17th
// author-date style.

constexpr char kChicagoArticle[] =
    "Smith, John Alan, Sophie van der Berg, and Martin Luther King Jr. 2020. \xE2\x80\x9C"
    "Deep "
    "Learning in Andalusia.\xE2\x80\x9D _Journal of Informetrics_ 14 (2): 101–15. "
    "https://doi.org/10.1016/j.joi.2020.101015.";
constexpr char kChicagoBook[] =
    "Berg, Sophie van der, and Al Ng. 2019. _Learning Statistics_. 3rd ed. Cambridge: Polity.";
constexpr char kChicagoChapter[] =
    "Lee, Kim. 2018. \xE2\x80\x9CThe Rise of the Novel in France.\xE2\x80\x9D In _A History of "
    "Literature_, edited by Rachel Doe and Ludwig van Beethoven, 15–38. New York: Routledge.";
constexpr char kChicagoThesis[] =
    "Nguyen, An. 2016. \xE2\x80\x9C"
    "Essays on Labor Markets.\xE2\x80\x9D Doctoral dissertation, "
    "University of Michigan.";

TEST(Chicago17RulesTest, RenderedReferencesOfEverySourceTypePassEveryRule) {
  ExpectEveryRulePasses(Chicago17Rules(),
                        {kChicagoArticle, kChicagoBook, kChicagoChapter, kChicagoThesis});
}

// chicago17-year-after-authors

TEST(Chicago17RulesTest, TakesTheYearOutOfParentheses) {
  std::string citation(kChicagoBook);
  citation.replace(citation.find("2019."), 5, "(2019).");
  ExpectOneFindingFixedAs(Chicago17Rules(), "chicago17-year-after-authors", citation, kChicagoBook);
}

TEST(Chicago17RulesTest, MovesTheYearFromAfterThePublisherToAfterTheAuthors) {
  EXPECT_EQ(ChicagoFixed("chicago17-year-after-authors",
                         "Berg, Sophie van der, and Al Ng. _Learning Statistics_. 3rd ed. "
                         "Cambridge: Polity, 2019."),
            kChicagoBook);
}

// chicago17-place-of-publication

TEST(Chicago17RulesTest, AsksForThePlaceOfPublicationOfBooksAndChapters) {
  std::vector<RuleFinding> findings =
      Chicago("chicago17-place-of-publication",
              "Berg, Sophie van der, and Al Ng. 2019. _Learning Statistics_. 3rd ed. Polity.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].correction, "[MISSING: place]: Polity");
  EXPECT_EQ(ChicagoFixed("chicago17-place-of-publication",
                         "Lee, Kim. 2018. \xE2\x80\x9CThe Rise.\xE2\x80\x9D In _A History_, edited "
                         "by Rachel Doe, 15–38. Routledge."),
            "Lee, Kim. 2018. \xE2\x80\x9CThe Rise.\xE2\x80\x9D In _A History_, edited by Rachel "
            "Doe, 15–38. [MISSING: place]: Routledge.");
  EXPECT_THAT(Chicago("chicago17-place-of-publication", kChicagoThesis), IsEmpty());
}

// The issue as "no. 2" or, as the official author-date style renders it, "(2)".

TEST(Chicago17RulesTest, AcceptsBothIssueForms) {
  EXPECT_THAT(Chicago("chicago17-volume-issue-year", kChicagoArticle), IsEmpty());
  EXPECT_THAT(Chicago("chicago17-volume-issue-year",
                      "Smith, John. 2020. \"Title.\" _Journal_ 14, no. 2: 101–15."),
              IsEmpty());
}

// Particles are demoted in the inverted first author, as the style sorts them.

TEST(Chicago17RulesTest, InvertsAFirstAuthorWithParticles) {
  EXPECT_EQ(ChicagoFixed("chicago17-first-author-inverted",
                         "Sophie van der Berg, and Al Ng. 2019. _Learning Statistics_. 3rd ed. "
                         "Cambridge: Polity."),
            kChicagoBook);
}

// chicago17-title-quotation-marks: chapters and plain titles

TEST(Chicago17RulesTest, QuotesAChapterTitleWithTypesetMarks) {
  EXPECT_EQ(ChicagoFixed("chicago17-title-quotation-marks",
                         "Lee, Kim. 2018. The Rise of the Novel in France. In _A History of "
                         "Literature_, edited by Rachel Doe and Ludwig van Beethoven, 15–38. New "
                         "York: Routledge."),
            kChicagoChapter);
}

TEST(Chicago17RulesTest, QuotesAQuestionTitleBeforeASiteAndItsDate) {
  EXPECT_EQ(ChicagoFixed("chicago17-title-quotation-marks",
                         "Lee, Kim. 2016. Why Do Refugees Resist? CDC. January 8, 2016. "
                         "https://www.example.org/why."),
            "Lee, Kim. 2016. \xE2\x80\x9CWhy Do Refugees Resist?\xE2\x80\x9D CDC. January 8, 2016. "
            "https://www.example.org/why.");
}

TEST(Chicago17RulesTest, FindsTheAuthorsOfTwoWithoutTheSerialComma) {
  EXPECT_EQ(ChicagoFixed("chicago17-author-connector",
                         "MacDonald, Rahul R. and José K. Fernández-López III. 2019. "
                         "\xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_ 1: 1–9."),
            "MacDonald, Rahul R., and José K. Fernández-López III. 2019. "
            "\xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_ 1: 1–9.");
}

}  // namespace
}  // namespace citecheck

#include "server/checking/rules/mla9_rules.h"

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
    "Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.";

std::vector<RuleFinding> Mla(absl::string_view rule, absl::string_view citation) {
  return FindingsOf(Mla9Rules(), rule, citation);
}

std::string MlaFixed(absl::string_view rule, absl::string_view citation) {
  return FixedBy(Mla9Rules(), rule, citation);
}

TEST(Mla9RulesTest, ValidCitationPassesEveryRule) {
  for (const Rule& rule : Mla9Rules()) {
    EXPECT_THAT(Mla(rule.name, kValid), IsEmpty()) << rule.name;
  }
}

// mla9-first-author-inverted

TEST(Mla9RulesTest, AcceptsInvertedFirstAuthorAndGroupAuthor) {
  EXPECT_THAT(Mla("mla9-first-author-inverted", kValid), IsEmpty());
  EXPECT_THAT(Mla("mla9-first-author-inverted",
                  "World Health Organization. \"Report.\" _Bulletin_, vol. 3, 2020, pp. 1–9."),
              IsEmpty());
}

TEST(Mla9RulesTest, FlagsFirstAuthorNotInverted) {
  constexpr char kCitation[] =
      "John Smith. \"Deep Learning.\" _Journal of Informetrics_, vol. 14, 2020, pp. 1–9.";
  std::vector<RuleFinding> findings = Mla("mla9-first-author-inverted", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Authors");
  EXPECT_THAT(findings[0].problem, HasSubstr("Last, First"));
  EXPECT_EQ(findings[0].correction, "Smith, John");
  EXPECT_EQ(MlaFixed("mla9-first-author-inverted", kCitation),
            "Smith, John. \"Deep Learning.\" _Journal of Informetrics_, vol. 14, 2020, pp. 1–9.");
}

// mla9-author-count

TEST(Mla9RulesTest, AcceptsOneAuthorTwoAuthorsAndEtAl) {
  EXPECT_THAT(Mla("mla9-author-count", kValid), IsEmpty());
  EXPECT_THAT(Mla("mla9-author-count", "Smith, John, et al. \"Title.\" _J_, vol. 1, 2020."),
              IsEmpty());
  EXPECT_THAT(Mla("mla9-author-count", "Smith, John. \"Title.\" _J_, vol. 1, 2020."), IsEmpty());
}

TEST(Mla9RulesTest, FlagsThreeOrMoreAuthorsWithoutEtAl) {
  constexpr char kCitation[] =
      "Smith, John, Rachel Doe, and Mark Lee. \"Title.\" _J_, vol. 1, 2020.";
  std::vector<RuleFinding> findings = Mla("mla9-author-count", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Authors");
  EXPECT_THAT(findings[0].problem, HasSubstr("et al."));
  EXPECT_EQ(findings[0].correction, "Smith, John, et al.");
  EXPECT_EQ(MlaFixed("mla9-author-count", kCitation),
            "Smith, John, et al. \"Title.\" _J_, vol. 1, 2020.");
}

TEST(Mla9RulesTest, FlagsAmpersandBetweenTwoAuthors) {
  constexpr char kCitation[] = "Smith, John & Rachel Doe. \"Title.\" _J_, vol. 1, 2020.";
  std::vector<RuleFinding> findings = Mla("mla9-author-count", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("\"and\", not \"&\""));
  EXPECT_EQ(findings[0].correction, "Smith, John, and Rachel Doe");
  EXPECT_EQ(MlaFixed("mla9-author-count", kCitation),
            "Smith, John, and Rachel Doe. \"Title.\" _J_, vol. 1, 2020.");
}

TEST(Mla9RulesTest, FlagsInvertedSecondAuthor) {
  std::vector<RuleFinding> findings =
      Mla("mla9-author-count", "Smith, John, and Doe, Rachel. \"Title.\" _J_, vol. 1, 2020.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("normal order"));
  EXPECT_EQ(findings[0].correction, "Smith, John, and Rachel Doe");
}

// mla9-title-quotation-marks

TEST(Mla9RulesTest, AcceptsQuotedArticleTitleAndItalicBookTitle) {
  EXPECT_THAT(Mla("mla9-title-quotation-marks", kValid), IsEmpty());
  EXPECT_THAT(
      Mla("mla9-title-quotation-marks", "Smith, John. _The Art of Citation_. Oxford UP, 2020."),
      IsEmpty());
  EXPECT_THAT(Mla("mla9-title-quotation-marks",
                  "Smith, John. \xE2\x80\x9CWhy Cite?\xE2\x80\x9D _J_, vol. 1, 2020, pp. 1–9."),
              IsEmpty());
}

TEST(Mla9RulesTest, FlagsArticleTitleWithoutQuotationMarks) {
  constexpr char kCitation[] =
      "Smith, John. Deep Learning for Citation Analysis. _Journal_, vol. 14, 2020, pp. 1–9.";
  std::vector<RuleFinding> findings = Mla("mla9-title-quotation-marks", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("quotation marks"));
  // A citation without quotation marks of its own gets the typeset ones.
  EXPECT_EQ(findings[0].correction,
            "\xE2\x80\x9C"
            "Deep Learning for Citation Analysis.\xE2\x80\x9D");
  EXPECT_EQ(MlaFixed("mla9-title-quotation-marks", kCitation),
            "Smith, John. \xE2\x80\x9C"
            "Deep Learning for Citation Analysis.\xE2\x80\x9D _Journal_, "
            "vol. 14, 2020, pp. 1–9.");
}

TEST(Mla9RulesTest, FlagsPeriodOutsideQuotationMarks) {
  std::vector<RuleFinding> findings = Mla(
      "mla9-title-quotation-marks", "Smith, John. \"Deep Learning\". _J_, vol. 1, 2020, pp. 1–9.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("inside the closing quotation mark"));
  EXPECT_EQ(findings[0].correction, "\"Deep Learning.\"");
}

// mla9-title-case

TEST(Mla9RulesTest, AcceptsTitleCase) { EXPECT_THAT(Mla("mla9-title-case", kValid), IsEmpty()); }

TEST(Mla9RulesTest, FlagsSentenceCaseTitle) {
  constexpr char kCitation[] =
      "Smith, John. \"Deep learning for the analysis of citations.\" _J_, vol. 1, 2020.";
  std::vector<RuleFinding> findings = Mla("mla9-title-case", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("title case"));
  EXPECT_EQ(findings[0].correction, "Deep Learning for the Analysis of Citations");
  EXPECT_EQ(MlaFixed("mla9-title-case", kCitation),
            "Smith, John. \"Deep Learning for the Analysis of Citations.\" _J_, vol. 1, 2020.");
}

// mla9-container-italics

TEST(Mla9RulesTest, AcceptsItalicContainer) {
  EXPECT_THAT(Mla("mla9-container-italics", kValid), IsEmpty());
}

TEST(Mla9RulesTest, FlagsContainerWithoutItalics) {
  constexpr char kCitation[] =
      "Smith, John. \"Title.\" Journal of Informetrics, vol. 14, no. 2, 2020, pp. 101–15.";
  std::vector<RuleFinding> findings = Mla("mla9-container-italics", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Container");
  EXPECT_THAT(findings[0].problem, HasSubstr("italics"));
  EXPECT_EQ(findings[0].correction, "<em>Journal of Informetrics</em>");
  EXPECT_EQ(MlaFixed("mla9-container-italics", kCitation),
            "Smith, John. \"Title.\" _Journal of Informetrics_, vol. 14, no. 2, 2020, "
            "pp. 101–15.");
}

// mla9-volume-issue-labels

TEST(Mla9RulesTest, AcceptsVolAndNoLabels) {
  EXPECT_THAT(Mla("mla9-volume-issue-labels", kValid), IsEmpty());
}

TEST(Mla9RulesTest, FlagsApaStyleVolumeAndIssue) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _Journal_, _14_(2), 2020, pp. 101–15.";
  std::vector<RuleFinding> findings = Mla("mla9-volume-issue-labels", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Volume");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"vol.\""));
  EXPECT_THAT(findings[0].problem, HasSubstr("\"no.\""));
  EXPECT_EQ(findings[0].correction, "vol. 14, no. 2");
  EXPECT_EQ(MlaFixed("mla9-volume-issue-labels", kCitation),
            "Smith, John. \"Title.\" _Journal_, vol. 14, no. 2, 2020, pp. 101–15.");
}

TEST(Mla9RulesTest, FlagsCapitalisedVolumeLabel) {
  std::vector<RuleFinding> findings =
      Mla("mla9-volume-issue-labels", "Smith, John. \"Title.\" _J_, Vol. 14, No. 2, 2020.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].correction, "vol. 14, no. 2");
}

// mla9-page-label

TEST(Mla9RulesTest, AcceptsPpBeforeRangeAndPBeforeSinglePage) {
  EXPECT_THAT(Mla("mla9-page-label", kValid), IsEmpty());
  EXPECT_THAT(Mla("mla9-page-label", "Smith, John. \"Title.\" _J_, vol. 1, 2020, p. 7."),
              IsEmpty());
}

TEST(Mla9RulesTest, FlagsPageRangeWithoutPp) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _J_, vol. 1, no. 2, 2020, 101–15.";
  std::vector<RuleFinding> findings = Mla("mla9-page-label", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Pages");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"pp.\""));
  EXPECT_EQ(findings[0].correction, "pp. 101–15");
  EXPECT_EQ(MlaFixed("mla9-page-label", kCitation),
            "Smith, John. \"Title.\" _J_, vol. 1, no. 2, 2020, pp. 101–15.");
}

// mla9-doi-format

TEST(Mla9RulesTest, AcceptsDoiUrlFollowedByPeriod) {
  EXPECT_THAT(Mla("mla9-doi-format",
                  "Smith, John. \"Title.\" _J_, vol. 1, 2020, pp. 1–9, https://doi.org/10.1/x."),
              IsEmpty());
}

TEST(Mla9RulesTest, FlagsDoiPrefix) {
  constexpr char kCitation[] = "Smith, John. \"Title.\" _J_, vol. 1, 2020, pp. 1–9, doi:10.1/x.";
  std::vector<RuleFinding> findings = Mla("mla9-doi-format", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "DOI");
  EXPECT_THAT(findings[0].problem, HasSubstr("https://doi.org/"));
  EXPECT_EQ(findings[0].correction, "https://doi.org/10.1/x");
  EXPECT_EQ(MlaFixed("mla9-doi-format", kCitation),
            "Smith, John. \"Title.\" _J_, vol. 1, 2020, pp. 1–9, https://doi.org/10.1/x.");
}

// Rules per source type, on references rendered by citeproc-js with the official MLA 9th style.

constexpr char kMlaChapter[] =
    "Lee, Kim. \xE2\x80\x9CThe Rise of the Novel in France.\xE2\x80\x9D _A History of "
    "Literature_, edited by Rachel Doe and Ludwig van Beethoven, 2nd ed., Routledge, 2018, pp. "
    "15–38, https://doi.org/10.4324/abc.";
constexpr char kMlaBook[] =
    "O’Brien, Sarah Ann, et al. _Does Citizen Science Predict Soil Erosion? Evidence from "
    "Scotland_. 5th ed., Springer, 1978.";
constexpr char kMlaEdited[] =
    "MacDonald, Anne-Marie R., and John Ivanova, editors. _Coral Reef Decline in the Age of "
    "DNA_. Palgrave Macmillan, 1997.";
constexpr char kMlaWebpage[] =
    "World Health Organization. \xE2\x80\x9CHow to Wash Your Hands.\xE2\x80\x9D _WHO_, 7 Apr. "
    "2017, https://www.who.int/handwashing.";

TEST(Mla9RulesTest, RenderedReferencesOfEverySourceTypePassEveryRule) {
  ExpectEveryRulePasses(Mla9Rules(), {kMlaChapter, kMlaBook, kMlaEdited, kMlaWebpage});
}

// Containers: ", edited by", "vol.", "no.", "pp."

TEST(Mla9RulesTest, ItalicisesTheBookOfAChapterUpToItsEditors) {
  constexpr char kCitation[] =
      "Lee, Kim. \xE2\x80\x9CThe Rise of the Novel.\xE2\x80\x9D A History of Literature, edited "
      "by Rachel Doe, Routledge, 2018, pp. 15–38.";
  EXPECT_EQ(MlaFixed("mla9-container-italics", kCitation),
            "Lee, Kim. \xE2\x80\x9CThe Rise of the Novel.\xE2\x80\x9D _A History of Literature_, "
            "edited by Rachel Doe, Routledge, 2018, pp. 15–38.");
}

TEST(Mla9RulesTest, AcceptsAnArticleNumberWithoutALabel) {
  EXPECT_THAT(Mla("mla9-page-label",
                  "Lee, Kim. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, vol. 9, no. 6, 948383, "
                  "1996."),
              IsEmpty());
}

TEST(Mla9RulesTest, LabelsAnELocatorAsAPage) {
  EXPECT_EQ(MlaFixed("mla9-page-label",
                     "Lee, Kim. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, vol. 9, 1996, e12345."),
            "Lee, Kim. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, vol. 9, 1996, p. e12345.");
}

// mla9-editor-role

TEST(Mla9RulesTest, WritesTheEditorRoleInWords) {
  EXPECT_THAT(Mla("mla9-editor-role", kMlaEdited), IsEmpty());
  std::string citation(kMlaEdited);
  citation.replace(citation.find(", editors."), 10, " (Eds.).");
  ExpectOneFindingFixedAs(Mla9Rules(), "mla9-editor-role", citation, kMlaEdited);
}

// mla9-date-position

TEST(Mla9RulesTest, MovesAYearAfterTheAuthorsIntoTheContainer) {
  EXPECT_EQ(MlaFixed("mla9-date-position",
                     "Smith, John. 2020. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, vol. 14, no. "
                     "2, pp. 101–15."),
            "Smith, John. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, vol. 14, no. 2, 2020, pp. "
            "101–15.");
  EXPECT_EQ(MlaFixed("mla9-date-position",
                     "Müller, José. 2019. _Learning Statistics with R_. 3rd ed., Oxford UP."),
            "Müller, José. _Learning Statistics with R_. 3rd ed., Oxford UP, 2019.");
}

// mla9-final-period

TEST(Mla9RulesTest, EndsTheEntryWithAPeriod) {
  EXPECT_THAT(Mla("mla9-final-period", kMlaBook), IsEmpty());
  std::string citation(kMlaBook);
  citation.pop_back();
  EXPECT_EQ(MlaFixed("mla9-final-period", citation), kMlaBook);
}

// mla9-book-title-italics

TEST(Mla9RulesTest, ItalicisesABookTitle) {
  constexpr char kCitation[] =
      "Müller, José. Learning Statistics with R. 3rd ed., Oxford University Press, 2019.";
  EXPECT_EQ(MlaFixed("mla9-book-title-italics", kCitation),
            "Müller, José. _Learning Statistics with R_. 3rd ed., Oxford University Press, 2019.");
}

// Names with particles, suffixes and diacritics are kept as written.

TEST(Mla9RulesTest, KeepsParticlesSuffixesAndDiacritics) {
  ExpectEveryRulePasses(Mla9Rules(),
                        {"van der Berg, Sophie, and Al Ng. _Learning Statistics_. Polity, 2019.",
                         "King, Martin Luther, Jr. _Why We Can’t Wait_. Harper & Row, 1964.",
                         "Wójcik, Łukasz, and Zoë Müller. _Cities_. Verso, 2001."});
  EXPECT_EQ(MlaFixed("mla9-first-author-inverted",
                     "Sophie van der Berg. _Learning Statistics_. Polity, 2019."),
            "van der Berg, Sophie. _Learning Statistics_. Polity, 2019.");
}

TEST(Mla9RulesTest, AcceptsASecondNameBeforeEtAlThatTellsWorksApart) {
  EXPECT_THAT(Mla("mla9-author-count",
                  "Smith, José, Emily Sørensen, et al. \xE2\x80\x9CTitle.\xE2\x80\x9D _Journal_, "
                  "vol. 1, 2020, pp. 1–9."),
              IsEmpty());
  EXPECT_THAT(Mla("mla9-author-count",
                  "Smith, José, Emily Sørensen, and Mark Lee. \xE2\x80\x9CTitle.\xE2\x80\x9D "
                  "_Journal_, vol. 1, 2020, pp. 1–9."),
              SizeIs(1));
}

}  // namespace
}  // namespace citecheck

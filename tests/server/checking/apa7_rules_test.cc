#include "server/checking/rules/apa7_rules.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/server/checking/rule_test_util.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kValid[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";

std::vector<RuleFinding> Apa(absl::string_view rule, absl::string_view citation) {
  return FindingsOf(Apa7Rules(), rule, citation);
}

std::string ApaFixed(absl::string_view rule, absl::string_view citation) {
  return FixedBy(Apa7Rules(), rule, citation);
}

TEST(Apa7RulesTest, ValidCitationPassesEveryRule) {
  for (const Rule& rule : Apa7Rules()) {
    EXPECT_THAT(Apa(rule.name, kValid), IsEmpty()) << rule.name;
  }
}

// apa7-author-list

TEST(Apa7RulesTest, AcceptsGroupAndSingleAuthors) {
  EXPECT_THAT(
      Apa("apa7-author-list", "World Health Organization. (2020). _Global report_. WHO Press."),
      IsEmpty());
  EXPECT_THAT(Apa("apa7-author-list", "Smith, J.-P. (2020). Title. _J_, _1_, 1–2."), IsEmpty());
}

TEST(Apa7RulesTest, FlagsAndInsteadOfAmpersandBeforeLastAuthor) {
  constexpr char kCitation[] = "Smith, J. A., and Doe, R. (2020). Title. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-author-list", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Authors");
  EXPECT_THAT(findings[0].problem, HasSubstr("\"&\" instead of \"and\""));
  EXPECT_EQ(findings[0].correction, "Smith, J. A., & Doe, R.");
  EXPECT_EQ(ApaFixed("apa7-author-list", kCitation),
            "Smith, J. A., & Doe, R. (2020). Title. _J_, _1_, 1–2.");
}

TEST(Apa7RulesTest, FlagsAmpersandMissingBeforeLastAuthor) {
  std::vector<RuleFinding> findings =
      Apa("apa7-author-list", "Smith, J. A., Doe, R., Lee, M. (2020). Title. _J_, _1_, 1–2.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("Put \"&\" before the last author"));
  EXPECT_EQ(findings[0].correction, "Smith, J. A., Doe, R., & Lee, M.");
}

TEST(Apa7RulesTest, FlagsMissingCommaBeforeAmpersand) {
  std::vector<RuleFinding> findings =
      Apa("apa7-author-list", "Smith, J. A. & Doe, R. (2020). Title. _J_, _1_, 1–2.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("comma before \"&\""));
  EXPECT_EQ(findings[0].correction, "Smith, J. A., & Doe, R.");
}

TEST(Apa7RulesTest, FlagsFullGivenNamesAndWritesInitials) {
  constexpr char kCitation[] = "Smith, John Alan, & Doe, Rachel. (2020). Title. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-author-list", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("initials"));
  EXPECT_EQ(findings[0].correction, "Smith, J. A., & Doe, R.");
  EXPECT_EQ(ApaFixed("apa7-author-list", kCitation),
            "Smith, J. A., & Doe, R. (2020). Title. _J_, _1_, 1–2.");
}

TEST(Apa7RulesTest, FlagsAuthorWrittenGivenNameFirst) {
  std::vector<RuleFinding> findings =
      Apa("apa7-author-list", "J. A. Smith (2020). Title. _J_, _1_, 1–2.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("Surname, Initials"));
  EXPECT_EQ(findings[0].correction, "Smith, J. A.");
}

TEST(Apa7RulesTest, KeepsTheEditorRoleWhenFixingTheList) {
  constexpr char kCitation[] = "Smith, John, and Doe, Rachel (Eds.). (2020). _Handbook_. Wiley.";
  std::vector<RuleFinding> findings = Apa("apa7-author-list", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].correction, "Smith, J., & Doe, R. (Eds.)");
  EXPECT_EQ(ApaFixed("apa7-author-list", kCitation),
            "Smith, J., & Doe, R. (Eds.). (2020). _Handbook_. Wiley.");
}

TEST(Apa7RulesTest, LeavesListsWithEllipsisOrUnclearNamesAlone) {
  EXPECT_THAT(Apa("apa7-author-list",
                  "Smith, J., Doe, R., Lee, M., ... Zhang, Q. (2020). Title. _J_, _1_, 1–2."),
              IsEmpty());
  EXPECT_THAT(Apa("apa7-author-list", "Smith, Doe, Lee. (2020). Title. _J_, _1_, 1–2."), IsEmpty());
}

// apa7-year-after-authors

TEST(Apa7RulesTest, AcceptsYearInParenthesesAfterAuthors) {
  EXPECT_THAT(Apa("apa7-year-after-authors", kValid), IsEmpty());
  EXPECT_THAT(Apa("apa7-year-after-authors",
                  "Smith, J. (2020, March 5). _How to cite_. Site. https://example.com"),
              IsEmpty());
}

TEST(Apa7RulesTest, FlagsYearNotInParentheses) {
  constexpr char kCitation[] = "Smith, J. A., & Doe, R. 2020. Title. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-year-after-authors", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Year");
  EXPECT_THAT(findings[0].problem, HasSubstr("parentheses"));
  EXPECT_EQ(findings[0].correction, "(2020).");
  EXPECT_EQ(ApaFixed("apa7-year-after-authors", kCitation),
            "Smith, J. A., & Doe, R. (2020). Title. _J_, _1_, 1–2.");
}

TEST(Apa7RulesTest, FlagsMissingPeriodAfterYear) {
  constexpr char kCitation[] = "Smith, J. (2020) Title. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-year-after-authors", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("period after the year"));
  EXPECT_EQ(findings[0].correction, "(2020).");
  EXPECT_EQ(ApaFixed("apa7-year-after-authors", kCitation),
            "Smith, J. (2020). Title. _J_, _1_, 1–2.");
}

TEST(Apa7RulesTest, MarksAMissingYearWithoutInventingOne) {
  constexpr char kCitation[] = "Smith, J. Deep learning today. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-year-after-authors", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("missing"));
  EXPECT_EQ(findings[0].correction, "([MISSING: year]).");
  EXPECT_EQ(ApaFixed("apa7-year-after-authors", kCitation),
            "Smith, J. ([MISSING: year]). Deep learning today. _J_, _1_, 1–2.");
}

TEST(Apa7RulesTest, MovesAYearWrittenAfterTheJournal) {
  constexpr char kCitation[] = "World Health Organization. Title. _J_, 2020, _1_, 1–2.";
  EXPECT_EQ(ApaFixed("apa7-year-after-authors", kCitation),
            "World Health Organization. (2020). Title. _J_, _1_, 1–2.");
}

// apa7-title-sentence-case

TEST(Apa7RulesTest, AcceptsSentenceCaseTitleWithProperNouns) {
  EXPECT_THAT(Apa("apa7-title-sentence-case",
                  "Smith, J. (2020). Deep learning in Germany and France. _J_, _1_, 1–2."),
              IsEmpty());
}

TEST(Apa7RulesTest, FlagsTitleCaseWordsInArticleTitle) {
  constexpr char kCitation[] =
      "Smith, J. (2020). Using BERT for Reference Parsing: A Self-Report Study. _J_, _1_, 1–2.";
  std::vector<RuleFinding> findings = Apa("apa7-title-sentence-case", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("sentence case"));
  EXPECT_EQ(findings[0].correction, "Using BERT for reference parsing: A self-report study");
  EXPECT_EQ(ApaFixed("apa7-title-sentence-case", kCitation),
            "Smith, J. (2020). Using BERT for reference parsing: A self-report study. _J_, _1_, "
            "1–2.");
}

// apa7-journal-volume-italics

TEST(Apa7RulesTest, AcceptsItalicJournalAndVolume) {
  EXPECT_THAT(Apa("apa7-journal-volume-italics", kValid), IsEmpty());
}

TEST(Apa7RulesTest, FlagsJournalAndVolumeWithoutItalics) {
  constexpr char kCitation[] = "Smith, J. (2020). Title. Journal of Informetrics, 14(2), 101–115.";
  std::vector<RuleFinding> findings = Apa("apa7-journal-volume-italics", kCitation);
  ASSERT_THAT(findings, SizeIs(2));
  EXPECT_EQ(findings[0].component, "Journal");
  EXPECT_THAT(findings[0].problem, HasSubstr("italics"));
  EXPECT_EQ(findings[0].correction, "<em>Journal of Informetrics</em>");
  EXPECT_EQ(findings[1].component, "Volume");
  EXPECT_THAT(findings[1].problem, HasSubstr("italics"));
  EXPECT_EQ(findings[1].correction, "<em>14</em>");
  EXPECT_EQ(ApaFixed("apa7-journal-volume-italics", kCitation),
            "Smith, J. (2020). Title. _Journal of Informetrics_, _14_(2), 101–115.");
}

// apa7-doi-format

TEST(Apa7RulesTest, AcceptsDoiAsUrl) { EXPECT_THAT(Apa("apa7-doi-format", kValid), IsEmpty()); }

TEST(Apa7RulesTest, FlagsDoiPrefixForms) {
  for (const char* link : {"doi:10.1016/j.joi.2020.101015", "DOI: 10.1016/j.joi.2020.101015",
                           "http://dx.doi.org/10.1016/j.joi.2020.101015"}) {
    std::string citation = std::string("Smith, J. (2020). Title. _J_, _1_, 1–2. ") + link;
    std::vector<RuleFinding> findings = Apa("apa7-doi-format", citation);
    ASSERT_THAT(findings, SizeIs(1)) << link;
    EXPECT_EQ(findings[0].component, "DOI");
    EXPECT_THAT(findings[0].problem, HasSubstr("https://doi.org/"));
    EXPECT_EQ(findings[0].correction, "https://doi.org/10.1016/j.joi.2020.101015");
    EXPECT_EQ(ApaFixed("apa7-doi-format", citation),
              "Smith, J. (2020). Title. _J_, _1_, 1–2. https://doi.org/10.1016/j.joi.2020.101015");
  }
}

TEST(Apa7RulesTest, FlagsPeriodAfterDoi) {
  std::vector<RuleFinding> findings =
      Apa("apa7-doi-format", "Smith, J. (2020). Title. _J_, _1_, 1–2. https://doi.org/10.1/x.");
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("period after the DOI"));
  EXPECT_EQ(findings[0].correction, "https://doi.org/10.1/x");
}

// apa7-page-range

TEST(Apa7RulesTest, AcceptsEnDashPageRangeAndArticleNumbers) {
  EXPECT_THAT(Apa("apa7-page-range", kValid), IsEmpty());
  EXPECT_THAT(Apa("apa7-page-range", "Smith, J. (2020). Title. _J_, _1_(2), Article 101015."),
              IsEmpty());
}

TEST(Apa7RulesTest, FlagsHyphenInPageRange) {
  constexpr char kCitation[] = "Smith, J. (2020). Title. _J_, _14_(2), 101-115.";
  std::vector<RuleFinding> findings = Apa("apa7-page-range", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Pages");
  EXPECT_THAT(findings[0].problem, HasSubstr("en dash"));
  EXPECT_EQ(findings[0].correction, "101–115");
  EXPECT_EQ(ApaFixed("apa7-page-range", kCitation),
            "Smith, J. (2020). Title. _J_, _14_(2), 101–115.");
}

TEST(Apa7RulesTest, FlagsPpAndShortenedLastPageInJournalReference) {
  constexpr char kCitation[] = "Smith, J. (2020). Title. _J_, _14_(2), pp. 101–15.";
  std::vector<RuleFinding> findings = Apa("apa7-page-range", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("\"pp.\""));
  EXPECT_THAT(findings[0].problem, HasSubstr("in full"));
  EXPECT_EQ(findings[0].correction, "101–115");
  EXPECT_EQ(ApaFixed("apa7-page-range", kCitation),
            "Smith, J. (2020). Title. _J_, _14_(2), 101–115.");
}

// apa7-book-title-italics

TEST(Apa7RulesTest, AcceptsItalicBookTitle) {
  EXPECT_THAT(Apa("apa7-book-title-italics",
                  "Smith, J. (2020). _The art of citation_. Oxford University Press."),
              IsEmpty());
}

TEST(Apa7RulesTest, FlagsBookTitleWithoutItalics) {
  constexpr char kCitation[] = "Smith, J. (2020). The art of citation. Oxford University Press.";
  std::vector<RuleFinding> findings = Apa("apa7-book-title-italics", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Title");
  EXPECT_THAT(findings[0].problem, HasSubstr("italics"));
  EXPECT_EQ(findings[0].correction, "<em>The art of citation</em>");
  EXPECT_EQ(ApaFixed("apa7-book-title-italics", kCitation),
            "Smith, J. (2020). _The art of citation_. Oxford University Press.");
}

// Rules per source type, on references rendered by citeproc-js with the official APA 7th
// style (the quality evaluation's data).

constexpr char kApaChapter[] =
    "Lee, K. (2018). The rise of the novel in France. In R. Doe & L. van Beethoven (Eds.), _A "
    "history of literature_ (2nd ed., pp. 15–38). Routledge. https://doi.org/10.4324/abc";
constexpr char kApaBook[] =
    "O’Brien, S. A., Nguyen, M., & Wójcik, D. K. (1978). _Does citizen science predict soil "
    "erosion? Evidence from Scotland_ (5th ed.). Springer.";
constexpr char kApaReport[] =
    "Centers for Disease Control and Prevention. (2005). _When adolescent sleep meets remote "
    "work: Lessons from rural India_ (WP-9558). RAND Corporation.";
constexpr char kApaWebpage[] =
    "Lee, K. (n.d.). _No date page_. Site. Retrieved May 1, 2021, from https://ex.org/p";

TEST(Apa7RulesTest, RenderedReferencesOfEverySourceTypePassEveryRule) {
  ExpectEveryRulePasses(Apa7Rules(), {kApaChapter, kApaBook, kApaReport, kApaWebpage});
}

// apa7-author-list: 21 or more authors

std::string ApaAuthors(int count, absl::string_view before_last) {
  std::string list;
  for (int i = 0; i + 1 < count; ++i) absl::StrAppend(&list, "Author", i, ", A., ");
  absl::StrAppend(&list, before_last, "Last, Z.");
  return list;
}

TEST(Apa7RulesTest, AcceptsNineteenAuthorsEllipsisAndTheLast) {
  std::string list;
  for (int i = 0; i < 19; ++i) absl::StrAppend(&list, "Author", i, ", A., ");
  std::string citation =
      absl::StrCat(list, "\xE2\x80\xA6 Last, Z. (2020). Title. _Journal_, _1_(2), 3–4.");
  EXPECT_THAT(Apa("apa7-author-list", citation), IsEmpty());
}

TEST(Apa7RulesTest, ShortensTwentyOneAuthorsListedInFull) {
  std::string citation =
      absl::StrCat(ApaAuthors(21, "& "), " (2020). Title. _Journal_, _1_(2), 3–4.");
  std::vector<RuleFinding> findings = Apa("apa7-author-list", citation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_THAT(findings[0].problem, HasSubstr("first 19"));
  std::string list;
  for (int i = 0; i < 19; ++i) absl::StrAppend(&list, "Author", i, ", A., ");
  EXPECT_EQ(ApaFixed("apa7-author-list", citation),
            absl::StrCat(list, "\xE2\x80\xA6 Last, Z. (2020). Title. _Journal_, _1_(2), 3–4."));
}

TEST(Apa7RulesTest, KeepsTwentyAuthorsListedInFull) {
  EXPECT_THAT(Apa("apa7-author-list",
                  absl::StrCat(ApaAuthors(20, "& "), " (2020). Title. _Journal_, _1_(2), 3–4.")),
              IsEmpty());
}

// apa7-year-after-authors: n.d. and group authors

TEST(Apa7RulesTest, AcceptsNoDateAndGroupAuthors) {
  EXPECT_THAT(Apa("apa7-year-after-authors", kApaWebpage), IsEmpty());
  EXPECT_THAT(Apa("apa7-year-after-authors", kApaReport), IsEmpty());
  EXPECT_THAT(Apa("apa7-author-list", kApaReport), IsEmpty());
}

TEST(Apa7RulesTest, PutsNoDateInParentheses) {
  ExpectOneFindingFixedAs(Apa7Rules(), "apa7-year-after-authors",
                          "Lee, K. n.d. _No date page_. Site. https://ex.org/p",
                          "Lee, K. (n.d.). _No date page_. Site. https://ex.org/p");
}

TEST(Apa7RulesTest, PutsADateWithoutParenthesesAfterALeadingTitleInParentheses) {
  constexpr char kCitation[] =
      "_A brief history of remote work_. 1978, March 3. National Geographic. https://ex.org/p";
  EXPECT_EQ(ApaFixed("apa7-year-after-authors", kCitation),
            "_A brief history of remote work_. (1978, March 3). National Geographic. "
            "https://ex.org/p");
}

// apa7-retrieved-from

TEST(Apa7RulesTest, KeepsARetrievalDate) {
  EXPECT_THAT(Apa("apa7-retrieved-from", kApaWebpage), IsEmpty());
  EXPECT_THAT(Apa("apa7-retrieved-from", "Lee, K. (2020). _Page_. Site. https://ex.org/p"),
              IsEmpty());
}

TEST(Apa7RulesTest, DropsRetrievedFromBeforeAUrl) {
  constexpr char kCitation[] =
      "Lee, K. (2020, May 1). _Page_. Site. Retrieved from https://ex.org/p";
  std::vector<RuleFinding> findings = Apa("apa7-retrieved-from", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "URL");
  EXPECT_EQ(ApaFixed("apa7-retrieved-from", kCitation),
            "Lee, K. (2020, May 1). _Page_. Site. https://ex.org/p");
}

// apa7-no-place-of-publication

TEST(Apa7RulesTest, AcceptsAPublisherWithoutPlace) {
  EXPECT_THAT(Apa("apa7-no-place-of-publication", kApaBook), IsEmpty());
  EXPECT_THAT(Apa("apa7-no-place-of-publication", kApaChapter), IsEmpty());
}

TEST(Apa7RulesTest, RemovesThePlaceOfPublication) {
  constexpr char kCitation[] =
      "Doe, R. (Ed.). (2010). _Edited volume on things_. Thousand Oaks, CA: Sage.";
  std::vector<RuleFinding> findings = Apa("apa7-no-place-of-publication", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].component, "Publisher");
  EXPECT_EQ(ApaFixed("apa7-no-place-of-publication", kCitation),
            "Doe, R. (Ed.). (2010). _Edited volume on things_. Sage.");
  EXPECT_EQ(ApaFixed("apa7-no-place-of-publication",
                     "Lee, K. (2018). Chapter. In R. Doe (Ed.), _Book_ (pp. 1–9). New York: "
                     "Routledge."),
            "Lee, K. (2018). Chapter. In R. Doe (Ed.), _Book_ (pp. 1–9). Routledge.");
}

// apa7-edition-outside-italics and apa7-book-title-italics

TEST(Apa7RulesTest, MovesTheEditionOutOfTheItalics) {
  EXPECT_THAT(Apa("apa7-edition-outside-italics", kApaBook), IsEmpty());
  ExpectOneFindingFixedAs(Apa7Rules(), "apa7-edition-outside-italics",
                          "Müller, J. (2019). _Learning statistics with R (3rd ed.)_. Polity.",
                          "Müller, J. (2019). _Learning statistics with R_ (3rd ed.). Polity.");
}

TEST(Apa7RulesTest, ItalicisesTitlesOfReportsUpToTheirNumber) {
  constexpr char kCitation[] =
      "World Bank. (2005). When sleep meets work: Lessons from India (WP-9558). RAND "
      "Corporation.";
  EXPECT_EQ(ApaFixed("apa7-book-title-italics", kCitation),
            "World Bank. (2005). _When sleep meets work: Lessons from India_ (WP-9558). RAND "
            "Corporation.");
}

// apa7-page-range: chapters keep "pp."

TEST(Apa7RulesTest, FlagsAHyphenInAChapterPageRange) {
  std::string citation(kApaChapter);
  citation.replace(citation.find("15–38"), 7, "15-38");
  std::vector<RuleFinding> findings = Apa("apa7-page-range", citation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].correction, "pp. 15–38");
  EXPECT_EQ(ApaFixed("apa7-page-range", citation), kApaChapter);
}

// apa7-title-sentence-case: proper nouns and acronyms kept

TEST(Apa7RulesTest, KeepsProperNounsAndAcronymsWhenSentenceCasing) {
  constexpr char kCitation[] =
      "Lee, K. (2020). Olive Farming in Andalusia and New Zealand: What COVID-19 Taught Jane "
      "Austen Readers. _Journal_, _1_(2), 3–4.";
  EXPECT_EQ(ApaFixed("apa7-title-sentence-case", kCitation),
            "Lee, K. (2020). Olive farming in Andalusia and New Zealand: What COVID-19 taught Jane "
            "Austen readers. _Journal_, _1_(2), 3–4.");
  EXPECT_THAT(Apa("apa7-title-sentence-case",
                  "Lee, K. (2020). Reading Darwin in Kenya and Brazil. _Journal_, _1_(2), 3–4."),
              IsEmpty());
}

TEST(Apa7RulesTest, TakesTheIssueOutOfTheVolumeItalics) {
  constexpr char kCitation[] =
      "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
      "Informetrics_, _14(2)_, 101–115. https://doi.org/10.1016/j.joi.2020.101015";
  std::vector<RuleFinding> findings = Apa("apa7-journal-volume-italics", kCitation);
  ASSERT_THAT(findings, SizeIs(1));
  EXPECT_EQ(findings[0].correction, "<em>14</em>(2)");
  EXPECT_EQ(ApaFixed("apa7-journal-volume-italics", kCitation), kValid);
}

TEST(Apa7RulesTest, ChecksTheNamesOfAListShortenedWithAnEllipsis) {
  std::string list;
  for (int i = 0; i < 19; ++i) absl::StrAppend(&list, "Author", i, ", A., ");
  std::string tail = "\xE2\x80\xA6 Last, Z. (2020). Title. _Journal_, _1_(2), 3–4.";
  std::string citation = absl::StrCat("Author0, Anna, ", list.substr(list.find("Author1")), tail);
  EXPECT_THAT(Apa("apa7-author-list", citation), SizeIs(1));
  EXPECT_EQ(ApaFixed("apa7-author-list", citation), absl::StrCat(list, tail));
}

TEST(Apa7RulesTest, KeepsAParenthesisOfTheTitleInsideTheItalics) {
  EXPECT_EQ(
      ApaFixed("apa7-book-title-italics",
               "Lee, K. (2017). Sea-level rise and foreign policy (1971–2009). Edward Elgar."),
      "Lee, K. (2017). _Sea-level rise and foreign policy (1971–2009)_. Edward Elgar.");
}

}  // namespace
}  // namespace citecheck

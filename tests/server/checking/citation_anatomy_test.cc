#include "server/checking/citation_anatomy.h"

#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

constexpr char kApa[] =
    "Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of "
    "Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015";
constexpr char kMla[] =
    "Smith, John, and Rachel Doe. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.";
constexpr char kChicago[] =
    "Smith, John, and Rachel Doe. \"Deep Learning for Citation Analysis.\" _Journal of "
    "Informetrics_ 14, no. 2 (2020): 101–15. https://doi.org/10.1016/j.joi.2020.101015.";

TEST(CitationAnatomyTest, DissectsAnApaJournalArticle) {
  CitationAnatomy citation = ParseCitationAnatomy(kApa);
  EXPECT_EQ(citation.Of(citation.authors), "Smith, J. A., & Doe, R.");
  EXPECT_EQ(citation.Of(citation.year), "2020");
  EXPECT_EQ(citation.Of(citation.year_group), "(2020)");
  EXPECT_TRUE(citation.year_after_authors);
  EXPECT_TRUE(citation.year_parenthesized);
  EXPECT_EQ(citation.Of(citation.title), "Deep learning for citation analysis");
  EXPECT_EQ(citation.title_form, TitleForm::kPlain);
  EXPECT_EQ(citation.Of(citation.title_element), "Deep learning for citation analysis.");
  EXPECT_EQ(citation.Of(citation.container_name), "_Journal of Informetrics_");
  EXPECT_TRUE(citation.container_name_italic);
  EXPECT_EQ(citation.Of(citation.volume), "14");
  EXPECT_TRUE(citation.volume_italic);
  EXPECT_EQ(citation.Of(citation.issue), "2");
  EXPECT_EQ(citation.issue_form, IssueForm::kParenthesized);
  EXPECT_EQ(citation.Of(citation.pages), "101–115");
  EXPECT_FALSE(citation.pages_label.present());
  EXPECT_EQ(citation.link_kind, LinkKind::kDoiUrl);
  EXPECT_EQ(citation.Of(citation.doi), "10.1016/j.joi.2020.101015");
  EXPECT_TRUE(citation.container_details_understood);
  EXPECT_EQ(citation.source_type, "journal article");
}

TEST(CitationAnatomyTest, DissectsAnMlaJournalArticle) {
  CitationAnatomy citation = ParseCitationAnatomy(kMla);
  EXPECT_EQ(citation.Of(citation.authors), "Smith, John, and Rachel Doe");
  EXPECT_EQ(citation.Of(citation.title), "Deep Learning for Citation Analysis");
  EXPECT_EQ(citation.title_form, TitleForm::kQuoted);
  EXPECT_EQ(citation.Of(citation.title_element), "\"Deep Learning for Citation Analysis.\"");
  EXPECT_EQ(citation.Of(citation.container_name), "_Journal of Informetrics_");
  EXPECT_EQ(citation.Of(citation.volume_label), "vol. ");
  EXPECT_EQ(citation.Of(citation.volume), "14");
  EXPECT_EQ(citation.Of(citation.issue_group), "no. 2");
  EXPECT_EQ(citation.issue_form, IssueForm::kLabelled);
  EXPECT_EQ(citation.Of(citation.year), "2020");
  EXPECT_FALSE(citation.year_after_authors);
  EXPECT_EQ(citation.Of(citation.pages_label), "pp. ");
  EXPECT_EQ(citation.Of(citation.pages), "101–15");
  EXPECT_EQ(citation.link_kind, LinkKind::kNone);
  EXPECT_TRUE(citation.container_details_understood);
  EXPECT_EQ(citation.source_type, "journal article");
}

TEST(CitationAnatomyTest, DissectsAChicagoJournalArticle) {
  CitationAnatomy citation = ParseCitationAnatomy(kChicago);
  EXPECT_EQ(citation.Of(citation.authors), "Smith, John, and Rachel Doe");
  EXPECT_EQ(citation.Of(citation.container_name), "_Journal of Informetrics_");
  EXPECT_EQ(citation.Of(citation.container_details), " 14, no. 2 (2020): 101–15");
  EXPECT_EQ(citation.Of(citation.volume), "14");
  EXPECT_EQ(citation.Of(citation.issue), "2");
  EXPECT_EQ(citation.Of(citation.year_group), "(2020)");
  EXPECT_TRUE(citation.year_parenthesized);
  EXPECT_EQ(citation.Of(citation.pages_separator), ": ");
  EXPECT_EQ(citation.Of(citation.pages), "101–15");
  EXPECT_EQ(citation.Of(citation.link), "https://doi.org/10.1016/j.joi.2020.101015");
}

TEST(CitationAnatomyTest, FindsABareYearAfterInitials) {
  CitationAnatomy citation =
      ParseCitationAnatomy("Smith, J. A. and Doe, R. 2020. Deep Learning. Journal, 3(1), 1-9.");
  EXPECT_EQ(citation.Of(citation.authors), "Smith, J. A. and Doe, R.");
  EXPECT_EQ(citation.Of(citation.year), "2020");
  EXPECT_TRUE(citation.year_after_authors);
  EXPECT_FALSE(citation.year_parenthesized);
  EXPECT_EQ(citation.Of(citation.title), "Deep Learning");
  EXPECT_EQ(citation.Of(citation.container_name), "Journal");
  EXPECT_EQ(citation.Of(citation.pages), "1-9");
}

TEST(CitationAnatomyTest, EndsAuthorsAtATitleWhenTheYearIsMissing) {
  CitationAnatomy citation =
      ParseCitationAnatomy("Smith, J. A., & Doe, R. Deep learning today. _Journal_, _3_, 1–9.");
  EXPECT_EQ(citation.Of(citation.authors), "Smith, J. A., & Doe, R.");
  EXPECT_FALSE(citation.year.present());
  EXPECT_EQ(citation.Of(citation.title), "Deep learning today");
}

TEST(CitationAnatomyTest, KeepsAMiddleInitialInsideTheAuthors) {
  CitationAnatomy citation = ParseCitationAnatomy(
      "Smith, John, and Rachel A. Doe. \"Title Here.\" _Journal_ 3, no. 1 (2019): 1–9.");
  EXPECT_EQ(citation.Of(citation.authors), "Smith, John, and Rachel A. Doe");
}

TEST(CitationAnatomyTest, KeepsAnEllipsisInsideTheAuthors) {
  CitationAnatomy citation = ParseCitationAnatomy(
      "Smith, J., Doe, R., Lee, M., ... Zhang, Q. (2020). Title. _J_, _1_, 1–2.");
  EXPECT_EQ(citation.Of(citation.authors), "Smith, J., Doe, R., Lee, M., ... Zhang, Q.");
  EXPECT_TRUE(citation.year_after_authors);
}

TEST(CitationAnatomyTest, TakesADateInAContainerAsADateNotAVolume) {
  CitationAnatomy citation = ParseCitationAnatomy(
      "Doe, Jane. \"Reading.\" _Books Blog_, 25 Apr. 2013, example.com/2013/04/reading.");
  EXPECT_FALSE(citation.volume.present());
  EXPECT_EQ(citation.Of(citation.year), "2013");
  EXPECT_FALSE(citation.container_details_understood);
  EXPECT_EQ(citation.Of(citation.link), "example.com/2013/04/reading");
  EXPECT_EQ(citation.link_kind, LinkKind::kUrl);
  EXPECT_EQ(citation.source_type, "webpage");
}

TEST(CitationAnatomyTest, RecognisesLegacyDoiForms) {
  for (const char* link : {"doi:10.1000/xyz", "DOI: 10.1000/xyz", "http://dx.doi.org/10.1000/xyz",
                           "https://dx.doi.org/10.1000/xyz", "http://doi.org/10.1000/xyz"}) {
    CitationAnatomy citation =
        ParseCitationAnatomy(std::string("Smith, J. (2020). Title. _J_, _1_, 1–2. ") + link);
    EXPECT_EQ(citation.link_kind, LinkKind::kLegacyDoi) << link;
    EXPECT_EQ(citation.Of(citation.doi), "10.1000/xyz") << link;
  }
}

TEST(CitationAnatomyTest, ClassifiesSourceTypes) {
  EXPECT_EQ(ParseCitationAnatomy(kApa).source_type, "journal article");
  EXPECT_EQ(ParseCitationAnatomy("Smith, J. (2020). _The art of citation_. Oxford University "
                                 "Press.")
                .source_type,
            "book");
  EXPECT_EQ(ParseCitationAnatomy("Smith, J. (2020). _Citing well_. Penguin Random House. "
                                 "https://doi.org/10.1000/book")
                .source_type,
            "book");
  EXPECT_EQ(ParseCitationAnatomy("Smith, J. (2020, March 5). _How to cite_. Example Site. "
                                 "https://example.com/cite")
                .source_type,
            "webpage");
  EXPECT_EQ(ParseCitationAnatomy("Smith, J. (2020). Some title. "
                                 "https://doi.org/10.1000/abc")
                .source_type,
            "journal article");
  EXPECT_EQ(ParseCitationAnatomy("Notes from a lecture").source_type, "other");
  EXPECT_EQ(ParseCitationAnatomy("").source_type, "other");
}

TEST(CitationAnatomyTest, SurvivesOddInput) {
  for (const char* text : {"", ".", "(", "\"", "_", "__", "(2020).", "\"Unclosed title.",
                           "Smith, J. (2020", "a. b. c. d.", "https://", "doi:", "_x_ 1, 2 (",
                           "Smith, J. (2020). _Title_. _J_, _1_(", "- – —", "... …"}) {
    CitationAnatomy citation = ParseCitationAnatomy(text);
    EXPECT_FALSE(citation.source_type.empty()) << text;
  }
}

TEST(IsAbbreviationPeriodTest, KnowsInitialsAndAbbreviations) {
  absl::string_view text = "J. vol. et al. Smith. 2020. É. Müller.";
  EXPECT_TRUE(IsAbbreviationPeriod(text, text.find("J.") + 1));
  EXPECT_TRUE(IsAbbreviationPeriod(text, text.find("vol.") + 3));
  EXPECT_TRUE(IsAbbreviationPeriod(text, text.find("al.") + 2));
  EXPECT_FALSE(IsAbbreviationPeriod(text, text.find("Smith.") + 5));
  EXPECT_FALSE(IsAbbreviationPeriod(text, text.find("2020.") + 4));
  EXPECT_TRUE(IsAbbreviationPeriod(text, text.find("É.") + 2));
  EXPECT_FALSE(IsAbbreviationPeriod(text, text.find("Müller.") + 7));
}

TEST(YearLengthAtTest, RecognisesYears) {
  EXPECT_EQ(YearLengthAt("2020)", 0), 4u);
  EXPECT_EQ(YearLengthAt("2020a)", 0), 5u);
  EXPECT_EQ(YearLengthAt("n.d.)", 0), 4u);
  EXPECT_EQ(YearLengthAt("[MISSING: year]", 0), 15u);
  EXPECT_EQ(YearLengthAt("20201", 0), 0u);
  EXPECT_EQ(YearLengthAt("3020", 0), 0u);
  EXPECT_EQ(YearLengthAt("2020ab", 0), 0u);
}

// Source types recognised from the citation itself, on references rendered by citeproc-js with
// the official APA 7th, MLA 9th and Chicago 17th author-date styles.
TEST(CitationAnatomyTest, RecognisesEverySourceTypeInEveryStyle) {
  const std::pair<const char*, const char*> kCases[] = {
      {"MacDonald, A.-M. R. (Ed.). (1997). _Coral reef decline in the age of DNA_. Palgrave "
       "Macmillan.",
       "edited book"},
      {"O’Brien, S. A., Nguyen, M., & Wójcik, D. K. (1978). _Does citizen science predict soil "
       "erosion? Evidence from Scotland_ (5th ed.). Springer.",
       "book"},
      {"Al-Sayed, B. K., Jr. (2021). _Does early literacy predict antibiotic resistance?_ "
       "[Doctoral dissertation]. McGill University.",
       "thesis"},
      {"Williams, A. (2000). _Why do teachers resist student motivation?_ [Dataset]. Figshare. "
       "https://doi.org/10.9956/d.2004.29995",
       "dataset"},
      {"O’Brien, Y. (2023). Public trust in the age of fMRI. _Proceedings of the Annual Meeting "
       "of the Cognitive Science Society_, 856–862.",
       "conference paper"},
      {"Centers for Disease Control and Prevention. (2005). _When adolescent sleep meets remote "
       "work_ (WP-9558). RAND Corporation.",
       "report"},
      {"Mensah, C. (1976, May 16). _Why do software developers resist migrant labor?_ Pew "
       "Research Center. https://www.example.org/why-do-software-developers",
       "webpage"},
      {"Rossi, J. (2023). _QuickCite_ (Version 2.3) [Computer software]. GitHub. "
       "https://github.com/example/tool183",
       "software"},
      {"Lee, K. (2018). The rise of the novel. In R. Doe (Ed.), _A history of literature_ (pp. "
       "15–38). Routledge.",
       "book chapter"},
      {"Lee, Kim. \xE2\x80\x9CThe Rise of the Novel.\xE2\x80\x9D _A History of Literature_, edited "
       "by Rachel Doe, Routledge, 2018, pp. 15–38.",
       "book chapter"},
      {"Nguyen, An. _Essays on Labor Markets_. University of Michigan, 2016.", "thesis"},
      {"Mensah, Chlo\xC3\xA9. \xE2\x80\x9CWhy Do Developers Resist?\xE2\x80\x9D _Pew Research "
       "Center_, 16 May 1976, https://www.example.org/why.",
       "webpage"},
      {"Lee, Kim. 2018. \xE2\x80\x9CThe Rise of the Novel.\xE2\x80\x9D In _A History of "
       "Literature_, edited by Rachel Doe, 15–38. New York: Routledge.",
       "book chapter"},
      {"Nguyen, An. 2016. \xE2\x80\x9C"
       "Essays on Labor Markets.\xE2\x80\x9D Doctoral "
       "dissertation, University of Michigan.",
       "thesis"},
      {"Park, Priya Lee. 1998. \xE2\x80\x9C"
       "Children\xE2\x80\x99s Antibiotic "
       "Resistance.\xE2\x80\x9D _Urban Studies_ 63 (2): 805–22.",
       "journal article"},
  };
  for (const auto& [citation, type] : kCases) {
    EXPECT_EQ(ParseCitationAnatomy(citation).source_type, type) << citation;
  }
}

TEST(CitationAnatomyTest, KeepsAQuestionMarkSubtitleInTheTitle) {
  CitationAnatomy citation = ParseCitationAnatomy(
      "Lee, K. (2020). Does sleep predict grades? Evidence from Kenya. _Journal_, _3_(1), 1–9.");
  EXPECT_EQ(citation.Of(citation.title), "Does sleep predict grades? Evidence from Kenya");
  EXPECT_EQ(citation.Of(citation.container_name), "_Journal_");
}

TEST(CitationAnatomyTest, FindsPlaceAndPublisherAndChapterPages) {
  CitationAnatomy citation = ParseCitationAnatomy(
      "Lee, Kim. 2018. \xE2\x80\x9CThe Rise.\xE2\x80\x9D In _A History_, edited by Rachel Doe, "
      "15–38. Thousand Oaks, CA: Sage.");
  EXPECT_TRUE(citation.container_starts_with_in);
  EXPECT_EQ(citation.Of(citation.pages), "15–38");
  EXPECT_EQ(citation.Of(citation.place), "Thousand Oaks, CA");
  EXPECT_EQ(citation.Of(citation.publisher), "Sage");
}

}  // namespace
}  // namespace citecheck

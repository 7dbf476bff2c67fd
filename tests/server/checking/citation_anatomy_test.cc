#include "server/checking/citation_anatomy.h"

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

}  // namespace
}  // namespace citecheck

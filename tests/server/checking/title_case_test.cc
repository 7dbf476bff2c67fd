#include "server/checking/title_case.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(TitleCaseTest, RecognisesTitleCasedTitles) {
  EXPECT_TRUE(LooksTitleCased("Deep Learning for Citation Analysis"));
  EXPECT_FALSE(LooksTitleCased("Deep learning for citation analysis"));
  EXPECT_FALSE(LooksTitleCased("Deep learning in Germany and France"));
  EXPECT_FALSE(LooksTitleCased("Deep Learning"));  // Too little evidence.
  EXPECT_FALSE(LooksTitleCased("Using BERT and GPT with NLP"));
}

TEST(TitleCaseTest, SentenceCaseKeepsStartsAcronymsAndMixedCase) {
  EXPECT_EQ(ToSentenceCase("Deep Learning: A Review of BERT and iPhone Apps"),
            "Deep learning: A review of BERT and iPhone apps");
  EXPECT_EQ(ToSentenceCase("Self-Report Measures — The Next Step? Yes"),
            "Self-report measures — The next step? Yes");
  EXPECT_EQ(ToSentenceCase("What I Learned"), "What I learned");
  EXPECT_EQ(ToSentenceCase("M\xC3\xBCller Effects on COVID-19 Cases"),
            "M\xC3\xBCller effects on COVID-19 cases");
}

TEST(TitleCaseTest, FindsLowerCaseMajorWords) {
  EXPECT_TRUE(HasLowercaseMajorWords("Deep learning"));
  EXPECT_TRUE(HasLowercaseMajorWords("the Art of War"));
  EXPECT_TRUE(HasLowercaseMajorWords("What Is It for"));  // The last word is capitalised.
  EXPECT_FALSE(HasLowercaseMajorWords("The Art of War and Peace in the Modern Age"));
  EXPECT_FALSE(HasLowercaseMajorWords("Using iPhones with NLP"));
}

TEST(TitleCaseTest, TitleCaseCapitalisesMajorWordsOnly) {
  EXPECT_EQ(ToTitleCase("the art of war: a guide for the perplexed"),
            "The Art of War: A Guide for the Perplexed");
  EXPECT_EQ(ToTitleCase("Reading For The Plot"), "Reading for the Plot");
  EXPECT_EQ(ToTitleCase("self-report data in eHealth"), "Self-Report Data in eHealth");
  EXPECT_EQ(ToTitleCase("what is it for"), "What Is It For");
}

TEST(TitleCaseTest, SentenceCaseKeepsKnownProperNouns) {
  EXPECT_EQ(ToSentenceCase("Olive Farming in Andalusia: Lessons From the European Union"),
            "Olive farming in Andalusia: Lessons from the European Union");
  EXPECT_EQ(ToSentenceCase("Reading Simone de Beauvoir in Tokyo"),
            "Reading Simone de Beauvoir in Tokyo");
  EXPECT_EQ(ToSentenceCase("Marxist Readings of Jane Austen"), "Marxist readings of Jane Austen");
}

TEST(TitleCaseTest, ProperNounsAreNoEvidenceOfTitleCase) {
  EXPECT_FALSE(LooksTitleCased("Darwin and Freud in Kenya"));
  EXPECT_TRUE(LooksTitleCased("Carbon Pricing in the Age of HIV"));
}

TEST(TitleCaseTest, NameParticlesStayLowerCaseInTitleCase) {
  EXPECT_FALSE(HasLowercaseMajorWords("Simone de Beauvoir and the History of Water"));
  EXPECT_EQ(ToTitleCase("reading Ludwig van Beethoven"), "Reading Ludwig van Beethoven");
}

TEST(TitleCaseTest, AnEmDashWithoutSpacesSeparatesWords) {
  EXPECT_EQ(ToTitleCase("gene expression and maternal health\xE2\x80\x94"
                        "a case study"),
            "Gene Expression and Maternal Health\xE2\x80\x94"
            "A Case Study");
}

TEST(TitleCaseTest, SentenceCaseKeepsNamesAfterInitialsAndCapitalisedParticles) {
  EXPECT_EQ(ToSentenceCase("U.S. Foreign Policy and W. E. B. Du Bois"),
            "U.S. foreign policy and W. E. B. Du Bois");
  EXPECT_EQ(ToSentenceCase("Reading Ibn Khaldun Today"), "Reading Ibn Khaldun today");
}

}  // namespace
}  // namespace citecheck

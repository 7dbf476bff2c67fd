#include "server/checking/inline_matcher.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string>& ApaReferences() {
  static const std::vector<std::string>* const kReferences = new std::vector<std::string>{
      /*0*/
      "Smith, J. A. (2020). Deep learning for citation analysis. _Journal of "
      "Informetrics_, _14_(2), 101–115.",
      /*1*/
      "Smith, J. A., & Lee, K. (2019). Reading habits. _Reading Research Quarterly_, "
      "_54_(1), 1–20.",
      /*2*/ "Brown, R., Chen, Y., & Park, S. (2018). _Writing across cultures_. Routledge.",
      /*3*/ "Müller, K. (2017a). Learning online. _Computers & Education_, _3_(1), 4–5.",
      /*4*/ "Müller, K. (2017b). Learning offline. _Computers & Education_, _3_(2), 6–7.",
      /*5*/
      "World Health Organization. (2021). _Mental health atlas 2020_. World Health "
      "Organization.",
      /*6*/ "van der Berg, P. (2016). Dutch schools. _Journal of Schools_, _1_(1), 1–2.",
      /*7*/ "Garcia, M., & Lopez, A. (2015). Bilingual minds. _Mind_, _2_(1), 3–4.",
      /*8*/ "Nguyen, T. (2014). Study one. _Journal_, _2_(1), 3–4.",
      /*9*/ "Nguyen, T. (2014). Study two. _Journal_, _2_(1), 5–6.",
      /*10*/ "Learning to read. (2019). _The Economist_, _4_, 12.",
      /*11*/
      "Okafor, C. (n.d.). _Reading in Lagos_. Retrieved May 1, 2020, from "
      "https://example.org/lagos",
  };
  return *kReferences;
}

class InlineMatcherApaTest : public ::testing::Test {
 protected:
  v1::InlineCitation Match(const std::string& text) { return matcher_.Match(text); }
  InlineMatcher matcher_{v1::STYLE_APA7, ApaReferences()};
};

TEST_F(InlineMatcherApaTest, MatchesTheOneReferenceThatFits) {
  v1::InlineCitation verdict = Match("(Smith, 2020)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(0));
  EXPECT_TRUE(verdict.problem().empty());
  EXPECT_TRUE(verdict.correction().empty());
  EXPECT_EQ(Match("Smith and Lee (2019)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(Match("(Brown et al., 2018, p. 4)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(Match("(Okafor, n.d.)").match(), v1::MATCH_STATUS_MATCHED);
}

TEST_F(InlineMatcherApaTest, FoldsCaseAndDiacritics) {
  EXPECT_EQ(Match("(Muller, 2017a)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(Match("(MÜLLER, 2017b)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_THAT(Match("(Muller, 2017b)").reference_indices(), ElementsAre(4));
}

TEST_F(InlineMatcherApaTest, IgnoresLeadingParticles) {
  EXPECT_THAT(Match("Van der Berg (2016)").reference_indices(), ElementsAre(6));
  EXPECT_EQ(Match("(Berg, 2016)").match(), v1::MATCH_STATUS_MATCHED);
}

TEST_F(InlineMatcherApaTest, AWrongYearIsAMismatchWithACorrection) {
  v1::InlineCitation verdict = Match("(Smith, 2021, p. 3)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(0));
  EXPECT_EQ(verdict.problem(), "the year is 2020 in the reference, not 2021");
  EXPECT_EQ(verdict.correction(), "(Smith, 2020, p. 3)");
}

TEST_F(InlineMatcherApaTest, AMissingSecondAuthorIsAMismatch) {
  v1::InlineCitation verdict = Match("Garcia (2015)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(7));
  EXPECT_THAT(verdict.problem(), HasSubstr("the second author (Lopez) is missing"));
  EXPECT_EQ(verdict.correction(), "Garcia and Lopez (2015)");
}

TEST_F(InlineMatcherApaTest, AWrongSecondAuthorIsAMismatch) {
  v1::InlineCitation verdict = Match("(Smith & Chen, 2019)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(1));
  EXPECT_EQ(verdict.problem(), "the second author is Lee in the reference, not Chen");
  EXPECT_EQ(verdict.correction(), "(Smith & Lee, 2019)");
}

TEST_F(InlineMatcherApaTest, ANameNotInTheReferenceIsAMismatch) {
  v1::InlineCitation verdict = Match("(Smith, Lee, & Kim, 2019)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.problem(), HasSubstr("Kim is not among them"));
  EXPECT_EQ(verdict.correction(), "(Smith & Lee, 2019)");
}

TEST_F(InlineMatcherApaTest, EtAlForTwoAuthorsIsAMismatch) {
  v1::InlineCitation verdict = Match("Smith et al. (2019)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.problem(), HasSubstr("\"et al.\" is used, but the reference has only 2"));
  EXPECT_EQ(verdict.correction(), "Smith and Lee (2019)");
}

TEST_F(InlineMatcherApaTest, AllNamesWhereApaWantsEtAlIsAMismatch) {
  v1::InlineCitation verdict = Match("(Brown, Chen, & Park, 2018)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.problem(), HasSubstr("\"et al.\" for 3 or more authors"));
  EXPECT_EQ(verdict.correction(), "(Brown et al., 2018)");
  EXPECT_EQ(Match("Brown (2018)").correction(), "Brown et al. (2018)");
}

TEST_F(InlineMatcherApaTest, ASuffixMissingFromTwoCandidatesIsAmbiguous) {
  v1::InlineCitation verdict = Match("(Müller, 2017)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(3, 4));
  EXPECT_EQ(verdict.problem(), "the year suffix is missing: 2017 could be 2017a or 2017b");
  EXPECT_TRUE(verdict.correction().empty());
}

TEST_F(InlineMatcherApaTest, TwoWorksOfOneAuthorAndYearAreAmbiguous) {
  v1::InlineCitation verdict = Match("Nguyen (2014)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(8, 9));
  EXPECT_THAT(verdict.problem(), HasSubstr("year suffixes"));
}

TEST_F(InlineMatcherApaTest, EquallyCloseCandidatesAreAmbiguous) {
  // Müller 2017a and 2017b both have another year: nothing tells them apart.
  v1::InlineCitation verdict = Match("(Müller, 2016)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(3, 4));
  EXPECT_EQ(verdict.problem(),
            "no reference fits exactly and 2 references by Müller are equally close: Müller "
            "(2017a); Müller (2017b)");
}

TEST_F(InlineMatcherApaTest, TheClosestCandidateWinsAMismatch) {
  // Smith 2020 has the wrong year; Smith & Lee 2019 the wrong year and a missing author.
  EXPECT_THAT(Match("(Smith, 2010)").reference_indices(), ElementsAre(0));
  // Smith & Lee 2019 lacks only the second author; Smith 2020 has the wrong year.
  v1::InlineCitation verdict = Match("Smith (2019)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(1));
}

TEST_F(InlineMatcherApaTest, NoReferenceByTheAuthorIsNotFound) {
  v1::InlineCitation verdict = Match("(Taylor, 2010)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_THAT(verdict.reference_indices(), IsEmpty());
  EXPECT_EQ(verdict.problem(), "no reference by Taylor in the list");
}

TEST_F(InlineMatcherApaTest, GroupAuthorsMatchByNameOrAbbreviation) {
  EXPECT_THAT(Match("(WHO, 2021)").reference_indices(), ElementsAre(5));
  EXPECT_EQ(Match("(WHO, 2021)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(Match("(World Health Organization [WHO], 2021)").match(), v1::MATCH_STATUS_MATCHED);
  v1::InlineCitation verdict = Match("World Health Organization (2020)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(verdict.correction(), "World Health Organization (2021)");
}

TEST_F(InlineMatcherApaTest, ATitleStandsForAMissingAuthor) {
  v1::InlineCitation verdict = Match("(\"Learning to Read,\" 2019)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_THAT(verdict.reference_indices(), ElementsAre(10));
  EXPECT_EQ(Match("(\"Learning to Read,\" 2018)").correction(), "(\"Learning to Read,\" 2019)");
}

TEST_F(InlineMatcherApaTest, SentenceWordsBeforeANameAreDropped) {
  EXPECT_THAT(Match("Narrative Smith (2020)").reference_indices(), ElementsAre(0));
}

TEST_F(InlineMatcherApaTest, TextThatIsNoCitationIsNotFound) {
  v1::InlineCitation verdict = Match("(see Figure 2)");
  EXPECT_EQ(verdict.match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_THAT(verdict.problem(), HasSubstr("not read as an in-text citation of APA 7"));
}

TEST(InlineMatcherChicagoTest, NamesUpToThreeAuthorsAndEtAlFromFour) {
  InlineMatcher matcher(
      v1::STYLE_CHICAGO17,
      {"Smith, John, Rachel Doe, and Kim Lee. 2018. _A Book_. Chicago: University of Chicago "
       "Press.",
       "Brown, Ann, Carl Chen, Dana Park, and Eve Stone. 2017. \"Four Authors.\" _Journal_ 3 "
       "(1): 1–9."});
  EXPECT_EQ(matcher.Match("(Smith, Doe, and Lee 2018, 4)").match(), v1::MATCH_STATUS_MATCHED);
  v1::InlineCitation et_al = matcher.Match("(Smith et al. 2018)");
  EXPECT_EQ(et_al.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(et_al.problem(), HasSubstr("Chicago 17 names all of them"));
  EXPECT_EQ(et_al.correction(), "(Smith, Doe, and Lee 2018)");
  EXPECT_EQ(matcher.Match("(Brown et al. 2017)").match(), v1::MATCH_STATUS_MATCHED);
  v1::InlineCitation four = matcher.Match("(Brown, Chen, Park, and Stone 2017)");
  EXPECT_EQ(four.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_EQ(four.correction(), "(Brown et al. 2017)");
  EXPECT_EQ(matcher.Match("Smith, Doe, and Lee (2019)").correction(), "Smith, Doe, and Lee (2018)");
}

TEST(InlineMatcherMlaTest, MatchesByAuthorAndTellsWorksApartByShortTitle) {
  InlineMatcher matcher(
      v1::STYLE_MLA9,
      {"Smith, John. \"Deep Learning for Citation Analysis.\" _Journal of Informetrics_, vol. "
       "14, no. 2, 2020, pp. 101–15.",
       "Smith, John. _Reading Minds_. Penguin, 2018.",
       "Lee, Kim, and Rachel Doe. \"Two Authors.\" _Journal_, vol. 3, no. 1, 2017, pp. 1–9.",
       "Brown, Ann, et al. \"Many Authors.\" _Journal_, vol. 3, no. 1, 2016, pp. 1–9.",
       "\"Reading Habits.\" _The Economist_, 5 Mar. 2021, p. 12."});
  v1::InlineCitation two_works = matcher.Match("(Smith 45)");
  EXPECT_EQ(two_works.match(), v1::MATCH_STATUS_AMBIGUOUS);
  EXPECT_THAT(two_works.reference_indices(), ElementsAre(0, 1));
  EXPECT_THAT(two_works.problem(), HasSubstr("add a short title"));
  EXPECT_THAT(matcher.Match("(Smith, \"Reading Minds\" 33)").reference_indices(), ElementsAre(1));
  EXPECT_THAT(matcher.Match("(Smith, Reading Minds 33)").reference_indices(), ElementsAre(1));
  v1::InlineCitation wrong_title = matcher.Match("(Lee and Doe, \"Three Authors\" 4)");
  EXPECT_EQ(wrong_title.match(), v1::MATCH_STATUS_MISMATCH);
  EXPECT_THAT(wrong_title.problem(), HasSubstr("\"Two Authors\", not \"Three Authors\""));
  EXPECT_EQ(wrong_title.correction(), "(Lee and Doe, \"Two Authors\" 4)");
  EXPECT_EQ(matcher.Match("(Lee and Doe 4)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(matcher.Match("(Lee 4)").correction(), "(Lee and Doe 4)");
  EXPECT_EQ(matcher.Match("(Lee et al. 4)").correction(), "(Lee and Doe 4)");
  EXPECT_EQ(matcher.Match("(Brown et al. 3)").match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(matcher.Match("(Brown 3)").correction(), "(Brown et al. 3)");
  EXPECT_THAT(matcher.Match("(\"Reading Habits\" 12)").reference_indices(), ElementsAre(4));
  EXPECT_EQ(matcher.Match("(Jones 4)").match(), v1::MATCH_STATUS_NOT_FOUND);
}

TEST(NameKeyTest, FoldsAndDropsParticlesAndAbbreviations) {
  EXPECT_EQ(NameKey("Van der Berg"), "berg");
  EXPECT_EQ(NameKey("de Souza"), "souza");
  EXPECT_EQ(NameKey("Müller"), "muller");
  EXPECT_EQ(NameKey("World Health Organization [WHO]"), "world health organization");
  EXPECT_EQ(NameKey("van"), "van");
}

TEST(UncitedReferencesTest, ListsReferencesNoCitationPointsTo) {
  std::vector<v1::InlineCitation> citations(3);
  citations[0].add_reference_indices(1);
  citations[1].add_reference_indices(3);
  citations[1].add_reference_indices(4);  // an ambiguous one cites every candidate
  citations[2].set_match(v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_THAT(UncitedReferences(6, citations), ElementsAre(0, 2, 5));
  v1::Job job;
  for (const v1::InlineCitation& citation : citations) *job.add_inline_citations() = citation;
  EXPECT_THAT(UncitedReferences(6, job.inline_citations()), ElementsAre(0, 2, 5));
  EXPECT_THAT(UncitedReferences(0, citations), IsEmpty());
}

}  // namespace
}  // namespace citecheck

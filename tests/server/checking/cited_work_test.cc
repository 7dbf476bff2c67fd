#include "server/checking/cited_work.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseCitedWorkTest, ReadsAnApaParenthesis) {
  std::optional<CitedWork> work = ParseCitedWork("(see Smith & Lee, 2020a, p. 4)", v1::STYLE_APA7);
  ASSERT_TRUE(work.has_value());
  EXPECT_EQ(work->form, CitedWork::Form::kParenthetical);
  EXPECT_EQ(work->prefix, "see ");
  EXPECT_THAT(work->names, ElementsAre("Smith", "Lee"));
  EXPECT_EQ(work->connector, "&");
  EXPECT_FALSE(work->et_al);
  EXPECT_EQ(work->year, "2020a");
  EXPECT_EQ(work->locator, "p. 4");
}

// Found by fuzzing (inline_extractor_fuzzer): in a quoted title, the space before the comma
// that ends it stayed ("Title of Article & ,"), so the work written back (FormatCitedWork)
// read back with another title. The title is trimmed again after the comma is dropped.
TEST(ParseCitedWorkTest, AQuotedTitleIsTrimmedAfterItsClosingCommaIsDropped) {
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_CHICAGO17}) {
    std::optional<CitedWork> work = ParseCitedWork("(\"Title of Article & ,\" 2020)", style);
    ASSERT_TRUE(work.has_value()) << style;
    EXPECT_EQ(work->title, "Title of Article &");
    std::optional<CitedWork> again = ParseCitedWork(FormatCitedWork(*work, style), style);
    ASSERT_TRUE(again.has_value()) << FormatCitedWork(*work, style);
    EXPECT_EQ(again->title, work->title);
    EXPECT_EQ(again->year, "2020");
  }
}

TEST(ParseCitedWorkTest, ReadsANarrativeCitationWithPossessiveAndEtAl) {
  std::optional<CitedWork> work = ParseCitedWork("Smith et al.'s (2020, p. 12)", v1::STYLE_APA7);
  ASSERT_TRUE(work.has_value());
  EXPECT_EQ(work->form, CitedWork::Form::kNarrative);
  EXPECT_THAT(work->names, ElementsAre("Smith"));
  EXPECT_TRUE(work->et_al);
  EXPECT_EQ(work->possessive, "'s");
  EXPECT_EQ(work->year, "2020");
  EXPECT_EQ(work->locator, "p. 12");
}

TEST(ParseCitedWorkTest, ReadsAGroupMemberAndAGroupAuthorWithAbbreviation) {
  std::optional<CitedWork> member = ParseCitedWork("Lee, 2019", v1::STYLE_APA7);
  ASSERT_TRUE(member.has_value());
  EXPECT_EQ(member->form, CitedWork::Form::kGroupMember);
  EXPECT_THAT(member->names, ElementsAre("Lee"));

  std::optional<CitedWork> group =
      ParseCitedWork("(World Health Organization [WHO], n.d.)", v1::STYLE_APA7);
  ASSERT_TRUE(group.has_value());
  EXPECT_THAT(group->names, ElementsAre("World Health Organization"));
  EXPECT_EQ(group->abbreviation, "WHO");
  EXPECT_EQ(group->year, "n.d.");
}

TEST(ParseCitedWorkTest, ReadsMlaPagesAndShortTitles) {
  std::optional<CitedWork> work = ParseCitedWork("(Smith, \"Reading Minds\" 33)", v1::STYLE_MLA9);
  ASSERT_TRUE(work.has_value());
  EXPECT_THAT(work->names, ElementsAre("Smith"));
  EXPECT_EQ(work->title, "Reading Minds");
  EXPECT_EQ(work->locator, "33");
  EXPECT_TRUE(work->year.empty());

  std::optional<CitedWork> title_only = ParseCitedWork("(\"Reading Habits\" 12)", v1::STYLE_MLA9);
  ASSERT_TRUE(title_only.has_value());
  EXPECT_THAT(title_only->names, IsEmpty());
  EXPECT_EQ(title_only->title, "Reading Habits");
}

TEST(ParseCitedWorkTest, ReadsAnMlaItalicShortTitleWithoutQuotes) {
  std::optional<CitedWork> work = ParseCitedWork("(Cather, My \xC3\x81ntonia 88)", v1::STYLE_MLA9);
  ASSERT_TRUE(work.has_value());
  EXPECT_THAT(work->names, ElementsAre("Cather"));
  EXPECT_EQ(work->title, "My \xC3\x81ntonia");
  EXPECT_TRUE(work->title_italic);
  EXPECT_EQ(work->locator, "88");
  EXPECT_EQ(FormatCitedWork(*work, v1::STYLE_MLA9), "(Cather, _My \xC3\x81ntonia_ 88)");
  std::optional<CitedWork> marked = ParseCitedWork("Cather, _O Pioneers!_ 12", v1::STYLE_MLA9);
  ASSERT_TRUE(marked.has_value());
  EXPECT_EQ(marked->title, "O Pioneers!");
}

TEST(ParseCitedWorkTest, RejectsWhatIsNoCitation) {
  for (const char* text : {"(see Figure 2)", "(n = 45)", "(2020)", "the study (2020)", "(WHO)",
                           "Smith", "(Table 3, 2020)", "", "(Smith, Lee, 2020)"}) {
    EXPECT_FALSE(ParseCitedWork(text, v1::STYLE_APA7).has_value()) << text;
  }
  EXPECT_FALSE(ParseCitedWork("(Smith)", v1::STYLE_MLA9).has_value());
  EXPECT_FALSE(ParseCitedWork("Smith (45)", v1::STYLE_MLA9).has_value());
}

TEST(FormatCitedWorkTest, JoinsNamesAsEachStyleAndFormWants) {
  CitedWork work;
  work.names = {"Smith", "Lee"};
  work.year = "2020";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "(Smith & Lee, 2020)");
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_CHICAGO17), "(Smith and Lee 2020)");
  work.form = CitedWork::Form::kNarrative;
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "Smith and Lee (2020)");
  work.form = CitedWork::Form::kParenthetical;
  work.names = {"Smith", "Lee", "Brown"};
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_CHICAGO17), "(Smith, Lee, and Brown 2020)");
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "(Smith, Lee, & Brown, 2020)");
  work.names = {"Smith"};
  work.et_al = true;
  work.locator = "p. 4";
  work.prefix = "see ";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "(see Smith et al., 2020, p. 4)");
  work.form = CitedWork::Form::kGroupMember;
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "Smith et al., 2020, p. 4");
}

TEST(FormatCitedWorkTest, WritesMlaAuthorPageAndTitles) {
  CitedWork work;
  work.names = {"Smith", "Lee"};
  work.locator =
      "45\xE2\x80\x93"
      "46";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_MLA9),
            "(Smith and Lee 45\xE2\x80\x93"
            "46)");
  work.names = {"Smith"};
  work.title = "Reading Minds";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_MLA9),
            "(Smith, \"Reading Minds\" 45\xE2\x80\x93"
            "46)");
  work.names.clear();
  work.locator = "12";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_MLA9), "(\"Reading Minds\" 12)");
}

TEST(FormatCitedWorkTest, WritesApaTitlesWithTheCommaInside) {
  CitedWork work;
  work.title = "Learning to Read";
  work.year = "2019";
  EXPECT_EQ(FormatCitedWork(work, v1::STYLE_APA7), "(\"Learning to Read,\" 2019)");
}

TEST(FormatCitedWorkTest, RoundTripsWhatItParses) {
  for (const char* text :
       {"(Smith, 2020)", "(see also Smith & Lee, 2020a, p. 4)", "Smith et al.'s (2020)",
        "(World Health Organization [WHO], 2020)", "(\"Learning to Read,\" 2019)"}) {
    std::optional<CitedWork> work = ParseCitedWork(text, v1::STYLE_APA7);
    ASSERT_TRUE(work.has_value()) << text;
    EXPECT_EQ(FormatCitedWork(*work, v1::STYLE_APA7), text);
  }
  for (const char* text : {"(Smith, Lee, and Brown 2020, 12)", "Smith and Lee (2020, 45)"}) {
    std::optional<CitedWork> work = ParseCitedWork(text, v1::STYLE_CHICAGO17);
    ASSERT_TRUE(work.has_value()) << text;
    EXPECT_EQ(FormatCitedWork(*work, v1::STYLE_CHICAGO17), text);
  }
  for (const char* text : {"(Smith et al. 12)", "(qtd. in Smith and Lee 4)"}) {
    std::optional<CitedWork> work = ParseCitedWork(text, v1::STYLE_MLA9);
    ASSERT_TRUE(work.has_value()) << text;
    EXPECT_EQ(FormatCitedWork(*work, v1::STYLE_MLA9), text);
  }
}

}  // namespace
}  // namespace citecheck

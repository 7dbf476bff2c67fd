#include "server/checking/prompts.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct StylePromptCase {
  v1::Style style;
  std::string success_line;
  std::string style_name;
};

class StylePromptTest : public ::testing::TestWithParam<StylePromptCase> {};

TEST_P(StylePromptTest, SuccessLineNamesTheStyle) {
  EXPECT_EQ(SuccessLine(GetParam().style), GetParam().success_line);
}

TEST_P(StylePromptTest, PromptHoldsTheStyleRulesAndSuccessLine) {
  std::string prompt(SystemPrompt(GetParam().style));
  EXPECT_THAT(prompt, HasSubstr(GetParam().success_line));
  EXPECT_THAT(prompt, HasSubstr(GetParam().style_name));
  for (const char* topic : {"Authors", "Date", "Titles", "italics", "DOI", "Pages"}) {
    EXPECT_THAT(prompt, HasSubstr(topic)) << topic;
  }
}

TEST_P(StylePromptTest, PromptAsksForTheBlockFormat) {
  std::string prompt(SystemPrompt(GetParam().style));
  for (const char* header : {"CITATION #<n>\n", "ORIGINAL:\n",
                             "SOURCE TYPE: <journal article | book | edited book | book chapter | "
                             "conference paper | webpage | report | thesis | dataset | software | "
                             "other>\n",
                             "VALIDATION RESULTS:\n", "❌ <Component>: <what is wrong>\n",
                             "   Should be: ", "CORRECTED CITATION:\n"}) {
    EXPECT_THAT(prompt, HasSubstr(header)) << header;
  }
  EXPECT_THAT(prompt, HasSubstr("nothing else"));
  EXPECT_THAT(prompt, HasSubstr("in the order given"));
}

TEST_P(StylePromptTest, PromptForbidsInventingData) {
  std::string prompt(SystemPrompt(GetParam().style));
  EXPECT_THAT(prompt, HasSubstr("NEVER INVENT DATA"));
  EXPECT_THAT(prompt, HasSubstr("[MISSING: element]"));
  EXPECT_THAT(prompt, HasSubstr("[MISSING: DOI]"));
}

TEST_P(StylePromptTest, PromptExplainsTheNumberedCitationsAndItalics) {
  std::string prompt(SystemPrompt(GetParam().style));
  EXPECT_THAT(prompt, HasSubstr("THE CITATIONS"));
  EXPECT_THAT(prompt, HasSubstr("numbered from 1 in the form \"1. <citation>\""));
  EXPECT_THAT(prompt, HasSubstr("separated by blank lines"));
  EXPECT_THAT(prompt, HasSubstr("_x_ means x is in italics"));
}

TEST_P(StylePromptTest, PromptIsStableAcrossCalls) {
  EXPECT_EQ(SystemPrompt(GetParam().style).data(), SystemPrompt(GetParam().style).data());
}

INSTANTIATE_TEST_SUITE_P(
    AllStyles, StylePromptTest,
    ::testing::Values(
        StylePromptCase{v1::STYLE_APA7, "✓ No APA 7 formatting errors detected", "APA 7"},
        StylePromptCase{v1::STYLE_MLA9, "✓ No MLA 9 formatting errors detected", "MLA 9"},
        StylePromptCase{v1::STYLE_CHICAGO17, "✓ No Chicago 17 formatting errors detected",
                        "Chicago 17"}),
    [](const ::testing::TestParamInfo<StylePromptCase>& info) {
      return std::string(v1::Style_Name(info.param.style));
    });

TEST(PromptsTest, PromptsDifferPerStyleAndOnlyNameTheirOwnSuccessLine) {
  std::string apa(SystemPrompt(v1::STYLE_APA7));
  std::string mla(SystemPrompt(v1::STYLE_MLA9));
  std::string chicago(SystemPrompt(v1::STYLE_CHICAGO17));
  EXPECT_NE(apa, mla);
  EXPECT_NE(mla, chicago);
  EXPECT_NE(apa, chicago);
  EXPECT_THAT(apa, Not(HasSubstr(SuccessLine(v1::STYLE_MLA9))));
  EXPECT_THAT(mla, Not(HasSubstr(SuccessLine(v1::STYLE_CHICAGO17))));
  EXPECT_THAT(chicago, Not(HasSubstr(SuccessLine(v1::STYLE_APA7))));
}

TEST(PromptsTest, PromptsCarryStyleSpecificRules) {
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_APA7)), HasSubstr("sentence case"));
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_MLA9)), HasSubstr("et al."));
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_MLA9)), HasSubstr("vol. 12, no. 3"));
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_CHICAGO17)), HasSubstr("headline-style"));
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_CHICAGO17)), HasSubstr("AUTHOR-DATE"));
  EXPECT_THAT(std::string(SystemPrompt(v1::STYLE_CHICAGO17)), HasSubstr("Place: Publisher"));
}

TEST(PromptsTest, UnspecifiedStyleMeansApa7) {
  EXPECT_EQ(SystemPrompt(v1::STYLE_UNSPECIFIED), SystemPrompt(v1::STYLE_APA7));
  EXPECT_EQ(SuccessLine(v1::STYLE_UNSPECIFIED), SuccessLine(v1::STYLE_APA7));
}

struct NumberedCase {
  std::vector<std::string> citations;
  std::string message;
};

class NumberedCitationsPromptTest : public ::testing::TestWithParam<NumberedCase> {};

TEST_P(NumberedCitationsPromptTest, BuildsTheUserMessage) {
  EXPECT_EQ(NumberedCitations(GetParam().citations), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, NumberedCitationsPromptTest,
    ::testing::Values(NumberedCase{{}, ""}, NumberedCase{{"a"}, "1. a"},
                      NumberedCase{{"a", "b"}, "1. a\n\n2. b"},
                      NumberedCase{
                          {"Lee, K. (2020). _T_.", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
                          "1. Lee, K. (2020). _T_.\n\n2. b\n\n3. c\n\n4. d\n\n5. e\n\n"
                          "6. f\n\n7. g\n\n8. h\n\n9. i\n\n10. j"}));

}  // namespace
}  // namespace citecheck

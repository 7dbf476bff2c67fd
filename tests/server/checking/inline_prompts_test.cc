#include "server/checking/inline_prompts.h"

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(InlineSystemPromptTest, NamesTheStyleItsRulesAndTheAnswerFormat) {
  EXPECT_THAT(InlineSystemPrompt(v1::STYLE_APA7), HasSubstr("APA 7 IN-TEXT CITATION RULES"));
  EXPECT_THAT(InlineSystemPrompt(v1::STYLE_MLA9), HasSubstr("MLA 9 IN-TEXT CITATION RULES"));
  EXPECT_THAT(InlineSystemPrompt(v1::STYLE_CHICAGO17),
              HasSubstr("CHICAGO 17 IN-TEXT CITATION RULES"));
  EXPECT_EQ(InlineSystemPrompt(v1::STYLE_UNSPECIFIED), InlineSystemPrompt(v1::STYLE_APA7));
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17}) {
    absl::string_view prompt = InlineSystemPrompt(style);
    EXPECT_THAT(prompt, HasSubstr("{\"results\": [{\"id\": \"c3\", \"match\": \"mismatch\""));
    EXPECT_THAT(prompt, HasSubstr("\"matched\", \"mismatch\", \"not_found\", \"ambiguous\""));
    EXPECT_THAT(prompt, HasSubstr("REFERENCES:"));
    EXPECT_THAT(prompt, HasSubstr("IN-TEXT CITATIONS:"));
    EXPECT_THAT(prompt, HasSubstr("1-based"));
  }
  // The fake LLM tells styles apart by these names.
  EXPECT_THAT(InlineSystemPrompt(v1::STYLE_APA7), Not(HasSubstr("MLA 9")));
  EXPECT_THAT(InlineSystemPrompt(v1::STYLE_APA7), Not(HasSubstr("Chicago 17")));
}

TEST(InlineCitationIdTest, IsCPlusTheIndexPlusOne) {
  EXPECT_EQ(InlineCitationId(0), "c1");
  EXPECT_EQ(InlineCitationId(41), "c42");
}

TEST(InlineUserMessageTest, NumbersReferencesFromOneAndKeepsCitationIds) {
  EXPECT_EQ(InlineUserMessage({"Lee, K. (2019). Reading.", "Smith, J. (2020).\nWriting."},
                              {{0, "(Lee, 2019)"}, {3, "Smith  (2020)"}}),
            "REFERENCES:\n1. Lee, K. (2019). Reading.\n2. Smith, J. (2020). Writing.\n\n"
            "IN-TEXT CITATIONS:\nc1: (Lee, 2019)\nc4: Smith (2020)");
}

}  // namespace
}  // namespace citecheck

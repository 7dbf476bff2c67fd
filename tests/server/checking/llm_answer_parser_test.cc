#include "server/checking/llm_answer_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/checking/markdown_html.h"
#include "server/checking/prompts.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kCleanAnswer[] = R"(CITATION #1
ORIGINAL:
Smith, J. A. (2020). Deep learning. _Informetrics_, _14_(2), 1–15. https://doi.org/10.1/a_b
SOURCE TYPE: journal article
VALIDATION RESULTS:
✓ No APA 7 formatting errors detected
CORRECTED CITATION:
Smith, J. A. (2020). Deep learning. _Informetrics_, _14_(2), 1–15. https://doi.org/10.1/a_b

CITATION #2
ORIGINAL:
Doe, R., and Lee, M. (2019). Citation Styles Compared. Journal, 3(1), 5-9.
SOURCE TYPE: journal article
VALIDATION RESULTS:
❌ Authors: Use "&" instead of "and" before the last author
   Should be: Doe, R., & Lee, M.
❌ Journal: The journal name and volume must be in italics
   Should be: _Journal_, _3_(1)
CORRECTED CITATION:
Doe, R., & Lee, M. (2019). Citation styles compared. _Journal_, _3_(1), 5–9. [MISSING: DOI]
)";

ParsedAnswer Parse(absl::string_view answer, int expected_count) {
  return ParseLlmAnswer(answer, v1::STYLE_APA7, expected_count);
}

// One block with a single error, for the tolerance tests.
std::string ErrorBlock(int number) {
  return "CITATION #" + std::to_string(number) + "\nORIGINAL:\nWork " + std::to_string(number) +
         ".\nSOURCE TYPE: book\nVALIDATION RESULTS:\n❌ Year: Missing\n"
         "   Should be: [MISSING: year]\nCORRECTED CITATION:\nFixed " +
         std::to_string(number) + ".\n";
}

TEST(LlmAnswerParserTest, ParsesACleanAnswer) {
  ParsedAnswer parsed = Parse(kCleanAnswer, 2);
  EXPECT_TRUE(parsed.any_block);
  EXPECT_THAT(parsed.missing, IsEmpty());
  ASSERT_THAT(parsed.results, SizeIs(2));

  const v1::CitationResult& first = parsed.results.at(1);
  EXPECT_EQ(first.index(), 0);
  EXPECT_EQ(first.original(),
            "Smith, J. A. (2020). Deep learning. <em>Informetrics</em>, <em>14</em>(2), "
            "1–15. https://doi.org/10.1/a_b");
  EXPECT_EQ(first.source_type(), "journal article");
  EXPECT_THAT(first.errors(), IsEmpty());
  EXPECT_EQ(first.corrected_citation(), "");
  EXPECT_TRUE(first.valid());

  const v1::CitationResult& second = parsed.results.at(2);
  EXPECT_EQ(second.original(),
            "Doe, R., and Lee, M. (2019). Citation Styles Compared. Journal, 3(1), 5-9.");
  EXPECT_EQ(second.source_type(), "journal article");
  ASSERT_THAT(second.errors(), SizeIs(2));
  EXPECT_EQ(second.errors(0).component(), "Authors");
  EXPECT_EQ(second.errors(0).problem(), "Use \"&\" instead of \"and\" before the last author");
  EXPECT_EQ(second.errors(0).correction(), "Doe, R., & Lee, M.");
  EXPECT_EQ(second.errors(1).component(), "Journal");
  EXPECT_EQ(second.errors(1).problem(), "The journal name and volume must be in italics");
  EXPECT_EQ(second.errors(1).correction(), "<em>Journal</em>, <em>3</em>(1)");
  EXPECT_EQ(second.corrected_citation(),
            "Doe, R., & Lee, M. (2019). Citation styles compared. <em>Journal</em>, "
            "<em>3</em>(1), 5–9. [MISSING: DOI]");
  EXPECT_FALSE(second.valid());
}

TEST(LlmAnswerParserTest, JoinsMultiLineOriginalAndCorrected) {
  constexpr char kAnswer[] = R"(CITATION #1
ORIGINAL: Doe, R.
  (2019).   Title one.
Publisher.
SOURCE TYPE: book
VALIDATION RESULTS:
❌ Title: Not italic
Should be: _Title one_
CORRECTED CITATION:
Doe, R. (2019).
_Title one_.
Publisher.
)";
  ParsedAnswer parsed = Parse(kAnswer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  const v1::CitationResult& result = parsed.results.at(1);
  EXPECT_EQ(result.original(), "Doe, R. (2019). Title one. Publisher.");
  EXPECT_EQ(result.corrected_citation(), "Doe, R. (2019). <em>Title one</em>. Publisher.");
  EXPECT_EQ(result.errors(0).correction(), "<em>Title one</em>");
}

// Variations of the headers and separators that must all read the same as ErrorBlock(n).
struct DecorationCase {
  std::string name;
  std::string answer;
};

class LlmAnswerDecorationTest : public ::testing::TestWithParam<DecorationCase> {};

TEST_P(LlmAnswerDecorationTest, ReadsBothBlocks) {
  ParsedAnswer parsed = Parse(GetParam().answer, 2);
  EXPECT_TRUE(parsed.any_block);
  EXPECT_THAT(parsed.missing, IsEmpty());
  ASSERT_THAT(parsed.results, SizeIs(2));
  for (int number : {1, 2}) {
    const v1::CitationResult& result = parsed.results.at(number);
    std::string n = std::to_string(number);
    EXPECT_EQ(result.original(), "Work " + n + ".") << number;
    EXPECT_EQ(result.source_type(), "book") << number;
    ASSERT_THAT(result.errors(), SizeIs(1)) << number;
    EXPECT_EQ(result.errors(0).component(), "Year");
    EXPECT_EQ(result.errors(0).problem(), "Missing");
    EXPECT_EQ(result.errors(0).correction(), "[MISSING: year]");
    EXPECT_EQ(result.corrected_citation(), "Fixed " + n + ".") << number;
    EXPECT_FALSE(result.valid());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Variants, LlmAnswerDecorationTest,
    ::testing::Values(
        DecorationCase{"Plain", ErrorBlock(1) + "\n" + ErrorBlock(2)},
        DecorationCase{"NoBlankLineBetween", ErrorBlock(1) + ErrorBlock(2)},
        DecorationCase{"RuleLines", "═══════════\n" + ErrorBlock(1) + "═══════════\n" +
                                        ErrorBlock(2) + "───────────\n"},
        DecorationCase{"AsciiRules", "----\n" + ErrorBlock(1) + "====\n\n***\n" + ErrorBlock(2)},
        DecorationCase{"BoldHeaders",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"CITATION #1", "**CITATION #1**"},
                                            {"CITATION #2", "**CITATION #2**"},
                                            {"ORIGINAL:", "**ORIGINAL:**"},
                                            {"SOURCE TYPE:", "**Source Type:**"},
                                            {"VALIDATION RESULTS:", "**VALIDATION RESULTS**:"},
                                            {"CORRECTED CITATION:", "**Corrected citation:**"}})},
        DecorationCase{"HeadingHeaders",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"CITATION #1", "### CITATION #1"},
                                            {"CITATION #2", "## Citation #2:"},
                                            {"VALIDATION RESULTS:", "#### VALIDATION RESULTS"}})},
        DecorationCase{"ColonAndNoHash", absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                                             {{"CITATION #1", "CITATION #1:"},
                                                              {"CITATION #2", "Citation 2."}})},
        DecorationCase{"Crlf",
                       absl::StrReplaceAll(ErrorBlock(1) + "\n" + ErrorBlock(2), {{"\n", "\r\n"}})},
        DecorationCase{"ExtraSpacingAndBlankLines",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"\n", "\n\n"}, {"ORIGINAL:", "   ORIGINAL:   "}})},
        DecorationCase{"ProseAround", "Sure! Here are the results of the check.\n\n" +
                                          ErrorBlock(1) + "\n" + ErrorBlock(2) +
                                          "\nLet me know if you need anything else.\n"},
        DecorationCase{"CodeFence", "```\n" + ErrorBlock(1) + "\n" + ErrorBlock(2) + "```\n"},
        DecorationCase{
            "BulletedErrorsAndCorrections",
            absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                {{"❌ Year", "- ❌ Year"}, {"   Should be:", "  - **should be:**"}})},
        DecorationCase{"OtherErrorMarks", absl::StrReplaceAll(ErrorBlock(1), {{"❌", "✗"}}) +
                                              absl::StrReplaceAll(ErrorBlock(2), {{"❌", "X"}})},
        DecorationCase{"BoldComponent", absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                                            {{"❌ Year:", "❌ **Year:**"}})},
        DecorationCase{"SameLineCorrection",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"Missing\n   Should be:", "Missing — Should be:"}})},
        DecorationCase{"CorrectionOnNextLine",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"Should be: [", "Should be:\n      ["}})},
        DecorationCase{"EchoedNumber",
                       absl::StrReplaceAll(ErrorBlock(1) + ErrorBlock(2),
                                           {{"ORIGINAL:\nWork 1", "ORIGINAL:\n1. Work 1"},
                                            {"ORIGINAL:\nWork 2", "ORIGINAL:\n2. Work 2"}})}),
    [](const ::testing::TestParamInfo<DecorationCase>& info) { return info.param.name; });

TEST(LlmAnswerParserTest, MissingSourceTypeIsOther) {
  std::string answer = absl::StrReplaceAll(ErrorBlock(1), {{"SOURCE TYPE: book\n", ""}}) +
                       absl::StrReplaceAll(ErrorBlock(2), {{"SOURCE TYPE: book", "SOURCE TYPE:"}});
  ParsedAnswer parsed = Parse(answer, 2);
  ASSERT_THAT(parsed.results, SizeIs(2));
  EXPECT_EQ(parsed.results.at(1).source_type(), "other");
  EXPECT_EQ(parsed.results.at(2).source_type(), "other");
}

TEST(LlmAnswerParserTest, SourceTypeIsLowerCasedAndTemplateEchoIsOther) {
  std::string answer =
      absl::StrReplaceAll(ErrorBlock(1), {{"SOURCE TYPE: book", "SOURCE TYPE: **Book Chapter**"}}) +
      absl::StrReplaceAll(ErrorBlock(2),
                          {{"SOURCE TYPE: book", "SOURCE TYPE: <journal article | book | other>"}});
  ParsedAnswer parsed = Parse(answer, 2);
  ASSERT_THAT(parsed.results, SizeIs(2));
  EXPECT_EQ(parsed.results.at(1).source_type(), "book chapter");
  EXPECT_EQ(parsed.results.at(2).source_type(), "other");
}

TEST(LlmAnswerParserTest, ReportsOmittedBlocksAsMissing) {
  ParsedAnswer parsed = Parse(ErrorBlock(1) + "\n" + ErrorBlock(3), 3);
  EXPECT_TRUE(parsed.any_block);
  EXPECT_THAT(parsed.missing, ElementsAre(2));
  EXPECT_THAT(parsed.results, SizeIs(2));
  EXPECT_EQ(parsed.results.count(2), 0u);
}

TEST(LlmAnswerParserTest, NoBlockAtAll) {
  for (const char* answer :
       {"", "   \n\n", "I'm sorry, I cannot help with that.",
        "Here is a summary: all the citations look fine to me.",
        "ORIGINAL:\nSmith.\nVALIDATION RESULTS:\n✓ No APA 7 formatting errors detected\n"}) {
    ParsedAnswer parsed = Parse(answer, 2);
    EXPECT_FALSE(parsed.any_block) << answer;
    EXPECT_THAT(parsed.results, IsEmpty()) << answer;
    EXPECT_THAT(parsed.missing, ElementsAre(1, 2)) << answer;
  }
}

TEST(LlmAnswerParserTest, GarbageIsIgnored) {
  for (const char* answer :
       {"CITATION #\nORIGINAL:\nx\nVALIDATION RESULTS:\n❌ A: b\n", "CITATION #1\n",
        "CITATION #1\nORIGINAL:\nx\nCORRECTED CITATION:\ny\n",
        "CITATION #1\nVALIDATION RESULTS:\n\n\nCORRECTED CITATION:\n",
        "CITATION #99999999999\nVALIDATION RESULTS:\n✓ fine\n", "\x01\xff\xfe**__**_*",
        "CITATION #1\nVALIDATION RESULTS:\nShould be: x\n",
        "Citations 1 and 2 are fine.\nVALIDATION RESULTS:\n✓ ok\n"}) {
    ParsedAnswer parsed = Parse(answer, 1);
    EXPECT_FALSE(parsed.any_block) << answer;
    EXPECT_THAT(parsed.missing, ElementsAre(1)) << answer;
  }
}

TEST(LlmAnswerParserTest, FirstBlockForANumberWins) {
  std::string second =
      absl::StrReplaceAll(ErrorBlock(1), {{"Work 1.", "Second"}, {"Fixed 1.", "Other"}});
  ParsedAnswer parsed = Parse(ErrorBlock(1) + "\n" + second, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_EQ(parsed.results.at(1).original(), "Work 1.");
  EXPECT_EQ(parsed.results.at(1).corrected_citation(), "Fixed 1.");
}

TEST(LlmAnswerParserTest, AnUnusableFirstBlockDoesNotShadowALaterOne) {
  ParsedAnswer parsed = Parse("CITATION #1\nORIGINAL:\nTruncated\n\n" + ErrorBlock(1), 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_EQ(parsed.results.at(1).original(), "Work 1.");
}

TEST(LlmAnswerParserTest, IgnoresNumbersOutOfRange) {
  ParsedAnswer parsed = Parse(ErrorBlock(0) + ErrorBlock(2) + ErrorBlock(3) + ErrorBlock(-1), 2);
  EXPECT_TRUE(parsed.any_block);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_EQ(parsed.results.count(2), 1u);
  EXPECT_THAT(parsed.missing, ElementsAre(1));

  ParsedAnswer only_out_of_range = Parse(ErrorBlock(5), 2);
  EXPECT_FALSE(only_out_of_range.any_block);
  EXPECT_THAT(only_out_of_range.missing, ElementsAre(1, 2));
}

TEST(LlmAnswerParserTest, CorrectedEqualToOriginalIsEmptied) {
  std::string answer = absl::StrReplaceAll(
      ErrorBlock(1), {{"Work 1.", "Lee, K. _Book_."}, {"Fixed 1.", "Lee,  K.\n_Book_."}});
  ParsedAnswer parsed = Parse(answer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_EQ(parsed.results.at(1).original(), "Lee, K. <em>Book</em>.");
  EXPECT_THAT(parsed.results.at(1).errors(), SizeIs(1));
  EXPECT_EQ(parsed.results.at(1).corrected_citation(), "");
  EXPECT_FALSE(parsed.results.at(1).valid());
}

TEST(LlmAnswerParserTest, NoErrorsMeansNoCorrectedCitation) {
  constexpr char kAnswer[] = R"(CITATION #1
ORIGINAL:
Lee, K. (2020). _Book_. Press.
SOURCE TYPE: book
VALIDATION RESULTS:
✓ No APA 7 formatting errors detected
CORRECTED CITATION:
Lee, K. (2020). _A different book_. Press.
)";
  ParsedAnswer parsed = Parse(kAnswer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_TRUE(parsed.results.at(1).valid());
  EXPECT_THAT(parsed.results.at(1).errors(), IsEmpty());
  EXPECT_EQ(parsed.results.at(1).corrected_citation(), "");
}

TEST(LlmAnswerParserTest, ShouldBeBeforeAnyErrorIsIgnored) {
  constexpr char kAnswer[] = R"(CITATION #1
ORIGINAL:
Lee, K. Book.
VALIDATION RESULTS:
Should be: something odd
❌ Title: Not italic
Should be: _Book_
Should be: a second correction is ignored
CORRECTED CITATION:
Lee, K. _Book_.
)";
  ParsedAnswer parsed = Parse(kAnswer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  ASSERT_THAT(parsed.results.at(1).errors(), SizeIs(1));
  EXPECT_EQ(parsed.results.at(1).errors(0).problem(), "Not italic");
  EXPECT_EQ(parsed.results.at(1).errors(0).correction(), "<em>Book</em>");
}

TEST(LlmAnswerParserTest, ErrorsWithoutCorrectionOrComponent) {
  constexpr char kAnswer[] = R"(CITATION #1
ORIGINAL: x
VALIDATION RESULTS:
❌ Pages: Missing page range,
   which journal articles need
❌ The entry is not in the style at all
❌ _Journal_ not italic
Should be _Journal_
CORRECTED CITATION: y
)";
  ParsedAnswer parsed = Parse(kAnswer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  const v1::CitationResult& result = parsed.results.at(1);
  ASSERT_THAT(result.errors(), SizeIs(3));
  EXPECT_EQ(result.errors(0).component(), "Pages");
  EXPECT_EQ(result.errors(0).problem(), "Missing page range, which journal articles need");
  EXPECT_EQ(result.errors(0).correction(), "");
  EXPECT_EQ(result.errors(1).component(), "Citation");
  EXPECT_EQ(result.errors(1).problem(), "The entry is not in the style at all");
  EXPECT_EQ(result.errors(2).component(), "Citation");
  EXPECT_EQ(result.errors(2).problem(), "_Journal_ not italic");
  EXPECT_EQ(result.errors(2).correction(), "<em>Journal</em>");
  EXPECT_EQ(result.corrected_citation(), "y");
}

TEST(LlmAnswerParserTest, MixedDecorationsAndInlineCorrections) {
  constexpr char kAnswer[] = R"(Here you go:

**CITATION #1**
**ORIGINAL:** Smith, John. _Book_. Penguin, 2019.
**SOURCE TYPE:** Book
**VALIDATION RESULTS:**
- ❌ **Publisher:** Not the full name (should be: Penguin Random House)
- ❌ Title: Missing its article; Should be:
  _The Book_
**CORRECTED CITATION:** Smith, John. _The Book_. Penguin Random House, 2019.

---
CITATION #2 — MLA 9
ORIGINAL:
“Rain.” _Poetry_, vol. 3, 2001, pp. 4-5.
VALIDATION RESULTS: ✓ No MLA 9 formatting errors detected
CORRECTED CITATION: same

I hope this helps!)";
  ParsedAnswer parsed = ParseLlmAnswer(kAnswer, v1::STYLE_MLA9, 3);
  EXPECT_THAT(parsed.missing, ElementsAre(3));
  ASSERT_THAT(parsed.results, SizeIs(2));
  const v1::CitationResult& first = parsed.results.at(1);
  EXPECT_EQ(first.original(), "Smith, John. <em>Book</em>. Penguin, 2019.");
  EXPECT_EQ(first.source_type(), "book");
  ASSERT_THAT(first.errors(), SizeIs(2));
  EXPECT_EQ(first.errors(0).component(), "Publisher");
  EXPECT_EQ(first.errors(0).problem(), "Not the full name");
  EXPECT_EQ(first.errors(0).correction(), "Penguin Random House");
  EXPECT_EQ(first.errors(1).component(), "Title");
  EXPECT_EQ(first.errors(1).problem(), "Missing its article");
  EXPECT_EQ(first.errors(1).correction(), "<em>The Book</em>");
  EXPECT_EQ(first.corrected_citation(),
            "Smith, John. <em>The Book</em>. Penguin Random House, 2019.");
  const v1::CitationResult& second = parsed.results.at(2);
  EXPECT_EQ(second.original(), "“Rain.” <em>Poetry</em>, vol. 3, 2001, pp. 4-5.");
  EXPECT_EQ(second.source_type(), "other");
  EXPECT_TRUE(second.valid());
  EXPECT_EQ(second.corrected_citation(), "");
}

TEST(LlmAnswerParserTest, ErrorsWinOverASuccessLine) {
  std::string answer = absl::StrReplaceAll(
      ErrorBlock(1), {{"VALIDATION RESULTS:\n", "VALIDATION RESULTS:\n✓ Looks fine\n"}});
  ParsedAnswer parsed = Parse(answer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  EXPECT_FALSE(parsed.results.at(1).valid());
  EXPECT_THAT(parsed.results.at(1).errors(), SizeIs(1));
}

struct SuccessCase {
  std::string name;
  std::string validation;
};

class LlmAnswerSuccessLineTest : public ::testing::TestWithParam<SuccessCase> {};

TEST_P(LlmAnswerSuccessLineTest, MeansNoErrorsWhateverTheStyle) {
  std::string answer =
      "CITATION #1\nORIGINAL:\nLee, K. (2020). _Book_. Press.\n"
      "SOURCE TYPE: book\nVALIDATION RESULTS:" +
      GetParam().validation + "\nCORRECTED CITATION:\nLee, K.\n";
  for (v1::Style style : {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17}) {
    ParsedAnswer parsed = ParseLlmAnswer(answer, style, 1);
    ASSERT_THAT(parsed.results, SizeIs(1)) << v1::Style_Name(style);
    EXPECT_TRUE(parsed.results.at(1).valid());
    EXPECT_THAT(parsed.results.at(1).errors(), IsEmpty());
    EXPECT_EQ(parsed.results.at(1).corrected_citation(), "");
    EXPECT_EQ(parsed.results.at(1).original(), "Lee, K. (2020). <em>Book</em>. Press.");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Lines, LlmAnswerSuccessLineTest,
    ::testing::Values(SuccessCase{"Apa7", "\n" + SuccessLine(v1::STYLE_APA7)},
                      SuccessCase{"Mla9", "\n" + SuccessLine(v1::STYLE_MLA9)},
                      SuccessCase{"Chicago17", "\n" + SuccessLine(v1::STYLE_CHICAGO17)},
                      SuccessCase{"SameLine", " ✓ No MLA 9 formatting errors detected"},
                      SuccessCase{"HeavyCheck", "\n✔️ All good"},
                      SuccessCase{"Emoji", "\n- ✅ Valid"},
                      SuccessCase{"NoErrorsWording", "\n  No formatting errors found."},
                      SuccessCase{"Bold", "\n**✓ No Chicago 17 formatting errors detected**"}),
    [](const ::testing::TestParamInfo<SuccessCase>& info) { return info.param.name; });

// Found in the fuzzing work (llm_answer_fuzzer, whose inputs are too short to show it): each
// opening "_", "*" or "**" looked for its closing
// marker afresh up to the end of the text, so an answer of 64 KB of "_a " (openers that never
// close) took seconds per field. Each position is now looked at once per conversion; what
// converts is unchanged (the table above).
TEST(LlmAnswerParserTest, TensOfThousandsOfUnclosedMarkersAreLeftInOnePass) {
  std::vector<std::string> words;
  for (int i = 0; i < 20000; ++i) words.insert(words.end(), {"_a", "*a", "**a"});
  const std::string unclosed = absl::StrJoin(words, " ");
  EXPECT_EQ(MarkdownToHtml(unclosed), unclosed);
  // Markers that close, before all of them, still convert.
  EXPECT_EQ(MarkdownToHtml("**_Both_** " + unclosed), "<strong><em>Both</em></strong> " + unclosed);
}

// Found by fuzzing (llm_answer_fuzzer): the conversion's link mask (\x01) was dropped where it
// stood alone but kept inside a link, whose bytes are put back as they were, so an answer with
// "https://doi.org\x01..." kept a mask in its fields. The mask is dropped before links are read.
TEST(LlmAnswerParserTest, LinkMaskInsideALinkIsDropped) {
  EXPECT_EQ(MarkdownToHtml("_J_. https://doi.org\x01/10.1/a_b \x01_x_"),
            "<em>J</em>. https://doi.org/10.1/a_b <em>x</em>");
  ParsedAnswer parsed =
      Parse(absl::StrReplaceAll(kCleanAnswer, {{"https://doi.org/10.1/a_b\nSOURCE",
                                                "https://doi.org\x01\x01/10.1/a_b\nSOURCE"}}),
            2);
  ASSERT_THAT(parsed.results, SizeIs(2));
  EXPECT_EQ(parsed.results.at(1).original(),
            "Smith, J. A. (2020). Deep learning. <em>Informetrics</em>, <em>14</em>(2), 1–15. "
            "https://doi.org/10.1/a_b");
}

TEST(LlmAnswerParserTest, UnderscoresInUrlsSurviveTheWholeParse) {
  std::string answer = absl::StrReplaceAll(
      ErrorBlock(1), {{"Work 1.", "Lee, K. _Book_. https://doi.org/10.1000/a_b_c"},
                      {"Fixed 1.", "Lee, K. (n.d.). _Book_. https://doi.org/10.1000/a_b_c"},
                      {"[MISSING: year]", "**(n.d.)** see https://x.org/snake_case_"}});
  ParsedAnswer parsed = Parse(answer, 1);
  ASSERT_THAT(parsed.results, SizeIs(1));
  const v1::CitationResult& result = parsed.results.at(1);
  EXPECT_EQ(result.original(), "Lee, K. <em>Book</em>. https://doi.org/10.1000/a_b_c");
  EXPECT_EQ(result.corrected_citation(),
            "Lee, K. (n.d.). <em>Book</em>. https://doi.org/10.1000/a_b_c");
  EXPECT_EQ(result.errors(0).correction(), "<strong>(n.d.)</strong> see https://x.org/snake_case_");
}

TEST(LlmAnswerParserTest, AnswerInThePromptFormatRoundTrips) {
  // What the prompt asks for, filled in for two citations.
  std::string answer = "CITATION #1\nORIGINAL:\nA.\nSOURCE TYPE: other\nVALIDATION RESULTS:\n" +
                       SuccessLine(v1::STYLE_MLA9) +
                       "\nCORRECTED CITATION:\nA.\n\nCITATION #2\nORIGINAL:\nB\n"
                       "SOURCE TYPE: webpage\nVALIDATION RESULTS:\n❌ Punctuation: No final "
                       "period\n   Should be: B.\nCORRECTED CITATION:\nB.\n";
  ParsedAnswer parsed = ParseLlmAnswer(answer, v1::STYLE_MLA9, 2);
  ASSERT_THAT(parsed.results, SizeIs(2));
  EXPECT_TRUE(parsed.results.at(1).valid());
  EXPECT_EQ(parsed.results.at(2).source_type(), "webpage");
  EXPECT_EQ(parsed.results.at(2).errors(0).correction(), "B.");
  EXPECT_EQ(parsed.results.at(2).corrected_citation(), "B.");
}

}  // namespace
}  // namespace citecheck

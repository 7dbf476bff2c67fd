#include "server/checking/unicode_text.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(UnicodeTextTest, InvisibleAndControlOnlyTextCollapsesToNothing) {
  // U+2003 em space, U+200B zero-width space, U+FEFF BOM, U+3000, U+00AD soft hyphen, U+2060.
  for (const char* blank :
       {"\u2003", "\u200B", "\uFEFF", "\u2003\u200B\uFEFF \t\u3000", "\u00AD\u2060\u180E",
        "\x01\x7f\u0085\u0090", "\x1b[31m\x1b[0m", "\x1b]0;title\a", ""}) {
    EXPECT_EQ(CollapseWhitespace(blank), "") << blank;
  }
}

TEST(UnicodeTextTest, ControlCharactersAndTerminalSequencesAreRemoved) {
  EXPECT_EQ(CollapseWhitespace(std::string("\x1b[1;31mSmith\x1b[0m, J.\0 (2020)\x07.", 30)),
            "Smith, J. (2020).");
  EXPECT_EQ(CollapseWhitespace("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ b\x1b"
                               "c"),
            "alink b");
  EXPECT_EQ(CollapseWhitespace("x\x1b"), "x");
  EXPECT_EQ(CollapseWhitespace("x\x1b[12"), "x");
}

// Found by citation_text_fuzzer and citation_html_fuzzer: with the NUL between them removed,
// "\xC2" and "\x80" joined into U+0080 and "\xC0" and "\x88" into an overlong U+0008, control
// characters left in a citation that a second cleaning removed ("\xC3 NUL \xA9" would have
// made an "é" the input does not have). Each malformed byte is now U+FFFD of its own.
TEST(UnicodeTextTest, MalformedBytesAroundARemovedControlCharacterDoNotJoin) {
  const std::string cases[][2] = {
      {std::string("n \xFF\f\xA0\0\xC2\0\0\x80\"", 11), "n \uFFFD \uFFFD\uFFFD\uFFFD\""},
      {std::string("_\xC0\0\x88\x0Fx", 6), "_\uFFFD\uFFFDx"},
      {"Caf\xC3\x01\xA9", "Caf\uFFFD\uFFFD"},
      {"a\xC0\xA0"       // an overlong space
       "b\xED\xA0\x80",  // a surrogate
       "a\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFD"},
  };
  for (const auto& [input, cleaned] : cases) {
    EXPECT_EQ(CollapseWhitespace(input), cleaned);
    EXPECT_EQ(CollapseWhitespace(cleaned), cleaned);
  }
  EXPECT_EQ(CollapseWhitespace("M\xC3\xBCller \xE2\x80\x94 \xE6\x9D\xB1"),
            "M\xC3\xBCller \xE2\x80\x94 \xE6\x9D\xB1");  // well-formed text unchanged
}

TEST(UnicodeTextTest, FormatCharactersTrimAtTheEndsAndInSpaceRunsButStayInsideWords) {
  EXPECT_EQ(CollapseWhitespace("\uFEFF\u200BDoe, J.\u200B \u2003\u200B(2020)\u200B\uFEFF"),
            "Doe, J. (2020)");
  EXPECT_EQ(CollapseWhitespace("\u0645\u06CC\u200C\u0634\u0648\u062F"),
            "\u0645\u06CC\u200C\u0634\u0648\u062F");  // a Persian ZWNJ
  EXPECT_EQ(CollapseWhitespace("a\u2028b\u205Fc\u1680d"), "a b c d");
}

// What citation_text_fuzzer's visible-text property had to learn (its list of invisible
// characters predated the cleaning's): U+FFFB in a space run went with the run. Every format
// character, U+061C, U+180E, U+2066..U+206F and U+FFF9..U+FFFB included, is trimmed at the
// ends, dropped inside a space run and kept between two visible characters.
TEST(UnicodeTextTest, EveryFormatCharacterGoesWithTheSpaceRunItIsIn) {
  for (const char* format : {"\u061C", "\u180E", "\u2066", "\u206F", "\uFFF9", "\uFFFB"}) {
    const std::string f = format;
    EXPECT_EQ(CollapseWhitespace(f + "a" + f + "b " + f + "\x0B" + f + "c" + f), "a" + f + "b c")
        << f;
  }
}

TEST(UnicodeTextTest, TellsCapitalsOfLatinGreekAndCyrillic) {
  EXPECT_TRUE(IsUppercaseLetter('S'));
  EXPECT_TRUE(IsUppercaseLetter(0xD6));   // Ö
  EXPECT_TRUE(IsUppercaseLetter(0x141));  // Ł
  EXPECT_TRUE(IsUppercaseLetter(0x160));  // Š
  EXPECT_TRUE(IsUppercaseLetter(0x17D));  // Ž
  EXPECT_TRUE(IsUppercaseLetter(0x394));  // Δ
  EXPECT_TRUE(IsUppercaseLetter(0x416));  // Ж
  EXPECT_FALSE(IsUppercaseLetter('s'));
  EXPECT_FALSE(IsUppercaseLetter(0xDF));   // ß
  EXPECT_FALSE(IsUppercaseLetter(0x142));  // ł
  EXPECT_FALSE(IsUppercaseLetter(0x17E));  // ž
  EXPECT_TRUE(IsLetter(0x142));
  EXPECT_FALSE(IsLetter('4'));
  EXPECT_FALSE(IsLetter(0xD7));  // ×
}

TEST(UnicodeTextTest, FoldsCaseAccentsApostrophesAndDashes) {
  EXPECT_EQ(FoldForComparison("Müller"), "muller");
  EXPECT_EQ(FoldForComparison("MULLER"), "muller");
  EXPECT_EQ(FoldForComparison("Łukasiewicz"), "lukasiewicz");
  EXPECT_EQ(FoldForComparison("Straße"), "strasse");
  EXPECT_EQ(FoldForComparison("O\xE2\x80\x99"
                              "Brien"),
            "o'brien");
  EXPECT_EQ(FoldForComparison("García\xE2\x80\x93López"), "garcia-lopez");
  EXPECT_EQ(FoldForComparison("  van\xC2\xA0 der  Berg "), "van der berg");
  EXPECT_EQ(FoldForComparison("Ζήνων"), FoldForComparison("ζήνων"));
}

}  // namespace
}  // namespace citecheck

#include "server/checking/unicode_text.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

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

#include "server/common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(Utf8Test, DecodesForwardAndBackward) {
  const std::string text = "a\xC3\xBC\xE2\x80\x93\xF0\x9F\x98\x80";  // a ü – 😀
  size_t width = 0;
  EXPECT_EQ(DecodeUtf8At(text, 0, &width), static_cast<uint32_t>('a'));
  EXPECT_EQ(width, 1u);
  EXPECT_EQ(DecodeUtf8At(text, 1, &width), 0xFCu);
  EXPECT_EQ(width, 2u);
  EXPECT_EQ(DecodeUtf8At(text, 3, &width), 0x2013u);
  EXPECT_EQ(width, 3u);
  EXPECT_EQ(DecodeUtf8Before(text, text.size(), &width), 0x1F600u);
  EXPECT_EQ(width, 4u);
  EXPECT_EQ(DecodeUtf8Before(text, 3, &width), 0xFCu);
}

TEST(Utf8Test, MalformedBytesReadAsReplacementOfWidthOne) {
  size_t width = 0;
  EXPECT_EQ(DecodeUtf8At("\xC3(", 0, &width), 0xFFFDu);
  EXPECT_EQ(width, 1u);
  EXPECT_EQ(DecodeUtf8At("\xE2\x80", 0, &width), 0xFFFDu);
  EXPECT_EQ(width, 1u);
  EXPECT_EQ(DecodeUtf8Before("a\x80", 2, &width), 0xFFFDu);  // a stray continuation byte
  EXPECT_EQ(width, 1u);
}

TEST(Utf8Test, EncodesAndReplacesWhatIsNotACharacter) {
  std::string out;
  AppendUtf8(0xFC, &out);
  AppendUtf8(0x1F600, &out);
  EXPECT_EQ(out, "\xC3\xBC\xF0\x9F\x98\x80");
  for (uint32_t bad : {0u, 0xD800u, 0x110000u}) {
    std::string replaced;
    AppendUtf8(bad, &replaced);
    EXPECT_EQ(replaced, "\xEF\xBF\xBD") << bad;
  }
}

TEST(Utf8Test, ValidationIsStrict) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII"));
  EXPECT_TRUE(IsValidUtf8("M\xC3\xBCller \xE2\x80\x93 \xF0\x9F\x98\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // cut short
  EXPECT_FALSE(IsValidUtf8("\xC3("));             // continuation missing
  EXPECT_FALSE(IsValidUtf8("\x80"));              // continuation without a lead
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
  EXPECT_EQ(ValidUtf8SequenceLength("\xE2\x80\x93x", 0), 3u);
  EXPECT_EQ(ValidUtf8SequenceLength("\xED\xA0\x80", 0), 0u);
}

TEST(Utf8PrefixTest, CutsBetweenCharacters) {
  const std::string text =
      "ab\xF0\x9F\x98\x80"
      "c";
  EXPECT_EQ(Utf8Prefix(text, 100), text);
  EXPECT_EQ(Utf8Prefix(text, 7), text);
  EXPECT_EQ(Utf8Prefix(text, 6), "ab\xF0\x9F\x98\x80");
  for (size_t max = 2; max < 6; ++max) EXPECT_EQ(Utf8Prefix(text, max), "ab") << max;
  EXPECT_EQ(Utf8Prefix(text, 0), "");
}

}  // namespace
}  // namespace citecheck

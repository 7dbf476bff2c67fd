#include "server/common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(IsValidUtf8Test, AcceptsUtf8AndRefusesTheRest) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii \xC3\xA9 \xE2\x80\x93 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xB8\x80"));      // lone surrogate U+DE00
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
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

#include "server/common/json_nesting.h"

#include <string>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(JsonNestingTest, CountsArraysAndObjects) {
  EXPECT_TRUE(JsonNestingAtMost(R"({"a": [1, {"b": [2]}]})", 4));
  EXPECT_FALSE(JsonNestingAtMost(R"({"a": [1, {"b": [2]}]})", 3));
  EXPECT_TRUE(JsonNestingAtMost("  [[]]", 2));
  EXPECT_FALSE(JsonNestingAtMost("[[[", 2));
}

TEST(JsonNestingTest, BracketsInStringsDoNotCount) {
  EXPECT_TRUE(JsonNestingAtMost(R"(["[[[{{{", "\"[[[", "\\"])", 1));
  // An escaped quote does not end the string.
  EXPECT_TRUE(JsonNestingAtMost(R"(["\" [[[ "])", 1));
}

TEST(JsonNestingTest, StopsWhereTheValueEnds) {
  EXPECT_TRUE(JsonNestingAtMost("[1] and then [[[[[[", 1));
  EXPECT_TRUE(JsonNestingAtMost("] [[[[", 1));
}

TEST(JsonNestingTest, DefaultLimit) {
  EXPECT_TRUE(JsonNestingAtMost(std::string(kMaxJsonNesting, '[')));
  EXPECT_FALSE(JsonNestingAtMost(std::string(kMaxJsonNesting + 1, '[')));
}

}  // namespace
}  // namespace citecheck

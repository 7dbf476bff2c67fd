#include "server/common/style_name.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(StyleNameTest, NamesEachStyleAndDefaultsToApa7) {
  EXPECT_EQ(StyleDisplayName(v1::STYLE_APA7), "APA 7");
  EXPECT_EQ(StyleDisplayName(v1::STYLE_MLA9), "MLA 9");
  EXPECT_EQ(StyleDisplayName(v1::STYLE_CHICAGO17), "Chicago 17");
  EXPECT_EQ(StyleDisplayName(v1::STYLE_UNSPECIFIED), "APA 7");
  EXPECT_EQ(StyleDisplayName(static_cast<v1::Style>(99)), "APA 7");
}

}  // namespace
}  // namespace citecheck

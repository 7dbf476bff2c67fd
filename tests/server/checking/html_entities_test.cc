#include "server/checking/html_entities.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(DecodeHtmlEntitiesTest, DecodesTheCommonNames) {
  EXPECT_EQ(DecodeHtmlEntities("&amp;&lt;&gt;&quot;&apos;&nbsp;&ndash;&mdash;&eacute;&uuml;"),
            "&<>\"'\xC2\xA0\xE2\x80\x93\xE2\x80\x94\xC3\xA9\xC3\xBC");
}

TEST(DecodeHtmlEntitiesTest, DecodesRareNamesOfTheHtml5List) {
  EXPECT_EQ(DecodeHtmlEntities("&NotEqualTilde;"), "\xE2\x89\x82\xCC\xB8");  // two code points
  EXPECT_EQ(DecodeHtmlEntities("&Zcaron;&lstrok;&zwj;&CounterClockwiseContourIntegral;"),
            "\xC5\xBD\xC5\x82\xE2\x80\x8D\xE2\x88\xB3");
  EXPECT_EQ(DecodeHtmlEntities("&Aopf;"), "\xF0\x9D\x94\xB8");
}

TEST(DecodeHtmlEntitiesTest, NamesAreCaseSensitive) {
  EXPECT_EQ(DecodeHtmlEntities("&Eacute;&eacute;&AMP;&Amp;"), "\xC3\x89\xC3\xA9&&Amp;");
}

TEST(DecodeHtmlEntitiesTest, LegacyNamesWorkWithoutSemicolonOthersDoNot) {
  EXPECT_EQ(DecodeHtmlEntities("a &amp b &copy2020 &notit; &ndash x"),
            "a & b \xC2\xA9"
            "2020 \xC2\xACit; &ndash x");
}

TEST(DecodeHtmlEntitiesTest, DecodesNumericReferences) {
  EXPECT_EQ(DecodeHtmlEntities("&#65;&#x42;&#X43;&#233;&#x1F600;"), "ABC\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(DecodeHtmlEntities("&#65 and &#x42"), "A and B");  // ";" is optional
}

TEST(DecodeHtmlEntitiesTest, ReadsC1ControlsAsWindows1252) {
  EXPECT_EQ(DecodeHtmlEntities("&#150;&#147;&#148;&#128;"),
            "\xE2\x80\x93\xE2\x80\x9C\xE2\x80\x9D\xE2\x82\xAC");
}

TEST(DecodeHtmlEntitiesTest, ReplacesInvalidCodePoints) {
  EXPECT_EQ(DecodeHtmlEntities("&#0;&#xD800;&#x110000;&#99999999999;"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(DecodeHtmlEntitiesTest, LeavesWhatIsNoReferenceAlone) {
  EXPECT_EQ(DecodeHtmlEntities("AT&T &bogus; &#xZZ; &# & &;"), "AT&T &bogus; &#xZZ; &# & &;");
}

TEST(DecodeHtmlCharacterReferenceTest, ReportsTheLengthUsed) {
  std::string out;
  EXPECT_EQ(DecodeHtmlCharacterReference("x&amp;y", 1, &out), 5u);
  EXPECT_EQ(DecodeHtmlCharacterReference("&copy2020", 0, &out), 5u);
  EXPECT_EQ(DecodeHtmlCharacterReference("&bogus;", 0, &out), 0u);
  EXPECT_EQ(out, "&\xC2\xA9");
}

}  // namespace
}  // namespace citecheck

#include "server/checking/html_text.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

// "S:name", "E:name" or "T:raw" per token.
std::vector<std::string> Tokens(absl::string_view html) {
  std::vector<std::string> tokens;
  HtmlScanner scanner(html);
  HtmlToken token;
  while (scanner.Next(&token)) {
    switch (token.kind) {
      case HtmlToken::Kind::kText:
        tokens.push_back("T:" + std::string(token.raw));
        break;
      case HtmlToken::Kind::kStartTag:
        tokens.push_back("S:" + token.name);
        break;
      case HtmlToken::Kind::kEndTag:
        tokens.push_back("E:" + token.name);
        break;
    }
    EXPECT_EQ(html.substr(token.begin, token.end - token.begin), token.raw);
  }
  return tokens;
}

TEST(HtmlScannerTest, YieldsTextAndTagsWithLowerCaseNames) {
  EXPECT_THAT(Tokens("<P class=\"a>b\">Hi <B>there</B></p>"),
              ::testing::ElementsAre("S:p", "T:Hi ", "S:b", "T:there", "E:b", "E:p"));
}

TEST(HtmlScannerTest, SkipsCommentsDoctypeScriptAndStyle) {
  EXPECT_THAT(Tokens("<!DOCTYPE html><!-- x --><script>if (a<b) {}</script>A<style>p{}</STYLE>B"),
              ::testing::ElementsAre("T:A", "T:B"));
}

TEST(HtmlScannerTest, KeepsALoneLessThanAndDropsAnUnfinishedTag) {
  EXPECT_THAT(Tokens("a < b <p"), ::testing::ElementsAre("T:a ", "T:<", "T: b "));
}

TEST(HtmlToPlainTextTest, DropsTagsAndEndsBlocksWithANewline) {
  EXPECT_EQ(HtmlToPlainText("<h1>Title</h1><p>One <em>two</em>.</p><p>Three</p>"),
            "Title\nOne two.\nThree\n");
}

TEST(HtmlToPlainTextTest, DropsHeadScriptAndStyle) {
  EXPECT_EQ(HtmlToPlainText("<html><head><title>T</title><style>x</style></head>"
                            "<body><p>Body</p><script>var a;</script></body></html>"),
            "Body\n\n\n");
}

TEST(HtmlToPlainTextTest, DecodesEveryEntityAndKeepsWhitespace) {
  EXPECT_EQ(HtmlToPlainText("<p>M&uuml;ller &amp; Lee  (2020,&nbsp;p.&#160;4)</p>"),
            "M\xC3\xBCller & Lee  (2020,\xC2\xA0p.\xC2\xA0"
            "4)\n");
}

TEST(HtmlToPlainTextTest, BreaksLinesAtBrAndBeforeUnclosedBlocks) {
  EXPECT_EQ(HtmlToPlainText("<p>a<br>b<p>c<div>d</div>"), "a\nb\nc\nd\n");
}

}  // namespace
}  // namespace citecheck

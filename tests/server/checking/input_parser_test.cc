#include "server/checking/input_parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseCitationListTest, TrimsAndCollapsesWhitespace) {
  EXPECT_THAT(ParseCitationList({"  Smith, J.\t(2020).\n Title.  ", "Doe,   R."}),
              ElementsAre("Smith, J. (2020). Title.", "Doe, R."));
}

TEST(ParseCitationListTest, DropsEmptyAndWhitespaceOnlyItems) {
  EXPECT_THAT(ParseCitationList({"", "A.", "   \n\t", "B."}), ElementsAre("A.", "B."));
  EXPECT_THAT(ParseCitationList({}), IsEmpty());
}

TEST(ParseCitationListTest, TreatsNoBreakSpaceAsWhitespace) {
  EXPECT_THAT(ParseCitationList({"Smith,\xC2\xA0J.\xC2\xA0"}), ElementsAre("Smith, J."));
}

TEST(ParseCitationListTest, KeepsNonAsciiText) {
  EXPECT_THAT(ParseCitationList({"M\xC3\xBCller, K. (2020). \xE2\x80\x9CTitle\xE2\x80\x9D"}),
              ElementsAre("M\xC3\xBCller, K. (2020). \xE2\x80\x9CTitle\xE2\x80\x9D"));
}

TEST(ParseCitationTextTest, SplitsOnBlankLines) {
  EXPECT_THAT(ParseCitationText("First citation.\n\nSecond citation.\n"),
              ElementsAre("First citation.", "Second citation."));
}

TEST(ParseCitationTextTest, JoinsLinesOfOneCitationWithASpace) {
  EXPECT_THAT(ParseCitationText("Smith, J. (2020).\nA long title\n   continued.\n\nDoe, R."),
              ElementsAre("Smith, J. (2020). A long title continued.", "Doe, R."));
}

TEST(ParseCitationTextTest, AcceptsCrLfAndCrLineEnds) {
  EXPECT_THAT(ParseCitationText("A one\r\nA two\r\n\r\nB one\rB two\r\rC"),
              ElementsAre("A one A two", "B one B two", "C"));
}

TEST(ParseCitationTextTest, TreatsWhitespaceOnlyLinesAsBlank) {
  EXPECT_THAT(ParseCitationText("A.\n  \t \nB.\n \xC2\xA0\nC."), ElementsAre("A.", "B.", "C."));
}

TEST(ParseCitationTextTest, DropsRunsOfBlankLinesAndEmptyInput) {
  EXPECT_THAT(ParseCitationText("\n\n\nA.\n\n\n\nB.\n\n"), ElementsAre("A.", "B."));
  EXPECT_THAT(ParseCitationText(""), IsEmpty());
  EXPECT_THAT(ParseCitationText(" \n \r\n\t"), IsEmpty());
}

TEST(ParseCitationHtmlTest, TakesOneCitationPerParagraph) {
  EXPECT_THAT(ParseCitationHtml("<p>First.</p>\n<p>Second\nline.</p>"),
              ElementsAre("First.", "Second line."));
}

TEST(ParseCitationHtmlTest, HandlesAttributesAndUpperCaseTags) {
  EXPECT_THAT(ParseCitationHtml("<P CLASS=\"ref\" data-x='a>b'>One <EM style=\"x\">two</EM></P>"
                                "<p class=x>Three</p>"),
              ElementsAre("One _two_", "Three"));
}

TEST(ParseCitationHtmlTest, ConvertsItalicTagsToUnderscores) {
  EXPECT_THAT(ParseCitationHtml("<p><i>Nature</i>, <em>14</em>(2), <u>x</u></p>"),
              ElementsAre("_Nature_, _14_(2), _x_"));
}

TEST(ParseCitationHtmlTest, ConvertsBoldTagsToDoubleAsterisks) {
  EXPECT_THAT(ParseCitationHtml("<p><b>Bold</b> and <strong>strong</strong></p>"),
              ElementsAre("**Bold** and **strong**"));
}

TEST(ParseCitationHtmlTest, MergesNestedMarkupOfOneKind) {
  EXPECT_THAT(ParseCitationHtml("<p><i><em>Journal</em> of X</i>; <b><i>both</i></b></p>"),
              ElementsAre("_Journal of X_; **_both_**"));
}

TEST(ParseCitationHtmlTest, KeepsWhitespaceOutsideMarkersAndDropsEmptyMarkup) {
  EXPECT_THAT(ParseCitationHtml("<p>In<i> Journal </i>now<em></em>.</p>"),
              ElementsAre("In _Journal_ now."));
}

TEST(ParseCitationHtmlTest, ClosesMarkupLeftOpenAtParagraphEnd) {
  EXPECT_THAT(ParseCitationHtml("<p><i>Open <b>both</p><p>Next</p>"),
              ElementsAre("_Open **both**_", "Next"));
}

TEST(ParseCitationHtmlTest, TurnsLineBreaksIntoSpaces) {
  EXPECT_THAT(ParseCitationHtml("<p>One<br>two<br/>three<BR />four</p>"),
              ElementsAre("One two three four"));
}

TEST(ParseCitationHtmlTest, DropsOtherTagsButKeepsTheirText) {
  EXPECT_THAT(ParseCitationHtml("<p><span class=\"a\">Smith</span>, <a href=\"x\">J.</a></p>"),
              ElementsAre("Smith, J."));
}

TEST(ParseCitationHtmlTest, DropsScriptAndStyleContent) {
  EXPECT_THAT(ParseCitationHtml("<style>p { color: red; }</style><p>A.<script type=\"x\">"
                                "alert('<p>no</p>')</SCRIPT> B.</p>"),
              ElementsAre("A. B."));
}

TEST(ParseCitationHtmlTest, DropsCommentsAndDoctype) {
  EXPECT_THAT(ParseCitationHtml("<!DOCTYPE html><!-- <p>hidden</p> --><p>Shown.</p>"),
              ElementsAre("Shown."));
}

TEST(ParseCitationHtmlTest, DecodesNamedEntities) {
  EXPECT_THAT(
      ParseCitationHtml("<p>&amp; &lt; &gt; &quot; &apos; a&nbsp;b 1&ndash;2 &mdash; &hellip; "
                        "&lsquo;&rsquo;&ldquo;&rdquo; &copy;</p>"),
      ElementsAre("& < > \" ' a b 1\xE2\x80\x93"
                  "2 \xE2\x80\x94 \xE2\x80\xA6 \xE2\x80\x98\xE2\x80\x99\xE2\x80\x9C\xE2\x80\x9D "
                  "\xC2\xA9"));
}

TEST(ParseCitationHtmlTest, DecodesDecimalAndHexReferences) {
  EXPECT_THAT(ParseCitationHtml("<p>&#65;&#x42;&#X43; &#8211; &#x1F600; &#233;</p>"),
              ElementsAre("ABC \xE2\x80\x93 \xF0\x9F\x98\x80 \xC3\xA9"));
}

TEST(ParseCitationHtmlTest, LeavesUnknownOrMalformedEntitiesAsIs) {
  EXPECT_THAT(ParseCitationHtml("<p>&bogus; AT&T &#xZZ; R&D &</p>"),
              ElementsAre("&bogus; AT&T &#xZZ; R&D &"));
}

TEST(ParseCitationHtmlTest, DecodesLegacyNamesWithoutSemicolonAsBrowsersDo) {
  EXPECT_THAT(ParseCitationHtml("<p>Smith &amp Lee &copy2020</p>"),
              ElementsAre("Smith & Lee \xC2\xA9"
                          "2020"));
}

TEST(ParseCitationHtmlTest, KeepsNoBreakSpacesOutsideMarkers) {
  EXPECT_THAT(ParseCitationHtml("<p>Smith.<i>&nbsp;Title</i>.</p>"),
              ElementsAre("Smith. _Title_."));
}

TEST(ParseCitationHtmlTest, DropsWhitespaceOnlyParagraphs) {
  EXPECT_THAT(ParseCitationHtml("<p>A.</p><p>  &nbsp; <br></p><p></p><p><i> </i></p><p>B.</p>"),
              ElementsAre("A.", "B."));
}

TEST(ParseCitationHtmlTest, AcceptsCrLfInsideMarkup) {
  EXPECT_THAT(ParseCitationHtml("<p>Smith,\r\nJ.</p>\r\n<p\r\nclass=\"x\">Doe</p>"),
              ElementsAre("Smith, J.", "Doe"));
}

TEST(ParseCitationHtmlTest, SplitsTextWithoutParagraphsLikePlainText) {
  EXPECT_THAT(ParseCitationHtml("First <i>one</i>\nstill first.\n\nSecond &amp; last."),
              ElementsAre("First _one_ still first.", "Second & last."));
}

TEST(ParseCitationHtmlTest, AlsoTakesTextOutsideParagraphs) {
  EXPECT_THAT(ParseCitationHtml("Before.<p>Inside.</p>After."),
              ElementsAre("Before.", "Inside.", "After."));
}

TEST(ParseCitationHtmlTest, TreatsListItemsAndDivsAsSeparateBlocks) {
  EXPECT_THAT(ParseCitationHtml("<ul><li>One.</li><li>Two.</li></ul><div>Three.</div>"),
              ElementsAre("One.", "Two.", "Three."));
}

TEST(ParseCitationHtmlTest, KeepsALoneLessThanSign) {
  EXPECT_THAT(ParseCitationHtml("<p>a < b and 3<4</p>"), ElementsAre("a < b and 3<4"));
}

TEST(ParseCitationHtmlTest, DropsATagLeftOpenAtTheEnd) {
  EXPECT_THAT(ParseCitationHtml("<p>Kept.</p><p>Also kept <span class=\"x"),
              ElementsAre("Kept.", "Also kept"));
}

TEST(ParseCitationHtmlTest, ReturnsNothingForEmptyInput) {
  EXPECT_THAT(ParseCitationHtml(""), IsEmpty());
  EXPECT_THAT(ParseCitationHtml("<p></p>  <br>"), IsEmpty());
}

TEST(InputParserTest, ItemsOfInvisibleCharactersAreDroppedInEveryForm) {
  EXPECT_THAT(ParseCitationList({"\u2003\u200B\uFEFF", "A. (2020). T.", "\x1b[0m\u00A0"}),
              ElementsAre("A. (2020). T."));
  EXPECT_THAT(ParseCitationText("A. (2020). T.\n\u200B\u2003\n\nB. (2021). U.\n\n\uFEFF"),
              ElementsAre("A. (2020). T.", "B. (2021). U."));
  EXPECT_THAT(ParseCitationHtml("<p>\u200B</p><p>A. (2020). T.</p><p>&#8203;&#xFEFF;</p>"),
              ElementsAre("A. (2020). T."));
}

// Found by citation_text_fuzzer: removing the NULs joined malformed bytes into characters the
// input does not have, "\xC2" "\x80" into the control U+0080 (left in a citation that a second
// cleaning changed) and "\xD5" "\x80" into the letter U+0540. Each malformed byte is U+FFFD.
TEST(ParseCitationTextTest, MalformedBytesAroundNulsMakeNoCharacter) {
  EXPECT_THAT(
      ParseCitationText(std::string("n\r\xFF\f\xA0\0\xC2\0\0\x80\"\r\rr\xC2\xA0\xD5\0\x80", 19)),
      ElementsAre("n \uFFFD \uFFFD\uFFFD\uFFFD\"", "r \uFFFD\uFFFD"));
}

// Found by citation_html_fuzzer: removing the NUL joined "\xC0" "\x88" into an overlong U+0008
// left in the citation. Each malformed byte is U+FFFD.
TEST(ParseCitationHtmlTest, MalformedBytesAroundANulMakeNoCharacter) {
  EXPECT_THAT(ParseCitationHtml(std::string(">&co\xFF\xFF_\xC0\0\x88\x0Fx&copy;&rpy", 22)),
              ElementsAre(">&co\uFFFD\uFFFD_\uFFFD\uFFFDx\u00A9&rpy"));
}

}  // namespace
}  // namespace citecheck

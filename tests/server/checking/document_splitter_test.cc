#include "server/checking/document_splitter.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kRefA[] = "Lee, K. (2019). Reading. _Journal_, _1_(2), 3–4.";
constexpr char kRefB[] = "Smith, J. (2020). Writing. Routledge.";

MATCHER_P(IsNoReferenceSection, field, "") {
  return arg.status().code() == absl::StatusCode::kInvalidArgument &&
         ErrorReason(arg.status()) == "NO_REFERENCE_SECTION" &&
         absl::StrContains(ToRpcStatus(arg.status()).DebugString(), field);
}

TEST(IsReferenceHeadingTest, AcceptsEveryNameInAnyCaseWithATrailingColon) {
  for (const char* heading : {"References", "REFERENCES", "reference list", "Bibliography",
                              "Works Cited", "Literature cited", "Sources", "Sources Cited",
                              "References cited", "  References : ", "Works\n  cited:",
                              "R\xC3\xA9"
                              "f\xC3\xA9rences"}) {
    // "Références" folds to "references": accents do not matter.
    EXPECT_TRUE(IsReferenceHeading(heading)) << heading;
  }
  for (const char* heading :
       {"Reference", "References and notes", "The references", "Notes", "References::", ""}) {
    EXPECT_FALSE(IsReferenceHeading(heading)) << heading;
  }
}

TEST(SplitDocumentTextTest, SplitsAtALineOfItsOwn) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(
      "Intro (Lee, 2019).\n\nReferences\n\nLee, K. (2019). Reading. _Journal_, _1_(2), "
      "3–4.\n\nSmith, J. (2020).\nWriting. Routledge.\n");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->body, "Intro (Lee, 2019).\n\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefA, kRefB));
}

TEST(SplitDocumentTextTest, AcceptsEachHeadingFormOfText) {
  for (const char* heading :
       {"Works Cited:", "  BIBLIOGRAPHY  ", "## References", "**Reference List**", "References:"}) {
    absl::StatusOr<DocumentParts> parts =
        SplitDocumentText(absl::StrCat("Body.\n", heading, "\n", kRefB, "\n"));
    ASSERT_TRUE(parts.ok()) << heading;
    EXPECT_EQ(parts->body, "Body.\n") << heading;
    EXPECT_THAT(parts->references, ElementsAre(kRefB)) << heading;
  }
}

TEST(SplitDocumentTextTest, TheWordInsideASentenceIsNoHeading) {
  EXPECT_THAT(SplitDocumentText("See the references below.\nReferences are listed last.\n"),
              IsNoReferenceSection("document"));
  // ...but a heading after such a sentence is found.
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(
      "See the references below.\nReferences\nSmith, J. (2020). Writing. "
      "Routledge.");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->body, "See the references below.\n");
}

TEST(SplitDocumentTextTest, TheLastHeadingWins) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(
      "Contents\nReferences\n\nBody text (Smith, 2020).\n\nReferences\n\n" + std::string(kRefB));
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->body, "Contents\nReferences\n\nBody text (Smith, 2020).\n\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefB));
}

TEST(SplitDocumentTextTest, WindowsLineEndsBecomeNewlinesBeforeOffsetsCount) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(
      "One\r\nTwo (Smith, 2020).\r\n\r\nReferences\r\n\r\nSmith, J. "
      "(2020).\r\nWriting. Routledge.\r\n");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->body, "One\nTwo (Smith, 2020).\n\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefB));
}

TEST(SplitDocumentTextTest, AHeadingWithNothingAfterItGivesNoReferences) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText("Body.\nReferences\n\n");
  ASSERT_TRUE(parts.ok());
  EXPECT_THAT(parts->references, IsEmpty());
}

// What document_fuzzer's visible-text property had to learn (the property was wrong, not the
// splitter): an ESC and the character after it are one terminal sequence ("ESC c" resets a
// terminal), removed whole from a reference like every control sequence, visible byte included.
TEST(SplitDocumentTextTest, AnEscapeIsRemovedFromAReferenceWithTheCharacterItStarts) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(
      "Body.\n## References\nLee, A. (2019).\x1b"
      "Another title. Pub.\n");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_THAT(parts->references, ElementsAre("Lee, A. (2019).nother title. Pub."));
}

TEST(SplitDocumentTextTest, NoHeadingIsNoReferenceSection) {
  EXPECT_THAT(SplitDocumentText("Just a body (Smith, 2020).\n"), IsNoReferenceSection("document"));
  EXPECT_THAT(SplitDocumentText(""), IsNoReferenceSection("document"));
}

TEST(SplitDocumentHtmlTest, SplitsAtAnHtmlHeading) {
  for (const char* heading :
       {"<h1>References</h1>", "<h2 class=\"x\">Works Cited:</h2>", "<H3>Bibliography</H3>",
        "<h6><span>Reference</span> <em>list</em></h6>", "<h2>References&nbsp;cited</h2>"}) {
    absl::StatusOr<DocumentParts> parts = SplitDocumentHtml(
        absl::StrCat("<p>Body (Smith, 2020).</p>", heading, "<p>", kRefB, "</p>"));
    ASSERT_TRUE(parts.ok()) << heading;
    EXPECT_EQ(parts->body, "Body (Smith, 2020).\n") << heading;
    EXPECT_THAT(parts->references, ElementsAre(kRefB)) << heading;
  }
}

TEST(SplitDocumentHtmlTest, SplitsAtABoldOnlyParagraph) {
  for (const char* heading :
       {"<p><strong>References</strong></p>", "<p> <b>Works cited:</b> </p>",
        "<p><span><strong><span>References</span></strong></span><br></p>",
        "<p><b>Sources</b>"}) {  // an unclosed paragraph ends where the next block starts
    absl::StatusOr<DocumentParts> parts = SplitDocumentHtml(
        absl::StrCat("<p>Body.</p>", heading, "<p>", kRefA, "</p><p>", kRefB, "</p>"));
    ASSERT_TRUE(parts.ok()) << heading;
    EXPECT_EQ(parts->body, "Body.\n") << heading;
    EXPECT_THAT(parts->references, ElementsAre(kRefA, kRefB)) << heading;
  }
}

TEST(SplitDocumentHtmlTest, BoldWordsInsideAParagraphAreNoHeading) {
  for (const char* body :
       {"<p>The <b>References</b> are below.</p>", "<p><b>References</b> are below.</p>",
        "<p><b>References</b><b>!</b></p>", "<div>References</div>", "<p>References</p>"}) {
    EXPECT_THAT(SplitDocumentHtml(body), IsNoReferenceSection("document")) << body;
  }
}

TEST(SplitDocumentHtmlTest, TheLastHeadingWins) {
  absl::StatusOr<DocumentParts> parts =
      SplitDocumentHtml("<h2>References</h2><p>Early (Lee, 2019).</p><h2>References</h2><p>" +
                        std::string(kRefB) + "</p>");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->body, "References\nEarly (Lee, 2019).\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefB));
}

TEST(SplitDocumentHtmlTest, KeepsTheBodyOfNestedHtmlAsPlainText) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentHtml(
      "<!DOCTYPE html><html><head><title>Paper</title><style>p{}</style></head><body>"
      "<div class=\"section\"><h1>Intro</h1><p>As <em>M&uuml;ller</em> &amp; Lee "
      "(2020)<br>argue,<script>x()</script> <span><b>it</b></span> holds.</p>"
      "<ul><li>One (Smith,&nbsp;2020)</li></ul></div>"
      "<section><h2>References</h2><ol><li>" +
      std::string(kRefA) + "</li><li><i>" + kRefB + "</i></li></ol></section></body></html>");
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->body,
            "Intro\nAs M\xC3\xBCller & Lee (2020)\nargue, it holds.\nOne (Smith,\xC2\xA0"
            "2020)\n\n\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefA, absl::StrCat("_", kRefB, "_")));
}

TEST(SplitDocumentHtmlTest, WindowsLineEndsBecomeNewlines) {
  absl::StatusOr<DocumentParts> parts =
      SplitDocumentHtml("<p>One\r\ntwo (Lee, 2019).</p>\r\n<h2>References</h2>\r\n<p>" +
                        std::string(kRefA) + "</p>\r\n");
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->body, "One\ntwo (Lee, 2019).\n\n");
  EXPECT_THAT(parts->references, ElementsAre(kRefA));
}

TEST(SplitDocumentTest, DispatchesOnTheBodyKind) {
  v1::Document text;
  text.set_text("Body.\nReferences\n" + std::string(kRefB));
  ASSERT_TRUE(SplitDocument(text).ok());
  EXPECT_THAT(SplitDocument(text)->references, ElementsAre(kRefB));
  v1::Document html;
  html.set_html("<p>Body.</p><h1>References</h1><p>" + std::string(kRefB) + "</p>");
  ASSERT_TRUE(SplitDocument(html).ok());
  EXPECT_THAT(SplitDocument(html)->references, ElementsAre(kRefB));
  EXPECT_THAT(SplitDocument(v1::Document()), IsNoReferenceSection("document"));
}

}  // namespace
}  // namespace citecheck

#include "server/checking/markdown_html.h"

#include <string>

#include "gtest/gtest.h"

namespace citecheck {
namespace {

struct MarkdownCase {
  std::string markdown;
  std::string html;
};

class MarkdownToHtmlTest : public ::testing::TestWithParam<MarkdownCase> {};

TEST_P(MarkdownToHtmlTest, ConvertsToHtml) {
  EXPECT_EQ(MarkdownToHtml(GetParam().markdown), GetParam().html);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MarkdownToHtmlTest,
    ::testing::Values(
        MarkdownCase{"_Journal_, _14_(2)", "<em>Journal</em>, <em>14</em>(2)"},
        MarkdownCase{"**bold** and *star*", "<strong>bold</strong> and <em>star</em>"},
        MarkdownCase{"**_Both_**", "<strong><em>Both</em></strong>"},
        MarkdownCase{"https://doi.org/10.1000/a_b_c", "https://doi.org/10.1000/a_b_c"},
        MarkdownCase{"_J_. https://doi.org/10.1/x_y_z.", "<em>J</em>. https://doi.org/10.1/x_y_z."},
        MarkdownCase{"www.site.org/_a_ and doi:10.1/_b_", "www.site.org/_a_ and doi:10.1/_b_"},
        MarkdownCase{"_https://example.org/a_b_", "<em>https://example.org/a_b</em>"},
        MarkdownCase{"snake_case_name and a_b", "snake_case_name and a_b"},
        MarkdownCase{"_a snake_case title_.", "<em>a snake_case title</em>."},
        MarkdownCase{"“_Quoted_”", "“<em>Quoted</em>”"}, MarkdownCase{"(_In_)", "(<em>In</em>)"},
        MarkdownCase{"_ not italic _", "_ not italic _"},
        MarkdownCase{"a_ lone marker", "a_ lone marker"}, MarkdownCase{"2 * 3 * 4", "2 * 3 * 4"},
        MarkdownCase{"**unclosed and *x*", "**unclosed and <em>x</em>"}, MarkdownCase{"", ""},
        // What the heuristic rules write: corrections of names, journals and titles.
        MarkdownCase{"Smith, J. (2020). _Title of the book_. Press.",
                     "Smith, J. (2020). <em>Title of the book</em>. Press."},
        MarkdownCase{"_Journal of Things_, _12_(3), 45–67",
                     "<em>Journal of Things</em>, <em>12</em>(3), 45–67"},
        MarkdownCase{"_Müller’s Ökonomie_", "<em>Müller’s Ökonomie</em>"},
        MarkdownCase{"10.1000/abc_def_ghi", "10.1000/abc_def_ghi"}));

TEST(WithoutItalicMarkersTest, RemovesMarkersAtWordEdgesOnly) {
  EXPECT_EQ(WithoutItalicMarkers("_Journal of Things_"), "Journal of Things");
  EXPECT_EQ(WithoutItalicMarkers("_Title_, _12_(3)"), "Title, 12(3)");
  EXPECT_EQ(WithoutItalicMarkers("snake_case and 10.1000/a_b"), "snake_case and 10.1000/a_b");
  EXPECT_EQ(WithoutItalicMarkers("“_Quoted_”"), "“Quoted”");
}

}  // namespace
}  // namespace citecheck

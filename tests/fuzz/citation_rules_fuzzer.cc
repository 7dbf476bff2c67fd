// Fuzzes the heuristic checker: the citation anatomy (citation_anatomy.h) and each style's rules
// (rules/*.h) through HeuristicChecker::CheckCitation, on a citation as the server hands it over
// (one list item: whitespace collapsed, at most 4096 bytes).
//
// Properties:
//   - every part the anatomy finds lies inside the citation, begin <= end, and the parts are
//     nested as the header says (title inside its element, container name/details inside the
//     container, volume/issue/pages inside their groups);
//   - the source type is always named;
//   - valid UTF-8 in gives valid UTF-8 out: corrected citation, every error's fields;
//   - the result is consistent (valid exactly when there are no errors; a corrected citation
//     only with errors and different from the original) and deterministic (same citation, same
//     result);
//   - the markdown helpers keep valid UTF-8 valid.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/input_parser.h"
#include "server/checking/markdown_html.h"
#include "server/checking/rules/rule.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

// The server's limit on one citation (SubmitLimits::max_citation_bytes).
constexpr size_t kMaxCitationBytes = 4096;

void CheckSpan(const CitationAnatomy& anatomy, const TextSpan& span, const char* name) {
  if (!span.present()) return;
  FUZZ_CHECK(
      span.begin <= span.end && span.end <= anatomy.text.size(),
      absl::StrCat(name, " [", span.begin, ", ", span.end, ") of ", Printable(anatomy.text)));
}

void CheckInside(const CitationAnatomy& anatomy, const TextSpan& outer, const TextSpan& inner,
                 const char* name) {
  if (!outer.present() || !inner.present()) return;
  FUZZ_CHECK(outer.Contains(inner), absl::StrCat(name, " of ", Printable(anatomy.text)));
}

void CheckAnatomy(absl::string_view citation) {
  const CitationAnatomy a = ParseCitationAnatomy(citation);
  FUZZ_CHECK(a.text == citation, Printable(citation));
  FUZZ_CHECK(!a.source_type.empty(), Printable(citation));
  const std::pair<const TextSpan*, const char*> spans[] = {
      {&a.authors, "authors"},
      {&a.year, "year"},
      {&a.year_group, "year_group"},
      {&a.title, "title"},
      {&a.title_element, "title_element"},
      {&a.container, "container"},
      {&a.container_name, "container_name"},
      {&a.container_details, "container_details"},
      {&a.volume, "volume"},
      {&a.volume_label, "volume_label"},
      {&a.volume_group, "volume_group"},
      {&a.issue, "issue"},
      {&a.issue_group, "issue_group"},
      {&a.pages, "pages"},
      {&a.pages_label, "pages_label"},
      {&a.pages_group, "pages_group"},
      {&a.article_number, "article_number"},
      {&a.pages_separator, "pages_separator"},
      {&a.link, "link"},
      {&a.doi, "doi"},
      {&a.description, "description"},
      {&a.edition, "edition"},
      {&a.place, "place"},
      {&a.publisher, "publisher"},
      {&a.publisher_element, "publisher_element"},
      {&a.retrieved_from, "retrieved_from"}};
  for (const auto& [span, name] : spans) CheckSpan(a, *span, name);
  for (const TextSpan& element : a.elements) CheckSpan(a, element, "element");
  CheckInside(a, a.year_group, a.year, "year in year_group");
  CheckInside(a, a.title_element, a.title, "title in title_element");
  CheckInside(a, a.container, a.container_name, "container_name in container");
  CheckInside(a, a.container, a.container_details, "container_details in container");
  CheckInside(a, a.volume_group, a.volume, "volume in volume_group");
  CheckInside(a, a.issue_group, a.issue, "issue in issue_group");
  CheckInside(a, a.pages_group, a.pages, "pages in pages_group");
  CheckInside(a, a.link, a.doi, "doi in link");
}

void CheckResult(const v1::CitationResult& result, absl::string_view citation, bool utf8,
                 v1::Style style) {
  const std::string where = absl::StrCat(Printable(citation), " style ", style);
  FUZZ_CHECK(result.original() == citation, where);
  FUZZ_CHECK(!result.source_type().empty(), where);
  FUZZ_CHECK(result.valid() == (result.errors_size() == 0), where);
  FUZZ_CHECK(result.corrected_citation().empty() ||
                 (result.errors_size() > 0 && result.corrected_citation() != citation),
             where);
  if (!utf8) return;
  FUZZ_CHECK(IsValidUtf8(result.corrected_citation()),
             absl::StrCat(Printable(result.corrected_citation()), " from ", where));
  for (const v1::CitationError& error : result.errors()) {
    FUZZ_CHECK(IsValidUtf8(error.component()) && IsValidUtf8(error.problem()) &&
                   IsValidUtf8(error.correction()),
               absl::StrCat(Printable(error.correction()), " from ", where));
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view input = AsText(data, size);
  const std::vector<std::string> items = ParseCitationList({std::string(input)});
  if (items.empty() || items.front().size() > kMaxCitationBytes) return 0;
  const std::string& citation = items.front();
  const bool utf8 = IsValidUtf8(citation);

  CheckAnatomy(citation);
  constexpr v1::Style kStyles[] = {v1::STYLE_APA7, v1::STYLE_MLA9, v1::STYLE_CHICAGO17};
  for (v1::Style style : kStyles) {
    const v1::CitationResult result = HeuristicChecker::CheckCitation(style, citation);
    CheckResult(result, citation, utf8, style);
    // Checked again for one style only (the rules are slow under the sanitizers).
    if (style != kStyles[citation.size() % 3]) continue;
    FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(
                   HeuristicChecker::CheckCitation(style, citation), result),
               "not deterministic: " + Printable(citation));
  }
  FUZZ_CHECK(!utf8 || IsValidUtf8(MarkdownToHtml(citation)), Printable(citation));
  FUZZ_CHECK(!utf8 || IsValidUtf8(WithoutItalicMarkers(citation)), Printable(citation));
  return 0;
}

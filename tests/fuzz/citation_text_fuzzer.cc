// Fuzzes the plain-text and list input forms of SubmitBatch (input_parser.h ParseCitationText,
// ParseCitationList) and CollapseWhitespace beneath them.
//
// Properties:
//   - splitting then joining loses no visible character, and invents none: the visible text
//     (fuzz_support.h VisibleText) of the citations, concatenated, is that of the input (with
//     an ESC in the input, whose terminal sequence is removed whole, only that none is
//     invented: the citations' visible text is a subsequence of the input's);
//   - every citation is non-empty, trimmed, one line, with single spaces only;
//   - a list item gives at most one citation, the input collapsed.

#include <string>
#include <vector>

#include "server/checking/input_parser.h"
#include "server/checking/unicode_text.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

void CheckCitationShape(const std::string& citation) {
  FUZZ_CHECK(!citation.empty(), "an empty citation");
  FUZZ_CHECK(citation.front() != ' ' && citation.back() != ' ', Printable(citation));
  FUZZ_CHECK(citation.find("  ") == std::string::npos, Printable(citation));
  FUZZ_CHECK(citation.find_first_of("\r\n\t\f\v") == std::string::npos, Printable(citation));
  FUZZ_CHECK(CollapseWhitespace(citation) == citation, Printable(citation));
}

// `kept` (the visible text of what the parser made of `text`) is `visible` (that of `text`); with
// an ESC in `text`, whose terminal sequence is removed whole, visible bytes included ("ESC
// [31m"), only that nothing is invented: `kept` is a subsequence of `visible`.
void CheckKeepsVisible(const std::string& kept, const std::string& visible,
                       absl::string_view text) {
  if (text.find('\x1b') == absl::string_view::npos) {
    FUZZ_CHECK(kept == visible, Printable(text));
    return;
  }
  size_t at = 0;
  for (char c : kept) {
    at = visible.find(c, at);
    FUZZ_CHECK(at != std::string::npos, Printable(text));
    ++at;
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view text = AsText(data, size);
  const std::string visible = VisibleText(text);

  const std::vector<std::string> citations = ParseCitationText(text);
  for (const std::string& citation : citations) CheckCitationShape(citation);
  CheckKeepsVisible(VisibleText(citations), visible, text);

  const std::vector<std::string> items = ParseCitationList({std::string(text)});
  FUZZ_CHECK(items.size() <= 1, Printable(text));
  const std::string collapsed = CollapseWhitespace(text);
  FUZZ_CHECK(items.empty() ? collapsed.empty() : items.front() == collapsed, Printable(text));
  for (const std::string& item : items) CheckCitationShape(item);
  CheckKeepsVisible(VisibleText(collapsed), visible, text);
  return 0;
}

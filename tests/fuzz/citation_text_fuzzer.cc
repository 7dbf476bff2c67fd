// Fuzzes the plain-text and list input forms of SubmitBatch (input_parser.h ParseCitationText,
// ParseCitationList) and CollapseWhitespace beneath them.
//
// Properties:
//   - splitting then joining loses no visible character, and invents none: the visible text
//     of the citations, concatenated, is that of the input (fuzz_support.h KeepsVisibleText:
//     with an ESC in the input, whose terminal sequence is removed whole, only that none is
//     invented);
//   - every citation is non-empty, trimmed, one line, with single spaces only, cleaned
//     (CollapseWhitespace leaves it as it is) and valid UTF-8, whatever the input (a malformed
//     byte becomes U+FFFD);
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
  FUZZ_CHECK(IsValidUtf8(citation), Printable(citation));
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view text = AsText(data, size);

  const std::vector<std::string> citations = ParseCitationText(text);
  for (const std::string& citation : citations) CheckCitationShape(citation);
  FUZZ_CHECK(KeepsVisibleText(citations, text), Printable(text));

  const std::vector<std::string> items = ParseCitationList({std::string(text)});
  FUZZ_CHECK(items.size() <= 1, Printable(text));
  const std::string collapsed = CollapseWhitespace(text);
  FUZZ_CHECK(items.empty() ? collapsed.empty() : items.front() == collapsed, Printable(text));
  for (const std::string& item : items) CheckCitationShape(item);
  FUZZ_CHECK(KeepsVisibleText({collapsed}, text), Printable(text));
  return 0;
}

// Fuzzes the reader of the LLM's reference-list answers (llm_answer_parser.h ParseLlmAnswer,
// MarkdownToHtml), with the input as the assistant's text, for a chunk of one citation and
// for a chunk of twelve.
//
// Properties:
//   - no result outside the chunk: every result's number is in 1..expected_count; `missing`
//     is exactly the other numbers, ascending; any_block says whether there is a result;
//   - each result is consistent: valid exactly when there are no errors, a corrected citation
//     only with errors and different from the original, a named source type (lower case, at
//     most 40 bytes), every field whitespace-collapsed, no link mask (\x01) left in the fields
//     converted from markdown (original, correction, corrected citation);
//   - valid UTF-8 in gives valid UTF-8 out (every field, and the markdown conversion).

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/checking/llm_answer_parser.h"
#include "server/checking/markdown_html.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

// Trimmed, ASCII whitespace as single spaces.
bool IsCollapsed(absl::string_view field) {
  if (field.empty()) return true;
  return field.front() != ' ' && field.back() != ' ' &&
         field.find("  ") == absl::string_view::npos &&
         field.find_first_of("\t\n\r\f\v") == absl::string_view::npos;
}

// `converted`: the field went through the markdown conversion, which uses \x01 to mask links.
void CheckField(const std::string& field, bool converted, bool utf8, absl::string_view answer) {
  FUZZ_CHECK(IsCollapsed(field), absl::StrCat(Printable(field), " from ", Printable(answer)));
  FUZZ_CHECK(!converted || field.find('\x01') == std::string::npos,
             absl::StrCat(Printable(field), " from ", Printable(answer)));
  FUZZ_CHECK(!utf8 || IsValidUtf8(field),
             absl::StrCat(Printable(field), " from ", Printable(answer)));
}

void CheckAnswer(absl::string_view answer, int expected_count, bool utf8) {
  const ParsedAnswer parsed = ParseLlmAnswer(answer, v1::STYLE_APA7, expected_count);
  const std::string where = absl::StrCat(expected_count, " expected, ", Printable(answer));
  FUZZ_CHECK(parsed.any_block == !parsed.results.empty(), where);
  FUZZ_CHECK(MissingIsTheRest(parsed.results, parsed.missing, 1, expected_count), where);
  for (const auto& [number, result] : parsed.results) {
    FUZZ_CHECK(number >= 1 && number <= expected_count, where);
    FUZZ_CHECK(result.index() == 0, where);
    FUZZ_CHECK(result.valid() == (result.errors_size() == 0), where);
    FUZZ_CHECK(result.corrected_citation().empty() ||
                   (result.errors_size() > 0 && result.corrected_citation() != result.original()),
               where);
    const std::string& type = result.source_type();
    FUZZ_CHECK(!type.empty() && type.size() <= 40 && absl::AsciiStrToLower(type) == type, where);
    CheckField(result.original(), /*converted=*/true, utf8, answer);
    CheckField(result.source_type(), /*converted=*/false, utf8, answer);
    CheckField(result.corrected_citation(), /*converted=*/true, utf8, answer);
    for (const v1::CitationError& error : result.errors()) {
      CheckField(error.component(), /*converted=*/false, utf8, answer);
      CheckField(error.problem(), /*converted=*/false, utf8, answer);
      CheckField(error.correction(), /*converted=*/true, utf8, answer);
    }
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck;        // NOLINT(build/namespaces)
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view answer = AsText(data, size);
  const bool utf8 = IsValidUtf8(answer);
  CheckAnswer(answer, 1, utf8);
  CheckAnswer(answer, 12, utf8);
  const std::string html = MarkdownToHtml(answer);
  FUZZ_CHECK(!utf8 || IsValidUtf8(html), Printable(answer));
  FUZZ_CHECK(html.find('\x01') == std::string::npos, Printable(answer));
  return 0;
}

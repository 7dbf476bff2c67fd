// Fuzzes the reader of the LLM's in-text answers (inline_answer_parser.h ParseInlineAnswer),
// with the input as the assistant's text, for a chunk that asked c1, c2, c3 and c7 against five
// references and for one that asked c2 alone against one reference.
//
// Properties:
//   - the parser never reports an index outside the chunk: every result is at a position of
//     an asked id, every reference index is in 0..reference_count-1;
//   - `missing` is exactly the positions without a result, ascending; a usable answer has a
//     result and no defect, an unusable one has no result and says why;
//   - each verdict fits its match: one reference for matched and mismatch, at least one for
//     ambiguous, none for not found; no problem for matched, a correction only for mismatch;
//   - valid UTF-8 in gives valid UTF-8 out.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/checking/inline_answer_parser.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

void CheckAnswer(absl::string_view answer, const std::vector<std::string>& asked,
                 int reference_count, bool utf8) {
  const ParsedInlineAnswer parsed = ParseInlineAnswer(answer, asked, reference_count);
  const std::string where = absl::StrCat(reference_count, " references, ", Printable(answer));
  FUZZ_CHECK(parsed.usable == !parsed.results.empty(), where);
  FUZZ_CHECK(parsed.usable == parsed.defect.empty(), where);
  const int positions = static_cast<int>(asked.size());
  FUZZ_CHECK(MissingIsTheRest(parsed.results, parsed.missing, 0, positions - 1), where);
  for (const auto& [position, verdict] : parsed.results) {
    FUZZ_CHECK(position >= 0 && position < positions, where);
    for (int reference : verdict.reference_indices()) {
      FUZZ_CHECK(reference >= 0 && reference < reference_count, where);
    }
    const int named = verdict.reference_indices_size();
    switch (verdict.match()) {
      case v1::MATCH_STATUS_MATCHED:
        FUZZ_CHECK(named == 1 && verdict.problem().empty(), where);
        break;
      case v1::MATCH_STATUS_MISMATCH:
        FUZZ_CHECK(named == 1, where);
        break;
      case v1::MATCH_STATUS_AMBIGUOUS:
        FUZZ_CHECK(named >= 1, where);
        break;
      case v1::MATCH_STATUS_NOT_FOUND:
        FUZZ_CHECK(named == 0, where);
        break;
      default:
        FUZZ_CHECK(false, "a verdict without a match status: " + where);
    }
    FUZZ_CHECK(verdict.match() == v1::MATCH_STATUS_MISMATCH || verdict.correction().empty(), where);
    FUZZ_CHECK(verdict.index() == 0 && verdict.text().empty() && verdict.offset() == 0, where);
    FUZZ_CHECK(!utf8 || (IsValidUtf8(verdict.problem()) && IsValidUtf8(verdict.correction())),
               where);
  }
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view answer = AsText(data, size);
  const bool utf8 = IsValidUtf8(answer);
  CheckAnswer(answer, {"c1", "c2", "c3", "c7"}, 5, utf8);
  CheckAnswer(answer, {"c2"}, 1, utf8);
  return 0;
}

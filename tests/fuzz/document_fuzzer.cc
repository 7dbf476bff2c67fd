// Fuzzes the document input form of SubmitBatch end to end, short of the checker's LLM: the
// split at the reference heading (document_splitter.h) of the input read as text and as HTML,
// then the in-text citations of the body (inline_extractor.h, APA 7) matched against the
// references by the heuristic matcher (inline_matcher.h).
//
// Properties:
//   - text: the body is the start of the input (line ends normalized), and the references lose
//     no visible character of what follows the heading line and invent none
//     (fuzz_support.h KeepsVisibleText: with an ESC there, whose terminal sequence is removed
//     whole, only that none is invented);
//   - valid UTF-8 in gives valid UTF-8 out: body, every verdict's text, problem and
//     correction; the references are valid UTF-8 whatever the input (a malformed byte becomes
//     U+FFFD);
//   - every in-text offset lies inside the body;
//   - a verdict names references that exist, as many as its match says (one for matched and
//     mismatch, at least one for ambiguous, none for not found); uncited references are
//     ascending and exist.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "server/checking/document_splitter.h"
#include "server/checking/inline_extractor.h"
#include "server/checking/inline_matcher.h"
#include "server/checking/input_parser.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

void CheckVerdicts(const DocumentParts& parts, bool utf8, absl::string_view input) {
  const int reference_count = static_cast<int>(parts.references.size());
  const InlineMatcher matcher(v1::STYLE_APA7, parts.references);
  std::vector<v1::InlineCitation> verdicts;
  for (const ExtractedCitation& cited : ExtractInlineCitations(parts.body, v1::STYLE_APA7)) {
    FUZZ_CHECK(cited.offset < parts.body.size(), Printable(input));
    v1::InlineCitation verdict = matcher.Match(cited.text);
    FUZZ_CHECK(!utf8 || (IsValidUtf8(cited.text) && IsValidUtf8(verdict.problem()) &&
                         IsValidUtf8(verdict.correction())),
               Printable(input));
    for (int reference : verdict.reference_indices()) {
      FUZZ_CHECK(reference >= 0 && reference < reference_count, Printable(input));
    }
    const int named = verdict.reference_indices_size();
    switch (verdict.match()) {
      case v1::MATCH_STATUS_MATCHED:
      case v1::MATCH_STATUS_MISMATCH:
        FUZZ_CHECK(named == 1, Printable(input));
        break;
      case v1::MATCH_STATUS_AMBIGUOUS:
        FUZZ_CHECK(named >= 1, Printable(input));
        break;
      case v1::MATCH_STATUS_NOT_FOUND:
        FUZZ_CHECK(named == 0, Printable(input));
        break;
      default:
        FUZZ_CHECK(false, "a verdict without a match status: " + Printable(input));
    }
    verdicts.push_back(std::move(verdict));
  }
  int previous = -1;
  for (int32_t uncited : UncitedReferences(reference_count, verdicts)) {
    FUZZ_CHECK(uncited > previous && uncited < reference_count, Printable(input));
    previous = uncited;
  }
}

void CheckText(absl::string_view text, bool utf8) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentText(text);
  if (!parts.ok()) return;
  const std::string normalized = NormalizeLineEnds(text);
  FUZZ_CHECK(absl::StartsWith(normalized, parts->body), Printable(text));
  const size_t heading_end = normalized.find('\n', parts->body.size());
  const absl::string_view after_heading =
      heading_end == std::string::npos ? "" : absl::string_view(normalized).substr(heading_end);
  FUZZ_CHECK(KeepsVisibleText(parts->references, after_heading), Printable(text));
  for (const std::string& reference : parts->references) {
    FUZZ_CHECK(IsValidUtf8(reference), Printable(text));
  }
  CheckVerdicts(*parts, utf8, text);
}

void CheckHtml(absl::string_view html, bool utf8) {
  absl::StatusOr<DocumentParts> parts = SplitDocumentHtml(html);
  if (!parts.ok()) return;
  FUZZ_CHECK(!utf8 || IsValidUtf8(parts->body), Printable(html));
  for (const std::string& reference : parts->references) {
    FUZZ_CHECK(!reference.empty() && IsValidUtf8(reference), Printable(html));
  }
  CheckVerdicts(*parts, utf8, html);
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view input = AsText(data, size);
  const bool utf8 = IsValidUtf8(input);
  CheckText(input, utf8);
  CheckHtml(input, utf8);
  return 0;
}

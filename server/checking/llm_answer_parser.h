#ifndef CITECHECK_SERVER_CHECKING_LLM_ANSWER_PARSER_H_
#define CITECHECK_SERVER_CHECKING_LLM_ANSWER_PARSER_H_

// Reads the LLM's answer to the prompts of prompts.h back into CitationResults. Pure; no I/O.
//
// The answer should hold one block per citation (format in prompts.h) but models drift, so the
// parser is tolerant:
//   - CRLF or LF; any spacing and blank lines; prose before the first block is ignored;
//   - markdown around headers ("**CITATION #1**", "### CITATION #2", "CITATION #3:",
//     "**ORIGINAL:**", "## VALIDATION RESULTS"); rule lines made only of ═ ─ ━ — – = - * _
//     and code fences (```) are skipped wherever they are, or are not;
//   - ORIGINAL / CORRECTED CITATION content on the header's line and/or the following lines,
//     joined with single spaces; it ends at the next header, at a rule line or at a blank line
//     after some content (so trailing prose after the last block is not taken in). A leading
//     "<n>. " echoed from the user message is dropped from ORIGINAL;
//   - SOURCE TYPE missing or empty → "other" (lower-cased otherwise);
//   - VALIDATION RESULTS: a line starting with ✓ ✔ ✅, or "No … error…", means no errors (any
//     style's wording); an error line starts with ❌ ✗ ✘ ✖ or "X " (optionally after a "-", "*"
//     or "•" bullet) and reads "Component: problem" (no colon: component "Citation"); a following
//     "Should be: …" line (any case, indented or bulleted, value on that line or the next) sets
//     that error's correction; a "Should be:" before any error line is ignored. Other lines
//     right after an error or correction line continue it.
//
// A block counts only when it has a number and a VALIDATION RESULTS section with a success line
// or at least one error line; anything else is as if absent (the caller asks again). For each
// number the first counted block wins; numbers outside 1..expected_count are ignored.
//
// Post-processing of each result: markdown to HTML (MarkdownToHtml, markdown_html.h) in
// `original`, each `correction` and `corrected_citation`. Whitespace is collapsed in every field.
// `corrected_citation` is emptied when there are no errors or when it equals the converted
// `original`; `valid` is errors.empty(); `index` is left 0 (the caller sets it).

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

struct ParsedAnswer {
  // Citation number (1-based, as the LLM wrote it, within 1..expected_count) → its result.
  std::map<int, v1::CitationResult> results;
  // False when the answer held no counted block in 1..expected_count at all (the caller counts
  // a failed attempt).
  bool any_block = false;
  // The numbers of 1..expected_count without a counted block, ascending (the caller asks for
  // those again, on their own).
  std::vector<int> missing;
};

// Parses `answer` to a request of `expected_count` citations checked against `style`. Never
// fails: an unusable answer gives no results, any_block false and every number missing.
// `style` is accepted for symmetry with the prompts; success lines of every style are honored.
ParsedAnswer ParseLlmAnswer(absl::string_view answer, v1::Style style, int expected_count);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_LLM_ANSWER_PARSER_H_

#ifndef CITECHECK_SERVER_CHECKING_INLINE_PROMPTS_H_
#define CITECHECK_SERVER_CHECKING_INLINE_PROMPTS_H_

// The prompts of in-text matching with an LLM (DESIGN.md §3): one system prompt per style and
// the user message carrying the reference list and a chunk of in-text citations. Pure
// functions; no I/O. The answer they ask for is read by inline_answer_parser.h.
//
// The exchange, in short:
//   - system: InlineSystemPrompt(style) — the style's in-text citation rules, what matched /
//     mismatch / not_found / ambiguous mean, the input format and the JSON answer format;
//   - user: InlineUserMessage(references, citations) —
//       REFERENCES:
//       1. <reference 0>
//       2. <reference 1>
//
//       IN-TEXT CITATIONS:
//       c1: <text of the in-text citation with index 0>
//       c4: <text of the one with index 3>
//   - assistant: {"results": [{"id": "c1", "match": "matched|mismatch|not_found|ambiguous",
//     "references": [2], "problem": "...", "correction": "..."}]}, references 1-based.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/checking/checker.h"

namespace citecheck {

// The system prompt for `style` (STYLE_UNSPECIFIED and unknown values mean APA 7); it names the
// style as "APA 7", "MLA 9" or "Chicago 17". Compiled in; the view lives as long as the program.
// Thread-safe.
absl::string_view InlineSystemPrompt(v1::Style style);

// The id an in-text citation has in requests and answers: "c" + (index + 1), e.g. "c1".
std::string InlineCitationId(int index);

// The user message for `citations` against `references` (each written on one line; whitespace
// runs inside them become one space). No trailing newline.
std::string InlineUserMessage(const std::vector<std::string>& references,
                              const std::vector<InlineQuery>& citations);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_INLINE_PROMPTS_H_

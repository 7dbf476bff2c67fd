#ifndef CITECHECK_SERVER_CHECKING_PROMPTS_H_
#define CITECHECK_SERVER_CHECKING_PROMPTS_H_

// The prompts of the LLM checker: one system prompt per style and the user message carrying the
// citations. Pure functions; no I/O. The answer they ask for is read by llm_answer_parser.h.
//
// The exchange, in short:
//   - system: SystemPrompt(style) — the style's main reference-list rules, the input format, the
//     exact block format of the answer and the rule that missing data is never invented but
//     written as "[MISSING: element]";
//   - user: NumberedCitations(citations) — "1. <citation>\n\n2. <citation>...", italics written
//     `_x_` as in every citation the server handles;
//   - assistant: one block per citation, in order:
//       CITATION #<n>
//       ORIGINAL:
//       <the citation exactly as given>
//       SOURCE TYPE: <journal article | book | edited book | book chapter | conference paper |
//                     webpage | report | thesis | dataset | software | other>
//       VALIDATION RESULTS:
//       <SuccessLine(style)>            -- or, for each error --
//       ❌ <Component>: <what is wrong>
//          Should be: <the correct form>
//       CORRECTED CITATION:
//       <the full corrected citation>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// The system prompt for `style` (STYLE_UNSPECIFIED and unknown values mean APA 7). The text is
// compiled into the binary; the view stays valid for the life of the program. Thread-safe.
absl::string_view SystemPrompt(v1::Style style);

// The line the prompt asks for when a citation has no errors, e.g.
// "✓ No APA 7 formatting errors detected" (MLA 9 and Chicago 17 alike; STYLE_UNSPECIFIED means
// APA 7).
std::string SuccessLine(v1::Style style);

// The user message: each citation prefixed with its 1-based number and ". ", separated by a
// blank line ("1. a\n\n2. b"); no trailing newline; "" for no citations. Citations are used as
// given (callers pass them one line each).
std::string NumberedCitations(const std::vector<std::string>& citations);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_PROMPTS_H_

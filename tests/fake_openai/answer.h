#ifndef CITECHECK_TESTS_FAKE_OPENAI_ANSWER_H_
#define CITECHECK_TESTS_FAKE_OPENAI_ANSWER_H_

// What the fake OpenAI server answers, as pure functions: reading the prompts citecheck sends
// (server/checking/prompts.h for reference checks, server/checking/inline_prompts.h for in-text
// matching) and writing the answer an LLM would give (the block format read back by
// server/checking/llm_answer_parser.h; the JSON read back by inline_answer_parser.h). The
// findings come from citecheck's own offline HeuristicChecker and InlineMatcher, so the fake's
// answers are deterministic and realistic.

#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck::fake_openai {

// One citation of the user message, with the number it was given there.
struct NumberedCitation {
  int number = 0;
  std::string text;
};

// Reads the user message: a line starting with `N. ` (digits, a dot, a space or tab; leading
// whitespace allowed) begins citation N; the following non-blank lines continue it (joined with
// one space); a blank line ends it. Lines outside a citation (prose before the first one, or
// after a blank line) are ignored. CRLF or LF. Text is trimmed. Citations are returned in
// message order, numbers as written (duplicates and gaps kept).
std::vector<NumberedCitation> ParseNumberedCitations(absl::string_view message);

// The style a system prompt (or responses-API `instructions`) asks for: it contains "MLA 9" →
// STYLE_MLA9, else "Chicago 17" → STYLE_CHICAGO17, else STYLE_APA7.
v1::Style StyleFromPrompt(absl::string_view prompt);

// Turns citecheck's markup back into the markdown an LLM writes: <em>x</em> → _x_,
// <strong>x</strong> → **x**. Other text is unchanged.
std::string HtmlToMarkdown(absl::string_view text);

// The answer text: for each citation in order, except those whose number is in `omit`, one
// block in the format asked for by prompts.h (CITATION #n, ORIGINAL, SOURCE TYPE, VALIDATION
// RESULTS with the style's success line or one "❌ Component: problem" line plus an indented
// "Should be: correction" line per error, CORRECTED CITATION), framed by ═/─ rule lines. The
// findings are HeuristicChecker's for `style`; CORRECTED CITATION is its corrected citation, or
// the original when it has none. Empty when no block is left.
std::string RenderAnswer(v1::Style style, const std::vector<NumberedCitation>& citations,
                         const std::set<int>& omit);

// The answer RenderAnswer gives when every citation is valid (SOURCE TYPE "other", the style's
// success line, CORRECTED CITATION the original), without checking anything: what the fake
// answers in its canned mode, whose own cost stays negligible next to the server's.
std::string RenderValidAnswer(v1::Style style, const std::vector<NumberedCitation>& citations,
                              const std::set<int>& omit);

// ---- in-text matching --------------------------------------------------------------------------

// One in-text citation of an in-text request: "c3: (Smith, 2020)" → {3, "(Smith, 2020)"}.
struct IdentifiedCitation {
  int number = 0;  // the id's number (the id is "c" + number)
  std::string text;
};

// The parts of an in-text request's user message.
struct InlineMessage {
  // The numbered references, in message order (numbers as written).
  std::vector<NumberedCitation> references;
  std::vector<IdentifiedCitation> citations;
};

// True when `message` is an in-text request: it starts (after whitespace) with "REFERENCES:".
bool IsInlineMessage(absl::string_view message);

// Reads an in-text request: the lines between "REFERENCES:" and "IN-TEXT CITATIONS:" as in
// ParseNumberedCitations; after it, each line "c<N>: <text>" (case-insensitive c, whitespace
// trimmed) is a citation. Other lines are ignored. CRLF or LF.
InlineMessage ParseInlineMessage(absl::string_view message);

// The JSON answer: {"results": [...]} with one entry per citation, except those whose number is
// in `omit`, each {"id", "match", "references" (1-based), "problem", "correction"} from
// InlineMatcher's verdict against the references; with `out_of_range` the first entry names
// reference count + 1 instead. Wrapped in a ```json code fence, as chat models tend to write it.
std::string RenderInlineAnswer(v1::Style style, const InlineMessage& message,
                               const std::set<int>& omit, bool out_of_range);

}  // namespace citecheck::fake_openai

#endif  // CITECHECK_TESTS_FAKE_OPENAI_ANSWER_H_

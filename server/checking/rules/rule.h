#ifndef CITECHECK_SERVER_CHECKING_RULES_RULE_H_
#define CITECHECK_SERVER_CHECKING_RULES_RULE_H_

// The shape of a heuristic style rule, and the loop that runs a style's rules over a citation.
//
// A rule looks at one CitationAnatomy and, for each problem it recognises, adds a RuleFinding:
// the error to report and, when the fix is known, the edit that makes the citation correct in
// that respect. Rules never invent data: a missing part is written as "[MISSING: element]".
//
// Rules run in order, each on the citation as corrected by the rules before it (it is parsed
// afresh), so fixes compose and a rule only ever sees problems that are still there.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/checking/citation_anatomy.h"

namespace citecheck {

// Replace the bytes [begin, end) of the anatomy's text with `replacement` (begin == end
// inserts).
struct TextEdit {
  size_t begin = 0;
  size_t end = 0;
  std::string replacement;
};

struct RuleFinding {
  // The part of the citation, e.g. "Authors", "Year", "Title", "Journal", "DOI".
  std::string component;
  // What is wrong, in a sentence.
  std::string problem;
  // What the part should be; italics as <em>x</em> (MarkdownToHtml, markdown_html.h).
  std::string correction;
  // The fix. Empty when the problem cannot be fixed without data the citation lacks. Edits of
  // one finding must not overlap.
  std::vector<TextEdit> edits;
};

struct Rule {
  // Stable, style-prefixed identifier, e.g. "apa7-author-list".
  absl::string_view name;
  // Appends the problems this rule finds in `citation` to `findings`.
  void (*check)(const CitationAnatomy& citation, std::vector<RuleFinding>* findings);
};

// What a style's rules make of one citation.
struct RuleOutcome {
  std::vector<v1::CitationError> errors;
  // The citation with every fix applied (equal to the input when nothing was fixed).
  std::string corrected;
};

// Runs `rules` in order over `citation`; deterministic.
RuleOutcome RunRules(const std::vector<Rule>& rules, absl::string_view citation);

// The rule called `name` in `rules`, or null.
const Rule* FindRule(const std::vector<Rule>& rules, absl::string_view name);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_RULES_RULE_H_

#ifndef CITECHECK_SERVER_CHECKING_INLINE_ANSWER_PARSER_H_
#define CITECHECK_SERVER_CHECKING_INLINE_ANSWER_PARSER_H_

// Reads the LLM's answer to the in-text prompts of inline_prompts.h. Pure; no I/O.
//
// Tolerant where models drift, strict where a wrong answer would mislead:
//   - the JSON object may be wrapped in a markdown code fence or have prose around it: the first
//     '{' or '[' from which a complete JSON value with results parses is taken (an object with a
//     "results" array, or a bare array read as that array; one nested deeper than
//     kMaxJsonNesting is not read);
//   - an entry's "id" is matched case-insensitively and trimmed ("C3 " is "c3"); a number n is
//     read as "cn"; ids that were not asked are ignored; the first valid entry of an id wins;
//   - "match" is read case-insensitively with "-" or " " for "_" ("Not found" is not_found);
//     "match"/"matched", "mismatch"/"mismatched" are accepted;
//   - "references" is an array of numbers (numeric strings accepted) or a single number; absent
//     or null is none;
//   - "problem" and "correction" are strings (absent or null is "").
// An entry is valid when its match is known and its references fit it: exactly one for matched
// and mismatch, at least one for ambiguous (not_found drops any). Invalid entries count as
// missing. A reference number outside 1..reference_count makes the WHOLE answer bad (the model
// did not read the list right); so does an answer with no valid entry for an asked id.
//
// Results carry match, reference_indices (0-based), problem (cleared for matched) and
// correction (kept for mismatch only); index/text/offset are left unset.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

struct ParsedInlineAnswer {
  // False when the answer is bad (see above): the caller counts a failed attempt.
  bool usable = false;
  // Position in `asked_ids` → its verdict.
  std::map<int, v1::InlineCitation> results;
  // Positions in `asked_ids` without a valid entry, ascending (asked again on their own).
  std::vector<int> missing;
  // Why the answer is bad, for logs ("" when usable). Never holds answer text.
  std::string defect;
};

// Parses `answer` to a request that asked `asked_ids` (e.g. {"c1", "c4"}) against a list of
// `reference_count` references.
ParsedInlineAnswer ParseInlineAnswer(absl::string_view answer,
                                     const std::vector<std::string>& asked_ids,
                                     int reference_count);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_INLINE_ANSWER_PARSER_H_

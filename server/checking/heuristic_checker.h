#ifndef CITECHECK_SERVER_CHECKING_HEURISTIC_CHECKER_H_
#define CITECHECK_SERVER_CHECKING_HEURISTIC_CHECKER_H_

// The built-in, offline checker used when no LLM endpoint is configured.
//
// Each citation is dissected (citation_anatomy.h) and run through the style's rule list
// (rules/apa7_rules.h, rules/mla9_rules.h, rules/chicago17_rules.h); the rules report errors
// and fix what they can. The result for a citation:
//   - original: the citation as given;
//   - source_type: recognised from the citation itself (CitationAnatomy::source_type): "journal
//     article", "book", "edited book", "book chapter", "conference paper", "webpage",
//     "report", "thesis", "dataset", "software" or "other" (always filled); the rules apply
//     per source type;
//   - errors: one CitationError per problem found (corrections use <em> for italics);
//   - corrected_citation: the citation with every fix applied, italics as `_x_` like the input,
//     missing data as "[MISSING: element]"; empty when there are no errors or nothing changed;
//   - valid: errors is empty.
//
// The heuristics are deterministic: the same citation and style always give the same result.
// They are only good at well-formed-ish entries; anything they cannot make sense of is left
// alone rather than guessed at.
//
// Thread-safe; Check() never returns an error status and ignores the deadline and cancellation
// (it takes microseconds per citation).

#include <memory>
#include <string>
#include <vector>

#include "server/checking/checker.h"

namespace citecheck {

class HeuristicChecker final : public Checker {
 public:
  static constexpr absl::string_view kModelName = "heuristic";

  HeuristicChecker() = default;

  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;

  // "heuristic".
  std::string ModelName() const override;

  // True for "" (the primary model) and "heuristic".
  bool SupportsModel(const std::string& model) const override;

  // Checks one citation against `style` (STYLE_UNSPECIFIED means APA 7). `index` is left 0.
  static v1::CitationResult CheckCitation(v1::Style style, const std::string& citation);
};

// A HeuristicChecker, for callers that want the Checker interface only.
std::unique_ptr<Checker> MakeHeuristicChecker();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_HEURISTIC_CHECKER_H_

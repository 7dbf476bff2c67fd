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
// In-text citations are matched by InlineMatcher (inline_matcher.h). The matcher of a reference
// list is kept for the next chunks of the same document (a few lists at once, most recently
// used first), so a document's reference list is read once, not once per chunk.
//
// Thread-safe; Check() and MatchInline() never return an error status and ignore the deadline
// and cancellation (they take microseconds per citation).

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/checking/checker.h"
#include "server/checking/inline_matcher.h"

namespace citecheck {

class HeuristicChecker final : public Checker {
 public:
  static constexpr absl::string_view kModelName = "heuristic";

  HeuristicChecker() = default;

  std::vector<absl::StatusOr<v1::CitationResult>> Check(const CheckRequest& request) override;
  std::vector<absl::StatusOr<v1::InlineCitation>> MatchInline(
      const InlineCheckRequest& request) override;

  // "heuristic".
  std::string ModelName() const override;

  // True for "" (the primary model) and "heuristic".
  bool SupportsModel(const std::string& model) const override;

  // Checks one citation against `style` (STYLE_UNSPECIFIED means APA 7). `index` is left 0.
  static v1::CitationResult CheckCitation(v1::Style style, const std::string& citation);

 private:
  // Reference lists whose matchers are kept.
  static constexpr size_t kCachedReferenceLists = 8;

  struct CachedMatcher {
    v1::Style style;
    std::vector<std::string> references;
    std::shared_ptr<const InlineMatcher> matcher;
  };

  // The matcher for `references`, read now or kept from an earlier call. Reading happens outside
  // the lock.
  std::shared_ptr<const InlineMatcher> MatcherFor(v1::Style style,
                                                  const std::vector<std::string>& references);

  absl::Mutex mu_;
  std::list<CachedMatcher> matchers_ ABSL_GUARDED_BY(mu_);  // most recently used first
};

// A HeuristicChecker, for callers that want the Checker interface only.
std::unique_ptr<Checker> MakeHeuristicChecker();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_HEURISTIC_CHECKER_H_

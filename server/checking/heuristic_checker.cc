#include "server/checking/heuristic_checker.h"

#include <utility>

#include "server/checking/citation_anatomy.h"
#include "server/checking/rules/apa7_rules.h"
#include "server/checking/rules/chicago17_rules.h"
#include "server/checking/rules/mla9_rules.h"
#include "server/checking/rules/rule.h"

namespace citecheck {
namespace {

const std::vector<Rule>& RulesFor(v1::Style style) {
  switch (style) {
    case v1::STYLE_MLA9:
      return Mla9Rules();
    case v1::STYLE_CHICAGO17:
      return Chicago17Rules();
    default:
      return Apa7Rules();
  }
}

}  // namespace

v1::CitationResult HeuristicChecker::CheckCitation(v1::Style style, const std::string& citation) {
  v1::CitationResult result;
  result.set_original(citation);
  result.set_source_type(ParseCitationAnatomy(citation).source_type);
  RuleOutcome outcome = RunRules(RulesFor(style), citation);
  for (v1::CitationError& error : outcome.errors) *result.add_errors() = std::move(error);
  if (result.errors_size() > 0 && outcome.corrected != citation) {
    result.set_corrected_citation(std::move(outcome.corrected));
  }
  result.set_valid(result.errors_size() == 0);
  return result;
}

std::vector<absl::StatusOr<v1::CitationResult>> HeuristicChecker::Check(
    const CheckRequest& request) {
  std::vector<absl::StatusOr<v1::CitationResult>> results;
  results.reserve(request.citations.size());
  for (const std::string& citation : request.citations) {
    results.emplace_back(CheckCitation(request.style, citation));
  }
  return results;
}

std::vector<absl::StatusOr<v1::InlineCitation>> HeuristicChecker::MatchInline(
    const InlineCheckRequest& request) {
  std::shared_ptr<const InlineMatcher> matcher = MatcherFor(request.style, request.references);
  std::vector<absl::StatusOr<v1::InlineCitation>> verdicts;
  verdicts.reserve(request.citations.size());
  for (const InlineQuery& query : request.citations) {
    v1::InlineCitation verdict = matcher->Match(query.text);
    verdict.set_index(query.index);
    verdict.set_text(query.text);
    verdicts.emplace_back(std::move(verdict));
  }
  return verdicts;
}

std::shared_ptr<const InlineMatcher> HeuristicChecker::MatcherFor(
    v1::Style style, const std::vector<std::string>& references) {
  {
    absl::MutexLock lock(&mu_);
    for (auto it = matchers_.begin(); it != matchers_.end(); ++it) {
      if (it->style == style && it->references == references) {
        matchers_.splice(matchers_.begin(), matchers_, it);
        return it->matcher;
      }
    }
  }
  auto matcher = std::make_shared<const InlineMatcher>(style, references);
  absl::MutexLock lock(&mu_);
  matchers_.push_front(CachedMatcher{style, references, matcher});
  if (matchers_.size() > kCachedReferenceLists) matchers_.pop_back();
  return matcher;
}

std::string HeuristicChecker::ModelName() const { return std::string(kModelName); }

bool HeuristicChecker::SupportsModel(const std::string& model) const {
  return model.empty() || model == kModelName;
}

std::unique_ptr<Checker> MakeHeuristicChecker() { return std::make_unique<HeuristicChecker>(); }

}  // namespace citecheck

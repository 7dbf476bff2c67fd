#include "server/checking/rules/rule.h"

#include <algorithm>

namespace citecheck {
namespace {

// Trims and collapses runs of spaces that edits may leave behind.
std::string CollapseSpaces(absl::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  for (char c : text) {
    if (c == ' ' && (collapsed.empty() || collapsed.back() == ' ')) continue;
    collapsed.push_back(c);
  }
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}

}  // namespace

RuleOutcome RunRules(const std::vector<Rule>& rules, absl::string_view citation) {
  RuleOutcome outcome;
  std::string draft(citation);
  for (const Rule& rule : rules) {
    CitationAnatomy anatomy = ParseCitationAnatomy(draft);
    std::vector<RuleFinding> findings;
    rule.check(anatomy, &findings);
    std::vector<TextEdit> edits;
    for (RuleFinding& finding : findings) {
      v1::CitationError& error = outcome.errors.emplace_back();
      error.set_component(std::move(finding.component));
      error.set_problem(std::move(finding.problem));
      error.set_correction(std::move(finding.correction));
      for (TextEdit& edit : finding.edits) edits.push_back(std::move(edit));
    }
    if (edits.empty()) continue;
    std::stable_sort(edits.begin(), edits.end(), [](const TextEdit& a, const TextEdit& b) {
      return a.begin > b.begin || (a.begin == b.begin && a.end > b.end);
    });
    // Applied back to front so earlier offsets stay valid; an edit overlapping one already
    // applied is dropped (its error is still reported).
    size_t applied_from = draft.size();
    for (const TextEdit& edit : edits) {
      if (edit.begin > edit.end || edit.end > applied_from) continue;
      draft.replace(edit.begin, edit.end - edit.begin, edit.replacement);
      applied_from = edit.begin;
    }
    draft = CollapseSpaces(draft);
  }
  outcome.corrected = std::move(draft);
  return outcome;
}

const Rule* FindRule(const std::vector<Rule>& rules, absl::string_view name) {
  for (const Rule& rule : rules) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

}  // namespace citecheck

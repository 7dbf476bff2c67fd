#include "server/checking/rules/rule.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

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

bool IsWordByte(char c) { return absl::ascii_isalnum(c) || static_cast<unsigned char>(c) >= 0x80; }

// True when text[pos] == '_' can open (or, with `closing`, close) an italic span: markers sit
// at word edges, so the underscore in "abc_def" (a DOI, say) is not one.
bool IsMarkerAt(absl::string_view text, size_t pos, bool closing) {
  if (text[pos] != '_') return false;
  if (closing) return pos + 1 == text.size() || !IsWordByte(text[pos + 1]);
  return pos == 0 || !IsWordByte(text[pos - 1]);
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

std::string MarkdownToHtml(absl::string_view markdown) {
  std::string html;
  size_t i = 0;
  while (i < markdown.size()) {
    if (absl::StartsWith(markdown.substr(i), "**")) {
      size_t close = markdown.find("**", i + 2);
      if (close != absl::string_view::npos && close > i + 2) {
        html += "<strong>";
        html += MarkdownToHtml(markdown.substr(i + 2, close - i - 2));
        html += "</strong>";
        i = close + 2;
        continue;
      }
    }
    if (IsMarkerAt(markdown, i, /*closing=*/false)) {
      size_t close = i + 1;
      while (close < markdown.size() && !IsMarkerAt(markdown, close, /*closing=*/true)) ++close;
      if (close < markdown.size() && close > i + 1) {
        html += "<em>";
        html += MarkdownToHtml(markdown.substr(i + 1, close - i - 1));
        html += "</em>";
        i = close + 1;
        continue;
      }
    }
    html.push_back(markdown[i++]);
  }
  return html;
}

std::string WithoutItalicMarkers(absl::string_view text) {
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsMarkerAt(text, i, /*closing=*/false) || IsMarkerAt(text, i, /*closing=*/true)) continue;
    plain.push_back(text[i]);
  }
  return plain;
}

}  // namespace citecheck

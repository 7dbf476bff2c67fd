#include "server/checking/rules/mla9_rules.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/author_names.h"
#include "server/checking/markdown_html.h"
#include "server/checking/rules/shared_checks.h"

namespace citecheck {
namespace {

void CheckAuthorCount(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  AuthorList authors = ParseAuthorList(citation);
  if (authors.names.empty() || authors.ellipsis) return;
  size_t count = authors.names.size();
  if (count == 1 && !authors.et_al) return;
  // "Smith, John, Rachel Doe, et al.": citeproc-js adds a second name to tell two works of
  // "Smith et al." apart; accepted as written.
  if (count == 2 && authors.et_al) return;
  const AuthorName& first = authors.names.front();
  std::string expected_rest;
  std::vector<std::string> problems;
  if (count >= 3 || authors.et_al) {
    expected_rest = ", et al.";
    problems.push_back(
        "For three or more authors, give only the first author followed by \", et al.\".");
  } else {
    expected_rest = FollowingAuthorsJoinedWithAnd(authors);
    problems = FollowingAuthorProblems(authors);
  }
  size_t rest_begin = first.span.end;
  size_t rest_end = authors.role.present() ? authors.role.begin : citation.authors.end;
  if (citation.Of({rest_begin, rest_end}) == expected_rest) return;
  if (problems.empty()) return;
  findings->push_back({"Authors",
                       absl::StrJoin(problems, " "),
                       MarkdownToHtml(absl::StrCat(InvertedName(first), expected_rest)),
                       {AuthorListEdit(citation, rest_begin, rest_end, expected_rest)}});
}

void CheckContainerItalics(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckContainerItalic(citation, "Container",
                       "Put the title of the container (journal or web site) in italics.",
                       /*include_webpages=*/true, findings);
}

// The text between two parts holds only separators.
bool OnlySeparatorsBetween(const CitationAnatomy& citation, size_t begin, size_t end) {
  for (char c : citation.Of({begin, end})) {
    if (c != ',' && c != ' ') return false;
  }
  return true;
}

void CheckVolumeIssueLabels(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.IsJournalArticle() || !citation.container_details_understood) return;
  bool has_volume = citation.volume.present();
  bool has_issue = citation.issue.present();
  if (!has_volume && !has_issue) return;
  if (has_volume && has_issue && citation.issue_form == IssueForm::kLabelled &&
      !OnlySeparatorsBetween(citation, citation.volume_group.end, citation.issue_group.begin)) {
    return;  // Something we do not understand sits between them.
  }
  std::vector<std::string> problems;
  std::vector<std::string> parts;
  if (has_volume) {
    if (citation.Of(citation.volume_label) != "vol. " || citation.volume_italic) {
      problems.push_back("Label the volume \"vol.\" (lower case, not italic).");
    }
    parts.push_back(absl::StrCat("vol. ", citation.Of(citation.volume)));
  }
  if (has_issue) {
    absl::string_view label = citation.Of({citation.issue_group.begin, citation.issue.begin});
    if (citation.issue_form != IssueForm::kLabelled || label != "no. ") {
      problems.push_back("Label the issue \"no.\" (e.g., \"vol. 14, no. 2\").");
    }
    parts.push_back(absl::StrCat("no. ", citation.Of(citation.issue)));
  }
  if (problems.empty()) return;
  std::string expected = absl::StrJoin(parts, ", ");
  size_t begin = has_volume ? citation.volume_group.begin : citation.issue_group.begin;
  size_t end = has_issue ? citation.issue_group.end : citation.volume_group.end;
  findings->push_back({has_volume ? "Volume" : "Issue",
                       absl::StrJoin(problems, " "),
                       expected,
                       {{begin, end, expected}}});
}

void CheckPageLabel(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.pages.present()) return;
  absl::string_view pages = citation.Of(citation.pages);
  bool is_range = WithEnDash(pages).find("\xE2\x80\x93") != std::string::npos;
  absl::string_view expected_label = is_range ? "pp. " : "p. ";
  absl::string_view label = citation.Of(citation.pages_label);
  if (label == expected_label) return;
  // A bare number that is neither a range nor an e-locator is an article number ("…, no. 6,
  // 948383, 1996"), written without a label.
  if (label.empty() && !is_range && absl::ascii_isdigit(pages.front())) return;
  std::string problem = label.empty()
                            ? "Put \"pp.\" before a page range (\"p.\" before a single page)."
                            : "Use \"pp.\" before a page range and \"p.\" before a single page.";
  findings->push_back(
      {"Pages",
       problem,
       absl::StrCat(expected_label, pages),
       {{citation.pages_group.begin, citation.pages.begin, std::string(expected_label)}}});
}

void CheckDoiFormat(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckDoiAsUrl(citation, /*forbid_final_period=*/false, findings);
}

void CheckFirstAuthor(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckFirstAuthorInverted(citation, /*demote_particles=*/false, findings);
}

// MLA names editors of a whole book with a role word: "Doe, Rachel, editor."
void CheckEditorRole(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  absl::string_view authors = citation.Of(citation.authors);
  static constexpr std::pair<absl::string_view, absl::string_view> kRoles[] = {
      {" (Eds.)", ", editors"}, {" (Ed.)", ", editor"},  {", eds.", ", editors"},
      {", ed.", ", editor"},    {" (Eds)", ", editors"}, {" (Ed)", ", editor"}};
  for (const auto& [written, expected] : kRoles) {
    if (!absl::EndsWith(authors, written)) continue;
    size_t begin = citation.authors.end - written.size();
    findings->push_back(
        {"Authors",
         absl::StrCat("Name the role in words after the names: \"", expected.substr(2), "\"."),
         MarkdownToHtml(absl::StrCat(authors.substr(0, authors.size() - written.size()), expected)),
         {{begin, citation.authors.end, std::string(expected)}}});
    return;
  }
}

// MLA gives the date in the container ("…, vol. 14, no. 2, 2020, pp. 1–9."; "…, Penguin,
// 2019."), never right after the authors.
void CheckDatePosition(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.year_after_authors || !citation.year.present() || citation.year_parenthesized ||
      !citation.container.present() || !citation.title_element.present()) {
    return;
  }
  absl::string_view text = citation.text;
  absl::string_view year = citation.Of(citation.year_group);
  absl::string_view container = citation.Of(citation.container);
  size_t insert = citation.container.end;
  for (absl::string_view label : {", pp. ", ", p. "}) {
    size_t at = container.find(label);
    if (at != absl::string_view::npos) insert = std::min(insert, citation.container.begin + at);
  }
  if (insert == citation.container.end && text[insert - 1] == ',') --insert;
  std::string shown = absl::StrCat(citation.Of({citation.container.begin, insert}), ", ", year);
  findings->push_back({"Date",
                       "Give the date after the publication details (e.g., \"vol. 14, no. 2, "
                       "2020, pp. 1–9\" or \"Penguin, 2019\"), not after the authors.",
                       MarkdownToHtml(shown),
                       {{citation.year_group.begin, citation.title_element.begin, ""},
                        {insert, insert, absl::StrCat(", ", year)}}});
}

// An MLA entry ends with a period.
void CheckFinalPeriod(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  absl::string_view text = citation.text;
  if (text.empty() || text.back() == '.') return;
  findings->push_back(
      {"Punctuation", "End the entry with a period.", ".", {{text.size(), text.size(), "."}}});
}

}  // namespace

const std::vector<Rule>& Mla9Rules() {
  static const auto* const kRules = new std::vector<Rule>{
      {"mla9-first-author-inverted", &CheckFirstAuthor},
      {"mla9-editor-role", &CheckEditorRole},
      {"mla9-author-count", &CheckAuthorCount},
      {"mla9-title-quotation-marks", &CheckArticleTitleQuoted},
      {"mla9-title-case", &CheckTitleCase},
      {"mla9-container-italics", &CheckContainerItalics},
      {"mla9-volume-issue-labels", &CheckVolumeIssueLabels},
      {"mla9-page-label", &CheckPageLabel},
      {"mla9-doi-format", &CheckDoiFormat},
      {"mla9-book-title-italics", &CheckBookTitleItalic},
      {"mla9-date-position", &CheckDatePosition},
      {"mla9-final-period", &CheckFinalPeriod},
  };
  return *kRules;
}

}  // namespace citecheck

#include "server/checking/rules/mla9_rules.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/author_names.h"
#include "server/checking/rules/shared_checks.h"

namespace citecheck {
namespace {

void CheckAuthorCount(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  AuthorList authors = ParseAuthorList(citation);
  if (authors.names.empty() || authors.ellipsis) return;
  size_t count = authors.names.size();
  if (count == 1 && !authors.et_al) return;
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

}  // namespace

const std::vector<Rule>& Mla9Rules() {
  static const auto* const kRules = new std::vector<Rule>{
      {"mla9-first-author-inverted", &CheckFirstAuthorInverted},
      {"mla9-author-count", &CheckAuthorCount},
      {"mla9-title-quotation-marks", &CheckArticleTitleQuoted},
      {"mla9-title-case", &CheckTitleCase},
      {"mla9-container-italics", &CheckContainerItalics},
      {"mla9-volume-issue-labels", &CheckVolumeIssueLabels},
      {"mla9-page-label", &CheckPageLabel},
      {"mla9-doi-format", &CheckDoiFormat},
  };
  return *kRules;
}

}  // namespace citecheck

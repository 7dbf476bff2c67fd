#include "server/checking/rules/chicago17_rules.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/author_names.h"
#include "server/checking/markdown_html.h"
#include "server/checking/rules/shared_checks.h"

namespace citecheck {
namespace {

void CheckAuthorConnector(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  AuthorList authors = ParseAuthorList(citation);
  if (authors.names.size() < 2 || authors.et_al || authors.ellipsis) return;
  std::vector<std::string> problems = FollowingAuthorProblems(authors);
  if (problems.empty()) return;
  const AuthorName& first = authors.names.front();
  std::string expected_rest = FollowingAuthorsJoinedWithAnd(authors);
  size_t rest_begin = first.span.end;
  size_t rest_end = authors.role.present() ? authors.role.begin : citation.authors.end;
  if (citation.Of({rest_begin, rest_end}) == expected_rest) return;
  findings->push_back({"Authors",
                       absl::StrJoin(problems, " "),
                       MarkdownToHtml(absl::StrCat(InvertedName(first), expected_rest)),
                       {AuthorListEdit(citation, rest_begin, rest_end, expected_rest)}});
}

void CheckJournalItalics(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckContainerItalic(citation, "Journal", "Put the journal name in italics.",
                       /*include_webpages=*/false, findings);
}

// Author-date journal numbers: "14, no. 2: 101–15" (the manual) or "14 (2): 101–15" (the
// official CSL style); flags "vol.", an italic volume, APA's "14(2)" and a missing colon before
// the pages. The year belongs after the authors (chicago17-year-after-authors moves it there
// first); while one is still written here the rule waits.
void CheckVolumeIssue(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.IsJournalArticle() || !citation.volume.present() ||
      !citation.container_details_understood) {
    return;
  }
  if (citation.container_details.Contains(citation.year_group)) return;
  std::string expected = absl::StrCat(" ", citation.Of(citation.volume));
  if (citation.issue.present()) absl::StrAppend(&expected, ", no. ", citation.Of(citation.issue));
  if (citation.pages.present()) absl::StrAppend(&expected, ": ");
  size_t begin = citation.container_details.begin;
  size_t end = citation.pages.present() ? citation.pages_group.begin : citation.container.end;
  if (citation.Of({begin, end}) == expected) return;

  std::vector<std::string> problems;
  if (citation.volume_label.present()) problems.push_back("Do not label the volume \"vol.\".");
  if (citation.volume_italic) problems.push_back("Do not italicise the volume number.");
  if (citation.issue.present() &&
      (citation.issue_form != IssueForm::kLabelled ||
       citation.Of({citation.issue_group.begin, citation.issue.begin}) != "no. ")) {
    problems.push_back("Write the issue as \"no. N\" after the volume.");
  }
  if (citation.pages.present() && citation.Of(citation.pages_separator) != ": ") {
    problems.push_back("Put a colon before the page numbers.");
  }
  if (problems.empty()) problems.push_back("Write the volume and issue as \"14, no. 2\".");
  std::string shown(absl::StripAsciiWhitespace(expected));
  if (!shown.empty() && shown.back() == ':') shown.pop_back();
  findings->push_back({"Volume", absl::StrJoin(problems, " "), shown, {{begin, end, expected}}});
}

void CheckPageRange(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  bool applies = citation.IsJournalArticle() || citation.IsChapter() ||
                 citation.source_type == CitationAnatomy::kConferencePaper;
  if (!applies || !citation.pages.present()) return;
  absl::string_view pages = citation.Of(citation.pages);
  std::string expected = WithEnDash(pages);
  std::vector<std::string> problems;
  if (citation.pages_label.present()) {
    problems.push_back("Do not put \"pp.\" before the pages of a journal article.");
  }
  if (expected != pages) problems.push_back("Join the first and last page with an en dash (–).");
  if (problems.empty()) return;
  findings->push_back({"Pages",
                       absl::StrJoin(problems, " "),
                       expected,
                       {{citation.pages_group.begin, citation.pages.end, expected}}});
}

void CheckDoiUrl(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckDoiAsUrl(citation, /*forbid_final_period=*/false, findings);
}

void CheckFirstAuthor(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckFirstAuthorInverted(citation, /*demote_particles=*/true, findings);
}

// The year at the end of the publisher's element, as the notes-bibliography form writes it:
// "London: Verso, 2009"; absent when there is none.
TextSpan YearAfterPublisher(const CitationAnatomy& citation) {
  if (!citation.publisher_element.present()) return {};
  absl::string_view element = citation.Of(citation.publisher_element);
  size_t comma = element.rfind(", ");
  if (comma == absl::string_view::npos) return {};
  size_t begin = citation.publisher_element.begin + comma + 2;
  if (YearLengthAt(citation.text, begin) != citation.publisher_element.end - begin) return {};
  return {begin, citation.publisher_element.end};
}

// Where a year written in the container starts, with the separator before it (", 2020" or
// " (2020)").
size_t StartWithSeparator(const CitationAnatomy& citation, const TextSpan& year) {
  size_t begin = year.begin;
  while (begin > citation.container.begin &&
         (citation.text[begin - 1] == ' ' || citation.text[begin - 1] == ',')) {
    --begin;
  }
  return begin;
}

// True when the citation (before its link) holds a year or "n.d." anywhere.
bool HasAnyYear(const CitationAnatomy& citation) {
  absl::string_view text = citation.text;
  size_t end = citation.link.present() ? citation.link.begin : text.size();
  for (size_t i = 0; i < end; ++i) {
    if ((i == 0 || !absl::ascii_isalnum(text[i - 1])) && YearLengthAt(text, i) > 0) return true;
  }
  return false;
}

// Author-date: the year follows the authors as an element of its own, "Smith, John. 2020.",
// without parentheses; a year written elsewhere (after the issue, the pages or the publisher,
// as the notes-bibliography system has it) is moved there.
void CheckYearAfterAuthors(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.authors.present() || !citation.title_element.present()) return;
  if (citation.year_after_authors && citation.year_parenthesized) {
    std::string year(citation.Of(citation.year));
    findings->push_back({"Year",
                         "Do not put the year in parentheses: \"Smith, John. 2020.\".",
                         year,
                         {{citation.year_group.begin, citation.year_group.end, year}}});
    return;
  }
  if (citation.year_after_authors) return;
  TextSpan moved = YearAfterPublisher(citation);
  size_t moved_from = moved.present() ? moved.begin - 2 : 0;
  if (!moved.present() && citation.year.present() &&
      citation.container_details.Contains(citation.year_group)) {
    moved = citation.year_group;  // "14, no. 2 (2020): 1–9", "…: 101–15, 2020", "…, 2020, …".
    moved_from = StartWithSeparator(citation, moved);
  }
  if (!moved.present()) {
    if (!HasAnyYear(citation)) {
      size_t authors_end = citation.authors.end;
      absl::string_view separator = citation.text[authors_end - 1] == '.' ? " " : ". ";
      findings->push_back({"Year",
                           "The year is missing; it follows the authors (\"n.d.\" when the work "
                           "has none).",
                           "[MISSING: year]",
                           {{authors_end, citation.title_element.begin,
                             absl::StrCat(separator, "[MISSING: year]. ")}}});
    }
    return;
  }
  std::string year(citation.Of(citation.year_group.present() && citation.year_group.Contains(moved)
                                   ? citation.year
                                   : moved));
  size_t authors_end = citation.authors.end;
  absl::string_view separator = citation.text[authors_end - 1] == '.' ? " " : ". ";
  findings->push_back(
      {"Year",
       "Put the year right after the authors (author-date): \"Smith, John. 2020.\", not after "
       "the issue, the pages or the publisher.",
       year,
       {{authors_end, citation.title_element.begin, absl::StrCat(separator, year, ". ")},
        {moved_from, moved.end, ""}}});
}

// Books and chapters give the place of publication: "New York: Routledge".
void CheckPlaceOfPublication(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  bool applies = citation.IsBook() || citation.IsChapter() ||
                 citation.source_type == CitationAnatomy::kEditedBook;
  if (!applies || citation.place.present() || !citation.publisher_element.present()) return;
  absl::string_view publisher = citation.Of(citation.publisher_element);
  findings->push_back({"Publisher",
                       "Give the place of publication before the publisher: \"Place: "
                       "Publisher\".",
                       absl::StrCat("[MISSING: place]: ", publisher),
                       {{citation.publisher_element.begin, citation.publisher_element.begin,
                         "[MISSING: place]: "}}});
}

}  // namespace

const std::vector<Rule>& Chicago17Rules() {
  static const auto* const kRules = new std::vector<Rule>{
      {"chicago17-first-author-inverted", &CheckFirstAuthor},
      {"chicago17-author-connector", &CheckAuthorConnector},
      {"chicago17-title-quotation-marks", &CheckArticleTitleQuoted},
      {"chicago17-title-case", &CheckTitleCase},
      {"chicago17-journal-italics", &CheckJournalItalics},
      {"chicago17-year-after-authors", &CheckYearAfterAuthors},
      {"chicago17-volume-issue-year", &CheckVolumeIssue},
      {"chicago17-page-range", &CheckPageRange},
      {"chicago17-doi-url", &CheckDoiUrl},
      {"chicago17-book-title-italics", &CheckBookTitleItalic},
      {"chicago17-place-of-publication", &CheckPlaceOfPublication},
  };
  return *kRules;
}

}  // namespace citecheck

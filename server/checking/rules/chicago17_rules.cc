#include "server/checking/rules/chicago17_rules.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/author_names.h"
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

void CheckVolumeIssueYear(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.IsJournalArticle() || !citation.volume.present() ||
      !citation.container_details_understood) {
    return;
  }
  bool year_in_details = citation.container_details.Contains(citation.year_group);
  // Author-date entries carry the year after the authors; the bibliography form wants it here.
  bool year_wanted_here = !citation.year_after_authors;
  std::string year;
  if (year_wanted_here) {
    year = citation.year.present() ? std::string(citation.Of(citation.year))
                                   : std::string("[MISSING: year]");
  }
  std::string expected = absl::StrCat(" ", citation.Of(citation.volume));
  if (citation.issue.present()) absl::StrAppend(&expected, ", no. ", citation.Of(citation.issue));
  if (year_wanted_here) absl::StrAppend(&expected, " (", year, ")");
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
  if (year_wanted_here && !citation.year.present()) {
    problems.push_back("The year is missing; it goes in parentheses after the volume and issue.");
  } else if (year_wanted_here && (!year_in_details || !citation.year_parenthesized)) {
    problems.push_back("Put the year in parentheses after the volume and issue.");
  }
  if (citation.pages.present() && citation.Of(citation.pages_separator) != ": ") {
    problems.push_back("Put a colon before the page numbers.");
  }
  if (problems.empty()) {
    problems.push_back("Write the volume, issue and year as \"14, no. 2 (2020)\".");
  }
  std::string shown(absl::StripAsciiWhitespace(expected));
  if (!shown.empty() && shown.back() == ':') shown.pop_back();
  RuleFinding finding{"Volume", absl::StrJoin(problems, " "), shown, {{begin, end, expected}}};
  if (year_in_details && citation.year_group.begin >= end) {  // "..., pp. 1–9, 2020": move it.
    size_t year_begin = citation.year_group.begin;
    while (year_begin > end &&
           (citation.text[year_begin - 1] == ' ' || citation.text[year_begin - 1] == ',')) {
      --year_begin;
    }
    finding.edits.push_back({year_begin, citation.year_group.end, ""});
  }
  findings->push_back(std::move(finding));
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

// Author-date: the year follows the authors as an element of its own, "Smith, John. 2020.",
// without parentheses.
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
  if (!moved.present()) return;
  std::string year(citation.Of(moved));
  size_t authors_end = citation.authors.end;
  absl::string_view separator = citation.text[authors_end - 1] == '.' ? " " : ". ";
  findings->push_back(
      {"Year",
       "Put the year right after the authors (author-date): \"Smith, John. "
       "2020.\", not after the publisher.",
       year,
       {{authors_end, citation.title_element.begin, absl::StrCat(separator, year, ". ")},
        {moved.begin - 2, moved.end, ""}}});
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
      {"chicago17-volume-issue-year", &CheckVolumeIssueYear},
      {"chicago17-page-range", &CheckPageRange},
      {"chicago17-doi-url", &CheckDoiUrl},
      {"chicago17-year-after-authors", &CheckYearAfterAuthors},
      {"chicago17-book-title-italics", &CheckBookTitleItalic},
      {"chicago17-place-of-publication", &CheckPlaceOfPublication},
  };
  return *kRules;
}

}  // namespace citecheck

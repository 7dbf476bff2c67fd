#include "server/checking/rules/apa7_rules.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/author_names.h"
#include "server/checking/markdown_html.h"
#include "server/checking/rules/shared_checks.h"
#include "server/checking/title_case.h"

namespace citecheck {
namespace {

constexpr absl::string_view kEnDash = "\xE2\x80\x93";

std::string ApaAuthorList(const AuthorList& authors) {
  std::vector<std::string> names;
  for (const AuthorName& name : authors.names) names.push_back(ApaName(name));
  if (names.size() == 1) return names.front();
  std::string last = std::move(names.back());
  names.pop_back();
  return absl::StrCat(absl::StrJoin(names, ", "), ", & ", last);
}

// APA 7 lists up to 20 authors; with 21 or more, the first 19, an ellipsis and the last.
constexpr size_t kMaxListedAuthors = 20;
constexpr size_t kAuthorsBeforeEllipsis = 19;

std::string ApaAuthorListWithEllipsis(const AuthorList& authors) {
  std::vector<std::string> names;
  for (size_t i = 0; i < kAuthorsBeforeEllipsis; ++i) names.push_back(ApaName(authors.names[i]));
  return absl::StrCat(absl::StrJoin(names, ", "), ", \xE2\x80\xA6 ", ApaName(authors.names.back()));
}

void CheckAuthorList(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  AuthorList authors = ParseAuthorList(citation);
  if (authors.names.size() > kMaxListedAuthors && !authors.ellipsis && !authors.et_al) {
    std::string expected = ApaAuthorListWithEllipsis(authors);
    size_t names_end = authors.role.present() ? authors.role.begin : citation.authors.end;
    findings->push_back(
        {"Authors",
         "With 21 or more authors, list the first 19, then an ellipsis (…) and the last author.",
         MarkdownToHtml(expected),
         {AuthorListEdit(citation, citation.authors.begin, names_end, expected)}});
    return;
  }
  // "A, …, S, … Z": the names themselves are still checked.
  if (authors.ellipsis && authors.names.size() == kAuthorsBeforeEllipsis + 1) {
    std::string expected = ApaAuthorListWithEllipsis(authors);
    size_t names_end = authors.role.present() ? authors.role.begin : citation.authors.end;
    if (expected != citation.Of({citation.authors.begin, names_end})) {
      for (const AuthorName& name : authors.names) {
        if (name.group || (name.inverted && InitialsOf(name.given) == name.given)) continue;
        findings->push_back(
            {"Authors",
             "Write each author as Surname, Initials with periods (e.g., \"Smith, J. A.\").",
             MarkdownToHtml(expected),
             {AuthorListEdit(citation, citation.authors.begin, names_end, expected)}});
        return;
      }
    }
    return;
  }
  if (authors.names.empty() || authors.ellipsis || authors.et_al) return;
  if (authors.names.size() >= 2) {
    for (const AuthorName& name : authors.names) {
      // A one-word "group" among several authors means the list was not understood.
      if (name.group && name.surname.find(' ') == std::string::npos) return;
    }
  }
  std::vector<std::string> problems;
  bool order_flagged = false;
  bool initials_flagged = false;
  for (const AuthorName& name : authors.names) {
    if (name.group) continue;
    if (!name.inverted && !order_flagged) {
      problems.push_back("Write each author as Surname, Initials (e.g., \"Smith, J. A.\").");
      order_flagged = true;
    } else if (name.inverted && InitialsOf(name.given) != name.given && !initials_flagged) {
      problems.push_back("Give first and middle names as initials with periods (e.g., \"J. A.\").");
      initials_flagged = true;
    }
  }
  if (authors.names.size() >= 2) {
    if (authors.last_connector == AuthorConnector::kAnd) {
      problems.push_back("Use \"&\" instead of \"and\" before the last author.");
    } else if (authors.last_connector == AuthorConnector::kNone) {
      problems.push_back("Put \"&\" before the last author.");
    } else if (!authors.comma_before_connector) {
      problems.push_back("Put a comma before \"&\" (also with two authors).");
    }
  }
  std::string expected = ApaAuthorList(authors);
  size_t names_end = authors.role.present() ? authors.role.begin : citation.authors.end;
  if (problems.empty() || expected == citation.Of({citation.authors.begin, names_end})) return;
  findings->push_back({"Authors",
                       absl::StrJoin(problems, " "),
                       MarkdownToHtml(absl::StrCat(expected, citation.Of(authors.role))),
                       {AuthorListEdit(citation, citation.authors.begin, names_end, expected)}});
}

// Where a year written inside the container starts, with the separator before it.
size_t StartWithSeparator(const CitationAnatomy& citation, size_t begin) {
  while (begin > 0 && citation.text[begin - 1] == ' ') --begin;
  if (begin > 0 && citation.text[begin - 1] == ',') --begin;
  return begin;
}

void CheckYearAfterAuthors(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  // Without authors the title leads and the date follows it: "_Title_. (2020, May 1)."
  if (!citation.authors.present() && citation.year_after_authors && !citation.year_parenthesized) {
    std::string expected = absl::StrCat("(", citation.Of(citation.year_group), ")");
    findings->push_back({"Year",
                         "Put the date in parentheses after the title (the reference has no "
                         "author).",
                         absl::StrCat(expected, "."),
                         {{citation.year_group.begin, citation.year_group.end, expected}}});
    return;
  }
  if (!citation.authors.present() || !citation.title_element.present()) return;
  absl::string_view text = citation.text;
  size_t authors_end = citation.authors.end;
  size_t title_begin = citation.title_element.begin;
  absl::string_view separator = text[authors_end - 1] == '.' ? " " : ". ";
  if (citation.year_after_authors && citation.year_parenthesized) {
    size_t after = citation.year_group.end;
    if (after < text.size() && text[after] == '.') return;
    std::string expected = absl::StrCat(citation.Of(citation.year_group), ".");
    findings->push_back({"Year",
                         "Put a period after the year in parentheses.",
                         expected,
                         {{after, title_begin, ". "}}});
    return;
  }
  std::string year = citation.year.present() ? std::string(citation.Of(citation.year_group))
                                             : std::string("[MISSING: year]");
  std::string expected = absl::StrCat("(", year, ").");
  RuleFinding finding{
      "Year", "", expected, {{authors_end, title_begin, absl::StrCat(separator, expected, " ")}}};
  if (!citation.year.present()) {
    finding.problem =
        "The year of publication is missing; it goes in parentheses after the "
        "authors.";
  } else if (citation.year_after_authors) {
    finding.problem = "Put the year in parentheses after the authors.";
  } else {
    finding.problem = "Move the year into parentheses after the authors.";
    if (citation.container_details.Contains(citation.year_group)) {
      finding.edits.push_back(
          {StartWithSeparator(citation, citation.year_group.begin), citation.year_group.end, ""});
    }
  }
  findings->push_back(std::move(finding));
}

void CheckTitleSentenceCase(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  absl::string_view title = citation.Of(citation.title);
  if (title.empty() || !LooksTitleCased(title)) return;
  std::string corrected = ToSentenceCase(title);
  if (corrected == title) return;
  std::string shown = citation.title_form == TitleForm::kItalic
                          ? absl::StrCat("<em>", corrected, "</em>")
                          : MarkdownToHtml(corrected);
  findings->push_back(
      {"Title",
       "Use sentence case for the title: capitalise only the first word, the first word after "
       "a colon and proper nouns.",
       shown,
       {{citation.title.begin, citation.title.end, corrected}}});
}

void CheckJournalAndVolumeItalics(const CitationAnatomy& citation,
                                  std::vector<RuleFinding>* findings) {
  CheckContainerItalic(citation, "Journal", "Put the journal name in italics.",
                       /*include_webpages=*/false, findings);
  if (!citation.IsJournalArticle() || !citation.volume.present()) return;
  if (citation.issue_italic) {
    std::string fixed =
        absl::StrCat("_", citation.Of(citation.volume), "_(", citation.Of(citation.issue), ")");
    findings->push_back({"Volume",
                         "Put only the volume number in italics, not the issue: _14_(2).",
                         MarkdownToHtml(fixed),
                         {{citation.volume_group.begin, citation.volume_group.end, fixed}}});
    return;
  }
  if (citation.volume_italic) return;
  std::string italic = absl::StrCat("_", citation.Of(citation.volume), "_");
  findings->push_back({"Volume",
                       "Put the volume number in italics (the issue number is not).",
                       MarkdownToHtml(italic),
                       {{citation.volume.begin, citation.volume.end, italic}}});
}

void CheckDoiFormat(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  CheckDoiAsUrl(citation, /*forbid_final_period=*/true, findings);
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// "101–15" → "101–115"; other ranges unchanged.
std::string WithFullLastPage(absl::string_view range) {
  size_t dash = range.find(kEnDash);
  if (dash == absl::string_view::npos) return std::string(range);
  absl::string_view first = range.substr(0, dash);
  absl::string_view last = range.substr(dash + kEnDash.size());
  if (!AllDigits(first) || !AllDigits(last) || last.size() >= first.size()) {
    return std::string(range);
  }
  std::string full_last = absl::StrCat(first.substr(0, first.size() - last.size()), last);
  if (full_last <= std::string(first)) return std::string(range);  // Not a shortened range.
  return absl::StrCat(first, kEnDash, full_last);
}

void CheckPageRange(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  bool chapter = citation.IsChapter();
  if (!citation.IsJournalArticle() && !chapter &&
      citation.source_type != CitationAnatomy::kConferencePaper) {
    return;
  }
  if (!citation.pages.present()) return;
  absl::string_view pages = citation.Of(citation.pages);
  std::string dashed = WithEnDash(pages);
  std::string expected = WithFullLastPage(dashed);
  std::vector<std::string> problems;
  if (citation.pages_label.present() && !chapter) {
    problems.push_back("Do not put \"pp.\" before the pages of a journal article.");
  }
  if (dashed != pages) problems.push_back("Join the first and last page with an en dash (–).");
  if (expected != dashed) problems.push_back("Give the last page in full (e.g., 101–115).");
  if (problems.empty()) return;
  size_t begin = chapter ? citation.pages.begin : citation.pages_group.begin;
  findings->push_back({"Pages",
                       absl::StrJoin(problems, " "),
                       chapter ? absl::StrCat("pp. ", expected) : expected,
                       {{begin, citation.pages.end, expected}}});
}

// Books and reports: "_Title_ (3rd ed.)", the edition after the italic title, not inside it.
void CheckEditionOutsideItalics(const CitationAnatomy& citation,
                                std::vector<RuleFinding>* findings) {
  if (citation.title_form != TitleForm::kItalic || !citation.edition.present() ||
      !citation.title.Contains(citation.edition) || citation.edition.end != citation.title.end) {
    return;
  }
  absl::string_view text = citation.text;
  size_t words_end = citation.edition.begin;
  while (words_end > citation.title.begin && text[words_end - 1] == ' ') --words_end;
  std::string expected = absl::StrCat(citation.Of({citation.title.begin, words_end}), "_ ",
                                      citation.Of(citation.edition));
  findings->push_back({"Edition",
                       "Put the edition after the italic title, not in italics: _Title_ (2nd ed.).",
                       MarkdownToHtml(absl::StrCat("_", expected)),
                       {{citation.title.begin, citation.title.end + 1, expected}}});
}

// APA 7 gives the publisher without its place: "Routledge.", not "New York: Routledge.".
void CheckNoPlaceOfPublication(const CitationAnatomy& citation,
                               std::vector<RuleFinding>* findings) {
  if (!citation.place.present() || citation.IsJournalArticle() || citation.IsWebpage()) return;
  findings->push_back({"Publisher",
                       "Omit the place of publication; give the publisher only.",
                       std::string(citation.Of(citation.publisher)),
                       {{citation.place.begin, citation.publisher.begin, ""}}});
}

// "Retrieved from URL" is dropped; a retrieval date ("Retrieved May 1, 2021, from URL") stays.
void CheckRetrievedFrom(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.retrieved_from.present()) return;
  findings->push_back({"URL",
                       "Drop \"Retrieved from\": give the URL alone (a retrieval date is given "
                       "only for pages that change over time).",
                       std::string(citation.Of(citation.link)),
                       {{citation.retrieved_from.begin, citation.retrieved_from.end, ""}}});
}

}  // namespace

const std::vector<Rule>& Apa7Rules() {
  static const auto* const kRules = new std::vector<Rule>{
      {"apa7-author-list", &CheckAuthorList},
      {"apa7-year-after-authors", &CheckYearAfterAuthors},
      {"apa7-title-sentence-case", &CheckTitleSentenceCase},
      {"apa7-journal-volume-italics", &CheckJournalAndVolumeItalics},
      {"apa7-doi-format", &CheckDoiFormat},
      {"apa7-page-range", &CheckPageRange},
      {"apa7-book-title-italics", &CheckBookTitleItalic},
      {"apa7-edition-outside-italics", &CheckEditionOutsideItalics},
      {"apa7-no-place-of-publication", &CheckNoPlaceOfPublication},
      {"apa7-retrieved-from", &CheckRetrievedFrom},
  };
  return *kRules;
}

}  // namespace citecheck

#include "server/checking/rules/shared_checks.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "server/checking/markdown_html.h"
#include "server/checking/title_case.h"

namespace citecheck {
namespace {

constexpr absl::string_view kEnDash = "\xE2\x80\x93";

}  // namespace

void CheckFirstAuthorInverted(const CitationAnatomy& citation, bool demote_particles,
                              std::vector<RuleFinding>* findings) {
  AuthorList authors = ParseAuthorList(citation);
  if (authors.names.empty()) return;
  AuthorName first = authors.names.front();
  if (first.group || first.inverted || first.given.empty()) return;
  if (demote_particles) {
    // "Sophie van der Berg" → "Berg, Sophie van der" (Chicago sorts by the capitalised part).
    size_t space = first.surname.rfind(' ');
    if (space != std::string::npos &&
        IsNameParticle(first.surname.substr(0, first.surname.find(' ')))) {
      absl::StrAppend(&first.given, " ", first.surname.substr(0, space));
      first.surname = first.surname.substr(space + 1);
    }
  }
  std::string inverted = InvertedName(first);
  findings->push_back({"Authors",
                       "List the first author surname first: \"Last, First\".",
                       MarkdownToHtml(inverted),
                       {AuthorListEdit(citation, first.span.begin, first.span.end, inverted)}});
}

QuoteMarks QuoteMarksOf(absl::string_view citation) {
  bool straight = citation.find('"') != absl::string_view::npos &&
                  citation.find("\xE2\x80\x9C") == absl::string_view::npos;
  return straight ? QuoteMarks{"\"", "\""} : QuoteMarks{"\xE2\x80\x9C", "\xE2\x80\x9D"};
}

void CheckArticleTitleQuoted(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.IsPartOfContainer()) return;
  // An italic title is flagged only when an italic container follows ("_Title_. _Journal_"):
  // otherwise it names a whole work.
  if (citation.title_form == TitleForm::kItalic && !citation.container_name_italic) return;
  if (!citation.title.present() || citation.title.size() == 0) return;
  absl::string_view title = citation.Of(citation.title);
  absl::string_view closing = EndsWithQuestionOrExclamation(title) ? "" : ".";
  QuoteMarks marks = QuoteMarksOf(citation.text);
  std::string expected = absl::StrCat(marks.open, title, closing, marks.close);
  absl::string_view written = citation.Of(citation.title_element);
  std::string problem;
  if (citation.title_form != TitleForm::kQuoted) {
    problem = "Put the title of the article, chapter or page in quotation marks.";
  } else {
    if (written == expected) return;
    std::string straightened =
        absl::StrReplaceAll(written, {{"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""}});
    std::string expected_straight =
        absl::StrReplaceAll(expected, {{"\xE2\x80\x9C", "\""}, {"\xE2\x80\x9D", "\""}});
    if (straightened == expected_straight) return;  // Mixed quote styles are left alone.
    problem = "End the title with a period inside the closing quotation mark.";
  }
  findings->push_back({"Title",
                       problem,
                       MarkdownToHtml(expected),
                       {{citation.title_element.begin, citation.title_element.end, expected}}});
}

void CheckTitleCase(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  absl::string_view title = citation.Of(citation.title);
  if (title.empty() || !HasLowercaseMajorWords(title)) return;
  std::string corrected = ToTitleCase(title);
  if (corrected == title) return;
  findings->push_back(
      {"Title",
       "Capitalise the title in title case: the first and last words and all major words "
       "(not articles, prepositions or coordinating conjunctions).",
       MarkdownToHtml(corrected),
       {{citation.title.begin, citation.title.end, corrected}}});
}

void CheckContainerItalic(const CitationAnatomy& citation, absl::string_view component,
                          absl::string_view problem, bool include_webpages,
                          std::vector<RuleFinding>* findings) {
  bool applies = citation.IsJournalArticle() ||
                 citation.source_type == CitationAnatomy::kConferencePaper ||
                 (include_webpages && (citation.IsWebpage() || citation.IsChapter()));
  if (!applies || citation.container_starts_with_in) return;
  absl::string_view name = citation.Of(citation.container_name);
  if (name.empty() || citation.container_name_italic) return;
  std::string italic = absl::StrCat("_", WithoutItalicMarkers(name), "_");
  findings->push_back({std::string(component),
                       std::string(problem),
                       MarkdownToHtml(italic),
                       {{citation.container_name.begin, citation.container_name.end, italic}}});
}

void CheckBookTitleItalic(const CitationAnatomy& citation, std::vector<RuleFinding>* findings) {
  if (!citation.IsStandaloneWork() || citation.title_form != TitleForm::kPlain) return;
  absl::string_view title = citation.Of(citation.title);
  // The title's words end before an edition, a report or publication number, a version or a
  // description: "Title (3rd ed.)", "Title (RR-123)", "Title [Data set]"; a parenthesis of
  // the title's own ("Policy (1971–2009)") stays in it.
  size_t words_end = std::min(title.size(), title.find(" ["));
  for (size_t open = title.find(" ("); open < words_end; open = title.find(" (", open + 1)) {
    absl::string_view inside = title.substr(open + 2);
    bool details = absl::StrContains(inside.substr(0, inside.find(')')), "ed.") ||
                   absl::StartsWith(inside, "Version") || absl::StartsWith(inside, "Publication") ||
                   absl::StartsWith(inside, "Report") || absl::StartsWith(inside, "No.");
    size_t code = 0;
    while (code < inside.size() && (absl::ascii_isupper(inside[code]) || inside[code] == '-')) {
      ++code;
    }
    details = details || (code >= 2 && inside[code - 1] == '-');  // "(RR-123)", "(WP-12)".
    if (details) {
      words_end = open;
      break;
    }
  }
  title = title.substr(0, words_end);
  if (title.empty()) return;
  std::string italic = absl::StrCat("_", title, "_");
  findings->push_back({"Title",
                       "Put the title of a book, report or other stand-alone work in italics.",
                       MarkdownToHtml(italic),
                       {{citation.title.begin, citation.title.begin + title.size(), italic}}});
}

void CheckDoiAsUrl(const CitationAnatomy& citation, bool forbid_final_period,
                   std::vector<RuleFinding>* findings) {
  if (!citation.link.present()) return;
  std::vector<std::string> problems;
  std::string link(citation.Of(citation.link));
  if (citation.link_kind == LinkKind::kLegacyDoi && citation.doi.present()) {
    link = absl::StrCat("https://doi.org/", citation.Of(citation.doi));
    problems.push_back("Write the DOI as a URL beginning https://doi.org/.");
  }
  size_t end = citation.link.end;
  if (forbid_final_period && end + 1 == citation.text.size() && citation.text[end] == '.') {
    ++end;
    problems.push_back("Do not put a period after the DOI or URL.");
  }
  if (problems.empty()) return;
  bool is_doi = citation.link_kind != LinkKind::kUrl;
  findings->push_back({is_doi ? "DOI" : "URL",
                       absl::StrJoin(problems, " "),
                       link,
                       {{citation.link.begin, end, link}}});
}

std::string FollowingAuthorsJoinedWithAnd(const AuthorList& authors) {
  std::string joined;
  for (size_t i = 1; i < authors.names.size(); ++i) {
    absl::StrAppend(&joined, ", ", i + 1 == authors.names.size() ? "and " : "",
                    GivenFirstName(authors.names[i]));
  }
  return joined;
}

std::vector<std::string> FollowingAuthorProblems(const AuthorList& authors) {
  std::vector<std::string> problems;
  if (authors.names.size() < 2) return problems;
  if (authors.last_connector == AuthorConnector::kAmpersand) {
    problems.push_back("Use \"and\", not \"&\", before the last author.");
  } else if (authors.last_connector == AuthorConnector::kNone) {
    problems.push_back("Put \"and\" before the last author.");
  } else if (!authors.comma_before_connector) {
    problems.push_back("Put a comma before \"and\".");
  }
  for (size_t i = 1; i < authors.names.size(); ++i) {
    if (authors.names[i].inverted) {
      problems.push_back("Give the names of authors after the first in normal order (First Last).");
      break;
    }
  }
  return problems;
}

TextEdit AuthorListEdit(const CitationAnatomy& citation, size_t begin, size_t end,
                        std::string replacement) {
  const std::string& text = citation.text;
  if (end == citation.authors.end && !replacement.empty()) {
    bool period_follows = end < text.size() && text[end] == '.';
    bool replaced_period = end > begin && text[end - 1] == '.';
    if (replacement.back() == '.' && period_follows) {
      ++end;
    } else if (replacement.back() != '.' && replaced_period && !period_follows) {
      replacement.push_back('.');
    }
  }
  return {begin, end, std::move(replacement)};
}

std::string WithEnDash(absl::string_view pages) {
  return absl::StrReplaceAll(pages, {{"--", kEnDash}, {"-", kEnDash}, {"\xE2\x80\x94", kEnDash}});
}

bool EndsWithQuestionOrExclamation(absl::string_view text) {
  return !text.empty() && (text.back() == '?' || text.back() == '!');
}

}  // namespace citecheck

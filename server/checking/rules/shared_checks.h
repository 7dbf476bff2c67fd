#ifndef CITECHECK_SERVER_CHECKING_RULES_SHARED_CHECKS_H_
#define CITECHECK_SERVER_CHECKING_RULES_SHARED_CHECKS_H_

// Checks that several styles share, written once and given a name by each style's rule list.
// Each has the signature of Rule::check (plus, for some, the wording that differs by style).

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/checking/author_names.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/rules/rule.h"

namespace citecheck {

// MLA/Chicago: the first author is "Last, First". Flags "John Smith" (not group authors). With
// `demote_particles` (Chicago), lower-case particles follow the given names: "Berg, Sophie van
// der"; without (MLA), they stay with the surname: "van der Berg, Sophie".
void CheckFirstAuthorInverted(const CitationAnatomy& citation, bool demote_particles,
                              std::vector<RuleFinding>* findings);

// The quotation marks a citation uses: straight when it has straight ones and no curly ones,
// else curly (as typeset).
struct QuoteMarks {
  absl::string_view open;
  absl::string_view close;
};
QuoteMarks QuoteMarksOf(absl::string_view citation);

// MLA/Chicago: the title of a part of a larger work (article, chapter, conference paper, web
// page) is in quotation marks with the closing period inside them: "Title." Flags plain titles
// and `"Title".`; the marks follow the citation's own (QuoteMarksOf).
void CheckArticleTitleQuoted(const CitationAnatomy& citation, std::vector<RuleFinding>* findings);

// MLA/Chicago: titles are in title case. Flags a lower-case major word.
void CheckTitleCase(const CitationAnatomy& citation, std::vector<RuleFinding>* findings);

// The journal (with `include_webpages`, also a web site) name is italic: flags a journal
// article whose container name lacks `_..._`. `component` names the part ("Journal").
void CheckContainerItalic(const CitationAnatomy& citation, absl::string_view component,
                          absl::string_view problem, bool include_webpages,
                          std::vector<RuleFinding>* findings);

// The title of a book is italic.
void CheckBookTitleItalic(const CitationAnatomy& citation, std::vector<RuleFinding>* findings);

// A DOI is written as a URL, https://doi.org/10.xxx: flags "doi:10.…", "DOI: 10.…",
// "http://dx.doi.org/10.…". With `forbid_final_period` (APA), also flags a period after the
// DOI or URL that ends the citation.
void CheckDoiAsUrl(const CitationAnatomy& citation, bool forbid_final_period,
                   std::vector<RuleFinding>* findings);

// MLA/Chicago: the authors after the first, in normal order, joined with ", " and ", and "
// before the last: ", Rachel Doe, and Mark Lee". Empty for a single author.
std::string FollowingAuthorsJoinedWithAnd(const AuthorList& authors);

// MLA/Chicago: what is wrong with how the authors after the first are joined and written
// (an "&", a missing "and", a missing comma, an inverted later name); empty when nothing is.
std::vector<std::string> FollowingAuthorProblems(const AuthorList& authors);

// The edit replacing [begin, end) of the author list with `replacement`, keeping the one period
// that should follow the list: one already there is absorbed when `replacement` ends with a
// period ("Rachel Doe." → "Doe, R."), and one is added when the replaced text ended with the
// period that also closed the list ("Doe, R." → "World Health Organization.").
TextEdit AuthorListEdit(const CitationAnatomy& citation, size_t begin, size_t end,
                        std::string replacement);

// `pages` with an en dash joining the range: "101-115" → "101–115".
std::string WithEnDash(absl::string_view pages);

// The last byte of `text` is '?' or '!' (a title that needs no closing period).
bool EndsWithQuestionOrExclamation(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_RULES_SHARED_CHECKS_H_

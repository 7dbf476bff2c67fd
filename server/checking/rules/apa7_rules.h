#ifndef CITECHECK_SERVER_CHECKING_RULES_APA7_RULES_H_
#define CITECHECK_SERVER_CHECKING_RULES_APA7_RULES_H_

// The heuristic rules for APA 7 reference-list entries, in the order they run:
//
//   apa7-author-list             "Surname, I. I." for every author, commas between authors and
//                                ", &" before the last (flags "and", a missing "&" or comma,
//                                full given names, initials without periods, "I. Surname");
//                                21 or more authors as the first 19, "…" and the last.
//   apa7-year-after-authors      "(2020)." right after the authors, or after the title when
//                                there are none (flags a bare year or date, a missing period,
//                                a year elsewhere, no year at all).
//   apa7-title-sentence-case     titles in sentence case (flags Title Case Words; proper
//                                nouns and acronyms are kept).
//   apa7-journal-volume-italics  journal (or proceedings) name and volume italic, the issue
//                                not: _Journal_, _14_(2).
//   apa7-doi-format              DOIs as https://doi.org/10.xxx, no period after a DOI/URL.
//   apa7-page-range              pages as "101–115": en dash, last page in full; no "pp." for
//                                journal articles, "(pp. 15–38)" for chapters.
//   apa7-book-title-italics      titles of books, reports and other stand-alone works italic,
//                                up to "(2nd ed.)", "(Report No. 5)" or "[Data set]".
//   apa7-edition-outside-italics "_Title_ (2nd ed.)", not "_Title (2nd ed.)_".
//   apa7-no-place-of-publication the publisher without "Place:".
//   apa7-retrieved-from          no "Retrieved from" before a URL (a retrieval date stays).
//
// Example of a valid entry:
//   Smith, J. A., & Doe, R. (2020). Deep learning for citation analysis. _Journal of
//   Informetrics_, _14_(2), 101–115. https://doi.org/10.1016/j.joi.2020.101015

#include <vector>

#include "server/checking/rules/rule.h"

namespace citecheck {

// The rules above; a static list, never destroyed.
const std::vector<Rule>& Apa7Rules();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_RULES_APA7_RULES_H_

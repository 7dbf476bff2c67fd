#ifndef CITECHECK_SERVER_CHECKING_RULES_APA7_RULES_H_
#define CITECHECK_SERVER_CHECKING_RULES_APA7_RULES_H_

// The heuristic rules for APA 7 reference-list entries, in the order they run:
//
//   apa7-author-list            "Surname, I. I." for every author, commas between authors and
//                               ", &" before the last (flags "and", a missing "&" or comma,
//                               full given names, initials without periods, "I. Surname").
//   apa7-year-after-authors     "(2020)." right after the authors (flags a bare year, a
//                               missing period, a year elsewhere, no year at all).
//   apa7-title-sentence-case    titles in sentence case (flags Title Case Words).
//   apa7-journal-volume-italics journal name and volume italic: _Journal_, _14_(2).
//   apa7-doi-format             DOIs as https://doi.org/10.xxx, no period after a DOI/URL.
//   apa7-page-range             journal pages as "101–115": en dash, no "pp.", last page in
//                               full.
//   apa7-book-title-italics     book titles italic.
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

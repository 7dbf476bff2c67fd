#ifndef CITECHECK_SERVER_CHECKING_RULES_CHICAGO17_RULES_H_
#define CITECHECK_SERVER_CHECKING_RULES_CHICAGO17_RULES_H_

// The heuristic rules for Chicago 17 author-date reference-list entries, in the order they run:
//
//   chicago17-first-author-inverted  the first author as "Last, First" (particles after the
//                                    given names: "Berg, Sophie van der").
//   chicago17-author-connector       later authors in normal order, ", and" before the last
//                                    (flags "&", a missing "and" or comma, inverted names).
//   chicago17-title-quotation-marks  titles of articles, chapters, papers and pages in quotation
//                                    marks, period inside.
//   chicago17-title-case             titles in title case.
//   chicago17-journal-italics        the journal name italic.
//   chicago17-year-after-authors     "Smith, John. 2020." (flags "(2020)", a year after the
//                                    issue, the pages or the publisher, a missing year).
//   chicago17-volume-issue-year      "_Journal_ 14, no. 2: 101–15" or "14 (2): 101–15" (flags
//                                    "vol.", "14(2)", a missing colon before the pages).
//   chicago17-page-range             pages of articles, chapters and papers with an en dash and
//                                    no "pp.".
//   chicago17-doi-url                DOIs as https://doi.org/10.xxx.
//   chicago17-book-title-italics     titles of books and other stand-alone works italic.
//   chicago17-place-of-publication   "Place: Publisher" for books and chapters.
//
// Example of a valid entry:
//   Smith, John, and Rachel Doe. 2020. "Deep Learning for Citation Analysis." _Journal of
//   Informetrics_ 14, no. 2: 101–15. https://doi.org/10.1016/j.joi.2020.101015.

#include <vector>

#include "server/checking/rules/rule.h"

namespace citecheck {

// The rules above; a static list, never destroyed.
const std::vector<Rule>& Chicago17Rules();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_RULES_CHICAGO17_RULES_H_

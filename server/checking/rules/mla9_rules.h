#ifndef CITECHECK_SERVER_CHECKING_RULES_MLA9_RULES_H_
#define CITECHECK_SERVER_CHECKING_RULES_MLA9_RULES_H_

// The heuristic rules for MLA 9 works-cited entries, in the order they run:
//
//   mla9-first-author-inverted   the first author as "Last, First" (flags "John Smith").
//   mla9-editor-role             editors of a whole book as ", editor(s)" (flags "(Eds.)").
//   mla9-author-count            two authors as "Last, First, and First Last"; three or more
//                                as "Last, First, et al." (flags "&", a missing comma, an
//                                inverted second author, a list of three or more).
//   mla9-title-quotation-marks   titles of articles, chapters, papers and pages in quotation
//                                marks, period inside.
//   mla9-title-case              titles in title case (flags lower-case major words).
//   mla9-container-italics       the container (journal, book of a chapter, proceedings, web
//                                site) italic, up to its first comma.
//   mla9-volume-issue-labels     "vol. 14, no. 2" (flags "14(2)", "Vol.", bare numbers).
//   mla9-page-label              "pp. 101–15" / "p. 7" (flags a missing or wrong label; a bare
//                                article number is accepted).
//   mla9-doi-format              DOIs as https://doi.org/10.xxx.
//   mla9-book-title-italics      titles of books and other stand-alone works italic.
//   mla9-date-position           the date in the container ("…, 2020, pp. 1–9"), not after the
//                                authors.
//   mla9-final-period            the entry ends with a period.
//
// Example of a valid entry:
//   Smith, John, and Rachel Doe. "Deep Learning for Citation Analysis." _Journal of
//   Informetrics_, vol. 14, no. 2, 2020, pp. 101–15.

#include <vector>

#include "server/checking/rules/rule.h"

namespace citecheck {

// The rules above; a static list, never destroyed.
const std::vector<Rule>& Mla9Rules();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_RULES_MLA9_RULES_H_

#ifndef CITECHECK_SERVER_CHECKING_INLINE_EXTRACTOR_H_
#define CITECHECK_SERVER_CHECKING_INLINE_EXTRACTOR_H_

// Finds the in-text citations of a document's body (DocumentParts::body), one per cited work,
// in order of appearance. Pure; no I/O. The grammar is cited_work.h's.
//
// Every parenthesis of the body is read (one that holds no citation is looked into again, so
// "(as argued before (Smith, 2020))" still yields Smith):
//   - its content is split at top-level semicolons; each part that reads as a citation of the
//     style (ParseCitationSegment) gives one work per year ("Smith, 2019, 2020a" gives two);
//   - APA 7 and Chicago 17: when the first part is only years ("2020", "2020a, p. 4") and names
//     end right before the parenthesis ("Smith and Lee (2020)", "Smith et al.'s (2020)"), it is a
//     narrative citation (FindNarrativeAuthors). Years without such names ("in a later study
//     (2020)") are no citation; nor is a parenthesis of anything else ("(see Figure 2)",
//     "(n = 45)", "(p < .05)", "(WHO)", "(Table 3)").
// MLA 9 narrative citations (the name in the sentence, only the page in parentheses) are not
// read: the page alone cannot be tied to a work.
//
// The text of each work, and its offset (UTF-8 bytes into the body):
//   - a parenthesis holding exactly one work: the whole parenthesis, "(Smith, 2020)" or
//     "(see Smith & Lee, 2020, p. 4)"; a narrative citation: "Smith (2020)", "Smith's (2020,
//     p. 4)", from the first name to the closing parenthesis;
//   - a work among several: its own part without prefix, "Lee, 2019" (for "(see Lee, 2019;
//     Smith, 2020)"), at the part's first name;
//   - a work that shares its names with the work before it — the later years of "(Smith, 2019,
//     2020a)" or "Smith (2019, 2020)" — and the narrative work of "Smith (2020; see also Lee,
//     2019)": rebuilt in the single-work form ("Smith, 2020a", "Smith (2020)"), at the offset
//     of its year (the first one at its first name).
// So every text reads back with ParseCitedWork, and for all but the rebuilt ones
// body.substr(offset, text.size()) == text.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

struct ExtractedCitation {
  std::string text;
  size_t offset = 0;  // UTF-8 byte offset in the body
};

// The in-text citations of `body` for `style` (STYLE_UNSPECIFIED means APA 7), in order of
// appearance: citation i gets InlineCitation.index i.
std::vector<ExtractedCitation> ExtractInlineCitations(absl::string_view body, v1::Style style);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_INLINE_EXTRACTOR_H_

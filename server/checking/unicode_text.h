#ifndef CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_
#define CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_

// The few Unicode facts the document code needs beyond UTF-8 itself (server/common/utf8.h):
// telling letters and capitals apart in the scripts names are written in (Latin with its
// accents, Greek, Cyrillic), and folding names for comparison. Pure functions; no locale, no
// tables beyond Latin.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// Letters of Latin (ASCII, Latin-1, Latin Extended-A/B), Greek and Cyrillic.
bool IsLetter(uint32_t code_point);
// Capital letters of the same scripts.
bool IsUppercaseLetter(uint32_t code_point);
// Whitespace: ASCII whitespace, U+00A0 (no-break space) and the U+2000..U+200A / U+202F spaces.
bool IsSpace(uint32_t code_point);

// `text` trimmed, each run of whitespace (IsSpace) replaced by one space.
std::string CollapseWhitespace(absl::string_view text);

// `text` folded for comparing names and titles: letters lower-cased and stripped of their
// accents ("Müller" → "muller", "Łukasz" → "lukasz", "ß" → "ss"), typographic apostrophes as
// ', every dash as -, whitespace runs as one space, the ends trimmed.
std::string FoldForComparison(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_

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
// Whitespace: Unicode's White_Space (ASCII whitespace, U+0085, U+00A0, U+1680, U+2000..U+200A,
// U+2028, U+2029, U+202F, U+205F, U+3000).
bool IsSpace(uint32_t code_point);
// Invisible format characters (Unicode Cf: U+00AD, U+061C, U+180E, U+200B..U+200F,
// U+202A..U+202E, U+2060..U+2064, U+2066..U+206F, U+FEFF, U+FFF9..U+FFFB).
bool IsFormat(uint32_t code_point);
// Control characters that are not whitespace: C0 (NUL, ESC, ...), DEL and C1.
bool IsControl(uint32_t code_point);

// `text` cleaned for checking and for echoing back: control characters (IsControl) are removed,
// an ESC with the terminal sequence it starts (CSI "ESC [ ... final", OSC "ESC ] ... BEL/ST", or
// ESC and one character) with them; then the ends are trimmed of whitespace and format
// characters, and each run of whitespace (with any format characters in it) becomes one space.
// Format characters between two visible characters stay (e.g. a zero-width non-joiner). A text
// of nothing but whitespace, format and control characters comes back empty. Each byte that is
// not part of well-formed UTF-8 becomes U+FFFD, so the result is always valid UTF-8 and cleaning
// it again changes nothing (input that passed request validation has no such byte).
std::string CollapseWhitespace(absl::string_view text);

// `text` folded for comparing names and titles: letters lower-cased and stripped of their
// accents ("Müller" → "muller", "Łukasz" → "lukasz", "ß" → "ss"), typographic apostrophes as
// ', every dash as -, whitespace runs as one space, the ends trimmed.
std::string FoldForComparison(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_

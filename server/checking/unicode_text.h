#ifndef CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_
#define CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_

// The few UTF-8 facts the document code needs: reading and writing code points, telling letters
// and capitals apart in the scripts names are written in (Latin with its accents, Greek,
// Cyrillic), and folding names for comparison. Pure functions; no locale, no tables beyond
// Latin.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// The code point starting at text[pos] and its width in bytes (1..4). A malformed or truncated
// sequence reads as U+FFFD with width 1, so a scan always moves on. REQUIRES: pos < text.size().
uint32_t DecodeUtf8At(absl::string_view text, size_t pos, size_t* width);

// The code point ending right before text[end] (the inverse walk); `*width` gets its width.
// REQUIRES: end > 0.
uint32_t DecodeUtf8Before(absl::string_view text, size_t end, size_t* width);

// Appends `code_point` as UTF-8. NUL, surrogates and values above U+10FFFF become U+FFFD (as
// HTML does).
void AppendUtf8(uint32_t code_point, std::string* out);

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
// of nothing but whitespace, format and control characters comes back empty.
std::string CollapseWhitespace(absl::string_view text);

// `text` folded for comparing names and titles: letters lower-cased and stripped of their
// accents ("Müller" → "muller", "Łukasz" → "lukasz", "ß" → "ss"), typographic apostrophes as
// ', every dash as -, whitespace runs as one space, the ends trimmed.
std::string FoldForComparison(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_UNICODE_TEXT_H_

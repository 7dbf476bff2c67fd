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

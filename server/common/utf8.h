#ifndef CITECHECK_SERVER_COMMON_UTF8_H_
#define CITECHECK_SERVER_COMMON_UTF8_H_

// UTF-8 as every part of citecheck (and its client) reads and writes it: strict validation for
// bytes from outside, tolerant decoding for text already accepted, and encoding. Pure functions.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// The length of the well-formed UTF-8 sequence starting at text[pos] (RFC 3629: no overlong
// form, no surrogate, nothing above U+10FFFF), or 0 when none starts there.
// REQUIRES: pos < text.size().
size_t ValidUtf8SequenceLength(absl::string_view text, size_t pos);

// True when all of `text` is well-formed UTF-8 in the sense above.
bool IsValidUtf8(absl::string_view text);

// The code point starting at text[pos] and its width in bytes (1..4). A malformed or truncated
// sequence reads as U+FFFD with width 1, so a scan always moves on. REQUIRES: pos < text.size().
uint32_t DecodeUtf8At(absl::string_view text, size_t pos, size_t* width);

// The code point ending right before text[end] (the inverse walk); `*width` gets its width.
// REQUIRES: end > 0.
uint32_t DecodeUtf8Before(absl::string_view text, size_t end, size_t* width);

// Appends `code_point` as UTF-8. NUL, surrogates and values above U+10FFFF become U+FFFD (as
// HTML does).
void AppendUtf8(uint32_t code_point, std::string* out);

// `text` cut to at most `max_bytes` bytes without splitting a UTF-8 sequence (the cut moves back
// to the start of the sequence it would fall in), so valid UTF-8 stays valid.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_UTF8_H_

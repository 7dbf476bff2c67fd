#ifndef CITECHECK_SERVER_COMMON_UTF8_H_
#define CITECHECK_SERVER_COMMON_UTF8_H_

// Strict UTF-8 validation for text that came from outside (requests, LLM answers). Pure;
// thread-safe.

#include <cstddef>

#include "absl/strings/string_view.h"

namespace citecheck {

// True when `text` is UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..
// U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool IsValidUtf8(absl::string_view text);

// `text` cut to at most `max_bytes` bytes without splitting a UTF-8 sequence (the cut moves back
// to the start of the sequence it would fall in), so valid UTF-8 stays valid.
absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_UTF8_H_

#ifndef CITECHECK_SERVER_COMMON_UTF8_H_
#define CITECHECK_SERVER_COMMON_UTF8_H_

// Strict UTF-8 validation for text that came from outside (requests, LLM answers). Pure;
// thread-safe.

#include "absl/strings/string_view.h"

namespace citecheck {

// True when `text` is UTF-8 as RFC 3629 defines it: no overlong forms, no surrogates (U+D800..
// U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool IsValidUtf8(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_UTF8_H_

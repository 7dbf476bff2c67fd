#ifndef CITECHECK_SERVER_COMMON_JSON_NESTING_H_
#define CITECHECK_SERVER_COMMON_JSON_NESTING_H_

// A guard to run before parsing JSON that came from outside (an LLM endpoint's answer):
// RapidJSON's parser recurses once per nested array or object, so a body of a few megabytes of
// '[' would overflow the thread's stack. Pure; thread-safe.

#include <cstddef>

#include "absl/strings/string_view.h"

namespace citecheck {

// Deeper than this, no answer of ours is read (ours nest three or four levels).
inline constexpr int kMaxJsonNesting = 64;

// True when the JSON array or object at the start of `json` (after leading whitespace) nests at
// most `max_depth` arrays and objects. Brackets inside strings (escapes included) do not count;
// the scan ends where that value ends, so text after it is not looked at. Linear; does not check
// that the JSON is valid (the parser does).
bool JsonNestingAtMost(absl::string_view json, int max_depth = kMaxJsonNesting);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_JSON_NESTING_H_

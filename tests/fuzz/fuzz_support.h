#ifndef CITECHECK_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define CITECHECK_TESTS_FUZZ_FUZZ_SUPPORT_H_

// What the libFuzzer targets of tests/fuzz share: a check that stops the fuzzer with a message
// when a property is broken (an abort, which libFuzzer reports as a crash and saves the input
// of), and the few text facts the properties are stated in. Pure functions; no state.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

// Stops the fuzzer when `condition` is false, printing it with `message` (anything
// absl::StrCat takes a string_view of).
#define FUZZ_CHECK(condition, message)                                         \
  do {                                                                         \
    if (!(condition)) {                                                        \
      ::citecheck::fuzz::FailCheck(__FILE__, __LINE__, #condition, (message)); \
    }                                                                          \
  } while (0)

namespace citecheck::fuzz {

[[noreturn]] void FailCheck(const char* file, int line, const char* condition,
                            absl::string_view message);

// libFuzzer's input as text.
inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool IsValidUtf8(absl::string_view text);

// The characters of `text` a reader sees, in order, as their bytes: every code point except
// whitespace, invisible format characters and control characters (unicode_text.h IsSpace,
// IsFormat, IsControl: the classes the input cleaning knows). A byte that starts no well-formed
// UTF-8 sequence (as IsValidUtf8 judges) counts as one visible character, U+FFFD, as the input
// cleaning (unicode_text.h CollapseWhitespace) writes it. The input parsers may drop or keep the
// invisible ones; they must keep every visible one.
std::string VisibleText(absl::string_view text);

// The visible text of each of `pieces`, concatenated (each piece decoded on its own, so that
// two pieces holding halves of a malformed sequence do not make a character together).
std::string VisibleText(const std::vector<std::string>& pieces);

// Whether `pieces` (what an input parser made of `text`) keep every visible character of
// `text`, in order, and invent none: their visible text is that of `text`. With an ESC in
// `text`, whose terminal sequence the input cleaning removes whole, visible bytes included
// ("ESC [31m", "ESC A"), only that none is invented: their visible text is a subsequence of
// that of `text`.
bool KeepsVisibleText(const std::vector<std::string>& pieces, absl::string_view text);

// `text` with non-printable bytes escaped, cut to a few hundred bytes: for messages.
std::string Printable(absl::string_view text);

// Whether `missing` lists, ascending, exactly the numbers of first..last that `results` has no
// entry for (the `missing` of the LLM answer parsers).
template <typename Result>
bool MissingIsTheRest(const std::map<int, Result>& results, const std::vector<int>& missing,
                      int first, int last) {
  std::vector<int> rest;
  for (int number = first; number <= last; ++number) {
    if (results.count(number) == 0) rest.push_back(number);
  }
  return missing == rest;
}

}  // namespace citecheck::fuzz

#endif  // CITECHECK_TESTS_FUZZ_FUZZ_SUPPORT_H_

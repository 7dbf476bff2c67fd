#ifndef CITECHECK_SERVER_CHECKING_HTML_ENTITIES_H_
#define CITECHECK_SERVER_CHECKING_HTML_ENTITIES_H_

// Character references in HTML text, decoded as the HTML5 tokenizer decodes them in text
// content: every named reference of the HTML5 list ("&amp;", "&eacute;", "&NotEqualTilde;"...,
// and the legacy names also accepted without ";", e.g. "&copy2020" → "©2020"), decimal and hex
// references ("&#233;", "&#xE9;", with or without ";"; 0x80..0x9F read as Windows-1252, as
// browsers do; NUL, surrogates and values past U+10FFFF become U+FFFD). Anything else, such as
// "AT&T" or "&bogus;", stays as written. Pure functions.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// Decodes the character reference starting at text[pos] == '&' into `out` and returns how many
// bytes of `text` it used, or returns 0 (leaving `out` alone) when no reference starts there.
size_t DecodeHtmlCharacterReference(absl::string_view text, size_t pos, std::string* out);

// `text` with every character reference decoded.
std::string DecodeHtmlEntities(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_HTML_ENTITIES_H_

#include "server/checking/html_entities.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "absl/strings/ascii.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

struct NamedReference {
  absl::string_view name;  // without the leading '&'
  absl::string_view replacement;
};

constexpr NamedReference kNamedReferences[] = {
#include "server/checking/html_entity_table.inc"
};

// The longest name in the table, ";" included.
constexpr size_t kLongestName = 32;

const NamedReference* FindName(absl::string_view name) {
  const NamedReference* end = std::end(kNamedReferences);
  const NamedReference* found = std::lower_bound(
      std::begin(kNamedReferences), end, name,
      [](const NamedReference& entry, absl::string_view key) { return entry.name < key; });
  return found != end && found->name == name ? found : nullptr;
}

// What HTML makes of the numeric references 0x80..0x9F: the Windows-1252 characters (0 where
// the code point stays as it is).
constexpr uint16_t kWindows1252[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,  // 80..87
    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,       // 88..8F
    0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,  // 90..97
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,  // 98..9F
};

size_t DecodeNumericReference(absl::string_view text, size_t pos, std::string* out) {
  size_t i = pos + 2;  // after "&#"
  bool hex = false;
  if (i < text.size() && (text[i] == 'x' || text[i] == 'X')) {
    hex = true;
    ++i;
  }
  const size_t digits_start = i;
  uint32_t code_point = 0;
  bool overflow = false;
  for (; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    int digit;
    if (absl::ascii_isdigit(c)) {
      digit = c - '0';
    } else if (hex && absl::ascii_isxdigit(c)) {
      digit = absl::ascii_tolower(c) - 'a' + 10;
    } else {
      break;
    }
    code_point = code_point * (hex ? 16 : 10) + digit;
    if (code_point > 0x10FFFF) {
      overflow = true;
      code_point = 0x110000;  // stays out of range however many digits follow
    }
  }
  if (i == digits_start) return 0;
  if (i < text.size() && text[i] == ';') ++i;
  if (overflow) code_point = 0xFFFD;
  if (code_point >= 0x80 && code_point <= 0x9F && kWindows1252[code_point - 0x80] != 0) {
    code_point = kWindows1252[code_point - 0x80];
  }
  AppendUtf8(code_point, out);
  return i - pos;
}

}  // namespace

size_t DecodeHtmlCharacterReference(absl::string_view text, size_t pos, std::string* out) {
  if (pos + 1 >= text.size()) return 0;
  if (text[pos + 1] == '#') return DecodeNumericReference(text, pos, out);
  size_t end = pos + 1;
  while (end < text.size() && end - pos - 1 < kLongestName &&
         absl::ascii_isalnum(static_cast<unsigned char>(text[end]))) {
    ++end;
  }
  if (end == pos + 1) return 0;
  if (end < text.size() && text[end] == ';') {
    if (const NamedReference* entry = FindName(text.substr(pos + 1, end - pos)); entry) {
      out->append(entry->replacement.data(), entry->replacement.size());
      return end + 1 - pos;
    }
  }
  // The legacy names, accepted without ";": the longest one that prefixes the run.
  for (size_t length = end - pos - 1; length >= 2; --length) {
    if (const NamedReference* entry = FindName(text.substr(pos + 1, length)); entry) {
      out->append(entry->replacement.data(), entry->replacement.size());
      return length + 1;
    }
  }
  return 0;
}

std::string DecodeHtmlEntities(absl::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (size_t length = DecodeHtmlCharacterReference(text, i, &decoded); length > 0) {
        i += length;
        continue;
      }
    }
    decoded.push_back(text[i++]);
  }
  return decoded;
}

}  // namespace citecheck

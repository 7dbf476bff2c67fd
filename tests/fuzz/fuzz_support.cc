#include "tests/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "server/checking/unicode_text.h"
#include "server/common/utf8.h"

namespace citecheck::fuzz {
namespace {

// What a malformed byte reads as (a code point no decoder returns for well-formed input).
constexpr uint32_t kMalformed = 0xFFFFFFFF;

// The code point at text[pos] and its width, strictly (RFC 3629: no overlong form, no
// surrogate, nothing above U+10FFFF); a byte that starts no well-formed sequence reads as
// kMalformed with width 1.
uint32_t DecodeStrictlyAt(absl::string_view text, size_t pos, size_t* width) {
  static constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  const uint32_t c = DecodeUtf8At(text, pos, width);
  const bool malformed = (*width == 1 && static_cast<unsigned char>(text[pos]) >= 0x80) ||
                         c < kShortest[*width] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF);
  if (!malformed) return c;
  *width = 1;
  return kMalformed;
}

bool IsInvisible(uint32_t c) { return IsSpace(c) || IsFormat(c) || IsControl(c); }

}  // namespace

void FailCheck(const char* file, int line, const char* condition, absl::string_view message) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n  %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::abort();
}

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t width = 0;
    if (DecodeStrictlyAt(text, i, &width) == kMalformed) return false;
    i += width;
  }
  return true;
}

std::string VisibleText(absl::string_view text) {
  std::string visible;
  for (size_t i = 0; i < text.size();) {
    size_t width = 0;
    const uint32_t c = DecodeStrictlyAt(text, i, &width);
    if (c == kMalformed) {
      visible += "\xEF\xBF\xBD";  // U+FFFD
    } else if (!IsInvisible(c)) {
      visible.append(text.data() + i, width);
    }
    i += width;
  }
  return visible;
}

std::string VisibleText(const std::vector<std::string>& pieces) {
  std::string visible;
  for (const std::string& piece : pieces) visible += VisibleText(piece);
  return visible;
}

bool KeepsVisibleText(const std::vector<std::string>& pieces, absl::string_view text) {
  const std::string kept = VisibleText(pieces);
  const std::string visible = VisibleText(text);
  if (text.find('\x1b') == absl::string_view::npos) return kept == visible;
  size_t at = 0;
  for (char c : kept) {
    at = visible.find(c, at);
    if (at == std::string::npos) return false;
    ++at;
  }
  return true;
}

std::string Printable(absl::string_view text) {
  constexpr size_t kMaxBytes = 400;
  std::string escaped = absl::CHexEscape(text.substr(0, kMaxBytes));
  if (text.size() > kMaxBytes) escaped += "...";
  return escaped;
}

}  // namespace citecheck::fuzz

#include "tests/fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "server/checking/unicode_text.h"
#include "server/common/utf8.h"

namespace citecheck::fuzz {
namespace {

bool IsInvisible(uint32_t c) {
  return IsSpace(c) || c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

}  // namespace

void FailCheck(const char* file, int line, const char* condition, absl::string_view message) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n  %.*s\n", file, line, condition,
               static_cast<int>(message.size()), message.data());
  std::abort();
}

bool IsValidUtf8(absl::string_view text) {
  static constexpr uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < text.size();) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8At(text, i, &width);
    if (width == 1 && static_cast<unsigned char>(text[i]) >= 0x80) return false;
    if (c < kShortest[width] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
    i += width;
  }
  return true;
}

std::string VisibleText(absl::string_view text) {
  std::string visible;
  for (size_t i = 0; i < text.size();) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8At(text, i, &width);
    const bool malformed = width == 1 && static_cast<unsigned char>(text[i]) >= 0x80;
    if (malformed || !IsInvisible(c)) visible.append(text.data() + i, width);
    i += width;
  }
  return visible;
}

std::string VisibleText(const std::vector<std::string>& pieces) {
  std::string visible;
  for (const std::string& piece : pieces) visible += VisibleText(piece);
  return visible;
}

std::string Printable(absl::string_view text) {
  constexpr size_t kMaxBytes = 400;
  std::string escaped = absl::CHexEscape(text.substr(0, kMaxBytes));
  if (text.size() > kMaxBytes) escaped += "...";
  return escaped;
}

}  // namespace citecheck::fuzz

#include "server/common/utf8.h"

namespace citecheck {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// The sequence length a lead byte announces (1..4), or 0 for a byte that cannot lead.
size_t LengthOfLead(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 0;
}

// Decodes the `length`-byte sequence at text[pos] into *code_point; false when it is cut short
// or a continuation byte is missing. REQUIRES: 1 <= length <= 4.
bool DecodeSequence(absl::string_view text, size_t pos, size_t length, uint32_t* code_point) {
  if (pos + length > text.size()) return false;
  const unsigned char lead = static_cast<unsigned char>(text[pos]);
  uint32_t value = length == 1 ? lead : lead & (0x7F >> length);
  for (size_t i = 1; i < length; ++i) {
    const unsigned char next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return false;
    value = (value << 6) | (next & 0x3F);
  }
  *code_point = value;
  return true;
}

}  // namespace

size_t ValidUtf8SequenceLength(absl::string_view text, size_t pos) {
  static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};  // by length
  const size_t length = LengthOfLead(static_cast<unsigned char>(text[pos]));
  uint32_t code_point = 0;
  if (length == 0 || !DecodeSequence(text, pos, length, &code_point)) return 0;
  if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = ValidUtf8SequenceLength(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

uint32_t DecodeUtf8At(absl::string_view text, size_t pos, size_t* width) {
  const size_t length = LengthOfLead(static_cast<unsigned char>(text[pos]));
  uint32_t code_point = 0;
  if (length == 0 || !DecodeSequence(text, pos, length, &code_point)) {
    *width = 1;
    return kReplacement;
  }
  *width = length;
  return code_point;
}

uint32_t DecodeUtf8Before(absl::string_view text, size_t end, size_t* width) {
  size_t start = end - 1;
  // At most three continuation bytes precede a lead byte.
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
    --start;
  }
  size_t decoded_width = 0;
  const uint32_t code_point = DecodeUtf8At(text, start, &decoded_width);
  if (start + decoded_width != end) {
    *width = 1;
    return kReplacement;
  }
  *width = decoded_width;
  return code_point;
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = kReplacement;
  }
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

absl::string_view Utf8Prefix(absl::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace citecheck

#include "server/checking/unicode_text.h"

#include "absl/strings/ascii.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

// Base letters of U+00C0..U+00FF ('*': a letter folding to two letters, '-': not a letter).
constexpr char kLatin1Base[] =
    "aaaaaa*ceeeeiiii"   // C0..CF (C6 Æ)
    "dnooooo-ouuuuy**"   // D0..DF (D7 ×, DE Þ, DF ß)
    "aaaaaa*ceeeeiiii"   // E0..EF (E6 æ)
    "dnooooo-ouuuuy*y";  // F0..FF (F7 ÷, FE þ)

// Base letters of U+0100..U+017F ('*': a letter folding to two letters).
constexpr char kLatinExtendedABase[] =
    "aaaaaaccccccccdd"   // 100..10F
    "ddeeeeeeeeeegggg"   // 110..11F
    "gggghhhhiiiiiiii"   // 120..12F
    "ii**jjkkklllllll"   // 130..13F (132 Ĳ, 133 ĳ)
    "lllnnnnnnnnnoooo"   // 140..14F
    "oo**rrrrrrssssss"   // 150..15F (152 Œ, 153 œ)
    "ssttttttuuuuuuuu"   // 160..16F
    "uuuuwwyyyzzzzzzs";  // 170..17F

// The two-letter folds of the '*' entries above.
absl::string_view DigraphFold(uint32_t code_point) {
  switch (code_point) {
    case 0xC6:
    case 0xE6:
      return "ae";
    case 0xDE:
    case 0xFE:
      return "th";
    case 0xDF:
      return "ss";
    case 0x132:
    case 0x133:
      return "ij";
    case 0x152:
    case 0x153:
      return "oe";
    default:
      return "";
  }
}

// The lower-case form of a Greek or Cyrillic capital; other code points unchanged.
uint32_t LowerGreekOrCyrillic(uint32_t c) {
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

}  // namespace

bool IsLetter(uint32_t c) {
  if (c < 0x80) return absl::ascii_isalpha(static_cast<unsigned char>(c));
  if (c >= 0xC0 && c <= 0xFF) return c != 0xD7 && c != 0xF7;
  if (c >= 0x100 && c <= 0x24F) return true;                    // Latin Extended-A and -B
  if (c >= 0x386 && c <= 0x3FF) return c != 0x387;              // Greek
  if (c >= 0x400 && c <= 0x52F) return c < 0x482 || c > 0x489;  // Cyrillic
  return c >= 0x1E00 && c <= 0x1EFF;                            // Latin Extended Additional
}

bool IsUppercaseLetter(uint32_t c) {
  if (c < 0x80) return absl::ascii_isupper(static_cast<unsigned char>(c));
  if (c >= 0xC0 && c <= 0xDE) return c != 0xD7;
  if (c >= 0x100 && c <= 0x137) return c % 2 == 0;
  if (c >= 0x139 && c <= 0x148) return c % 2 == 1;
  if (c >= 0x14A && c <= 0x177) return c % 2 == 0;
  if (c == 0x178) return true;
  if (c >= 0x179 && c <= 0x17E) return c % 2 == 1;
  if (c >= 0x1E00 && c <= 0x1EFF) return c % 2 == 0;
  if (c == 0x386 || (c >= 0x388 && c <= 0x38F)) return true;
  if (c >= 0x391 && c <= 0x3AB) return c != 0x3A2;
  if (c >= 0x400 && c <= 0x42F) return true;
  if (c >= 0x460 && c <= 0x4FF) return c % 2 == 0 && (c < 0x482 || c > 0x489);
  return false;
}

bool IsSpace(uint32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

bool IsFormat(uint32_t c) {
  return c == 0xAD || c == 0x61C || c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x2066 && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFB);
}

bool IsControl(uint32_t c) { return ((c < 0x20 || (c >= 0x7F && c <= 0x9F)) && !IsSpace(c)); }

namespace {

constexpr uint32_t kReplacementCharacter = 0xFFFD;

// The bytes of the terminal escape sequence starting with the ESC at text[pos].
size_t EscapeSequenceLength(absl::string_view text, size_t pos) {
  size_t i = pos + 1;
  if (i >= text.size()) return 1;
  if (text[i] == '[') {  // CSI: parameters and intermediates, then one final byte
    for (++i; i < text.size(); ++i) {
      const unsigned char c = text[i];
      if (c >= 0x40 && c <= 0x7E) return i + 1 - pos;
      if (c < 0x20 || c > 0x3F) return i - pos;  // malformed: stop before it
    }
    return text.size() - pos;
  }
  if (text[i] == ']') {  // OSC: up to BEL or ESC backslash
    for (++i; i < text.size(); ++i) {
      if (text[i] == '\a') return i + 1 - pos;
      if (text[i] == '\x1b') return (i + 1 < text.size() && text[i + 1] == '\\' ? i + 2 : i) - pos;
    }
    return text.size() - pos;
  }
  const unsigned char next = text[i];
  return next >= 0x20 && next <= 0x7E ? 2 : 1;  // ESC and one character
}

}  // namespace

std::string CollapseWhitespace(absl::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  bool space_pending = false;
  std::string format_pending;  // format characters since the last visible one
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\x1b') {
      i += EscapeSequenceLength(text, i);
      continue;
    }
    // Strictly decoded: a byte that starts no well-formed sequence (a stray continuation byte,
    // a cut sequence, an overlong form, a surrogate) is one U+FFFD of its own. Read tolerantly,
    // the bytes around a removed control character would join into a character the input does
    // not have ("\xC2 NUL \x80" into U+0080, "\xC3 NUL \xA9" into "é").
    const bool malformed = ValidUtf8SequenceLength(text, i) == 0;
    size_t width = 1;
    const uint32_t c = malformed ? kReplacementCharacter : DecodeUtf8At(text, i, &width);
    if (IsSpace(c)) {
      space_pending = !collapsed.empty();
    } else if (IsFormat(c)) {
      if (!collapsed.empty()) format_pending.append(text.data() + i, width);
    } else if (!IsControl(c)) {
      if (space_pending) {
        collapsed.push_back(' ');
      } else {
        collapsed += format_pending;
      }
      space_pending = false;
      format_pending.clear();
      if (malformed) {
        AppendUtf8(kReplacementCharacter, &collapsed);
      } else {
        collapsed.append(text.data() + i, width);
      }
    }
    i += width;
  }
  return collapsed;
}

std::string FoldForComparison(absl::string_view text) {
  const std::string collapsed = CollapseWhitespace(text);
  std::string folded;
  folded.reserve(collapsed.size());
  for (size_t i = 0; i < collapsed.size();) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8At(collapsed, i, &width);
    i += width;
    if (c < 0x80) {
      folded.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
    } else if (c == 0x2018 || c == 0x2019 || c == 0x02BC || c == 0x2032) {
      folded.push_back('\'');
    } else if (c >= 0x2010 && c <= 0x2015) {
      folded.push_back('-');
    } else if (c >= 0xC0 && c <= 0x17F) {
      const char base = c <= 0xFF ? kLatin1Base[c - 0xC0] : kLatinExtendedABase[c - 0x100];
      if (base == '*') {
        folded.append(DigraphFold(c).data(), DigraphFold(c).size());
      } else if (base == '-') {
        AppendUtf8(c, &folded);
      } else {
        folded.push_back(base);
      }
    } else {
      AppendUtf8(LowerGreekOrCyrillic(c), &folded);
    }
  }
  return folded;
}

}  // namespace citecheck

#include "server/checking/llm_answer_parser.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace citecheck {
namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

// The code point starting at text[pos] and its length in bytes (U+FFFD, 1 for a bad byte).
char32_t DecodeAt(absl::string_view text, size_t pos, size_t* length) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(pos);
  size_t count = lead < 0x80           ? 1
                 : (lead >> 5) == 0x6  ? 2
                 : (lead >> 4) == 0xE  ? 3
                 : (lead >> 3) == 0x1E ? 4
                                       : 0;
  if (count == 0 || pos + count > text.size()) {
    *length = 1;
    return 0xFFFD;
  }
  char32_t cp = count == 1 ? lead : lead & (0x7F >> count);
  for (size_t i = 1; i < count; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) {
      *length = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  *length = count;
  return cp;
}

// The code point ending just before text[end].
char32_t DecodeBefore(absl::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) {
    --start;
  }
  size_t length = 0;
  char32_t cp = DecodeAt(text, start, &length);
  return start + length == end ? cp : 0xFFFD;
}

// Masks a link in the markdown conversion (see LlmMarkdownToHtml); never in the output.
constexpr char kLinkMask = '\x01';

// True when `cp` may sit next to an italic underscore: whitespace or punctuation, ASCII or
// typographic (quotes, dashes, guillemets).
bool IsItalicBoundary(char32_t cp) {
  if (cp < 0x80) {
    return !absl::ascii_isalnum(static_cast<unsigned char>(cp)) && cp != '_' &&
           cp != static_cast<char32_t>(kLinkMask);
  }
  return (cp >= 0x2000 && cp <= 0x206F) || cp == 0xA0 || cp == 0xA1 || cp == 0xAB || cp == 0xBB ||
         cp == 0xBF || (cp >= 0x3000 && cp <= 0x303F);
}

// Trims and turns every run of ASCII whitespace into one space.
std::string CollapseWhitespace(absl::string_view text) {
  std::string collapsed;
  collapsed.reserve(text.size());
  for (char c : text) {
    if (IsSpace(c)) {
      if (!collapsed.empty() && collapsed.back() != ' ') collapsed.push_back(' ');
      continue;
    }
    collapsed.push_back(c);
  }
  if (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed;
}

void AppendJoined(std::string* to, absl::string_view text) {
  if (text.empty()) return;
  if (!to->empty()) to->push_back(' ');
  to->append(text.data(), text.size());
}

// Removes one of `prefixes` from the start of `*text`; true when one was there.
bool ConsumeAnyPrefix(absl::string_view* text, std::initializer_list<absl::string_view> prefixes) {
  for (absl::string_view prefix : prefixes) {
    if (absl::ConsumePrefix(text, prefix)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Markdown to HTML

// Where a link starts at text[pos] ("http://", "https://", "www.", "doi:" at a word start), its
// length up to the next whitespace, minus a closing markdown marker that matches an opening one
// right before it ("_https://x_"); 0 when no link starts there.
size_t LinkLengthAt(absl::string_view text, size_t pos) {
  if (pos > 0 && absl::ascii_isalnum(static_cast<unsigned char>(text[pos - 1]))) return 0;
  absl::string_view rest = text.substr(pos);
  if (!absl::StartsWithIgnoreCase(rest, "http://") &&
      !absl::StartsWithIgnoreCase(rest, "https://") && !absl::StartsWithIgnoreCase(rest, "www.") &&
      !absl::StartsWithIgnoreCase(rest, "doi:")) {
    return 0;
  }
  size_t end = pos;
  while (end < text.size() && !IsSpace(text[end])) ++end;
  if (pos > 0 && (text[pos - 1] == '_' || text[pos - 1] == '*')) {
    while (end > pos + 1 && text[end - 1] == text[pos - 1]) --end;
  }
  return end - pos;
}

// The first position at or after `from` where a predicate holds (npos when none), for callers
// whose `from` never decreases: every position is tested at most once over all calls, so a
// conversion that looks for a closing marker after each opening one stays linear. (Searching
// afresh from every opener was quadratic: 64 KB of "_a " in an answer took seconds.)
template <typename Predicate>
class ForwardSearch {
 public:
  ForwardSearch(size_t end, Predicate matches) : end_(end), matches_(std::move(matches)) {}

  size_t From(size_t from) {
    // Invariant: no position in [the smallest `from` asked so far, next_) matches.
    next_ = std::max(next_, from);
    while (next_ < end_ && !matches_(next_)) ++next_;
    return next_ < end_ ? next_ : absl::string_view::npos;
  }

 private:
  const size_t end_;
  Predicate matches_;
  size_t next_ = 0;
};

// `**x**` → <strong>x</strong> (x non-empty, not starting or ending with a space).
std::string ConvertBold(absl::string_view text) {
  // Where a bold span may close: "**" after a non-space.
  ForwardSearch closing(text.size(), [&](size_t pos) {
    return pos >= 1 && text.substr(pos, 2) == "**" && !IsSpace(text[pos - 1]);
  });
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 2) == "**" && i + 2 < text.size() && !IsSpace(text[i + 2])) {
      const size_t close = closing.From(i + 3);
      if (close != absl::string_view::npos) {
        html += "<strong>";
        html.append(text.data() + i + 2, close - i - 2);
        html += "</strong>";
        i = close + 2;
        continue;
      }
    }
    html.push_back(text[i++]);
  }
  return html;
}

// `_x_` → <em>x</em> where both underscores sit at word edges (see IsItalicBoundary).
std::string ConvertUnderscoreItalics(absl::string_view text) {
  const auto boundary_before = [&](size_t pos) {
    return pos == 0 || IsItalicBoundary(DecodeBefore(text, pos));
  };
  const auto boundary_after = [&](size_t pos) {
    if (pos >= text.size()) return true;
    size_t length = 0;
    return IsItalicBoundary(DecodeAt(text, pos, &length));
  };
  // Where an italic span may close: "_" after a non-space, at a word edge.
  ForwardSearch closing(text.size(), [&](size_t pos) {
    return text[pos] == '_' && !IsSpace(text[pos - 1]) && boundary_after(pos + 1);
  });
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '_' && boundary_before(i) && i + 1 < text.size() && !IsSpace(text[i + 1]) &&
        text[i + 1] != '_') {
      const size_t close = closing.From(i + 2);
      if (close != absl::string_view::npos) {
        html += "<em>";
        html.append(text.data() + i + 1, close - i - 1);
        html += "</em>";
        i = close + 1;
        continue;
      }
    }
    html.push_back(text[i++]);
  }
  return html;
}

// A single `*x*` → <em>x</em> (neither star part of a `**`).
std::string ConvertStarItalics(absl::string_view text) {
  const auto single_star = [&](size_t pos) {
    return text[pos] == '*' && (pos == 0 || text[pos - 1] != '*') &&
           (pos + 1 == text.size() || text[pos + 1] != '*');
  };
  // Where an italic span may close: a single star after a non-space.
  ForwardSearch closing(text.size(),
                        [&](size_t pos) { return single_star(pos) && !IsSpace(text[pos - 1]); });
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (single_star(i) && i + 1 < text.size() && !IsSpace(text[i + 1])) {
      const size_t close = closing.From(i + 2);
      if (close != absl::string_view::npos) {
        html += "<em>";
        html.append(text.data() + i + 1, close - i - 1);
        html += "</em>";
        i = close + 1;
        continue;
      }
    }
    html.push_back(text[i++]);
  }
  return html;
}

// LlmMarkdownToHtml, then whitespace collapsed.
std::string CleanRich(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  // A value wrapped in backticks as code.
  if (trimmed.size() >= 2 && trimmed.front() == '`' && trimmed.back() == '`') {
    trimmed = absl::StripAsciiWhitespace(trimmed.substr(1, trimmed.size() - 2));
  }
  return CollapseWhitespace(LlmMarkdownToHtml(trimmed));
}

// ---------------------------------------------------------------------------------------------
// Lines

// True for a line made only of rule characters (═ ─ ━ — – = - * _) and spaces, or a code fence.
bool IsRuleLine(absl::string_view trimmed) {
  if (trimmed.empty()) return false;
  if (absl::StartsWith(trimmed, "```")) return true;
  size_t i = 0;
  while (i < trimmed.size()) {
    size_t length = 0;
    char32_t cp = DecodeAt(trimmed, i, &length);
    switch (cp) {
      case U'═':
      case U'─':
      case U'━':
      case U'—':
      case U'–':
      case U'=':
      case U'-':
      case U'*':
      case U'_':
      case U' ':
      case U'\t':
        break;
      default:
        return false;
    }
    i += length;
  }
  return true;
}

// `line` without leading whitespace, markdown (# * _ >), brackets, bullets and rule characters.
absl::string_view StripHeaderDecoration(absl::string_view line) {
  while (true) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (line.empty()) return line;
    if (absl::string_view("#*_>=-[").find(line.front()) != absl::string_view::npos) {
      line.remove_prefix(1);
      continue;
    }
    if (!ConsumeAnyPrefix(&line, {"═", "─", "━", "—", "–", "•"})) return line;
  }
}

// Skips a run of `*` or `_` that closes a bold/italic label ("**ORIGINAL:** x"), i.e. one
// followed by whitespace or the end; anything else (the "_Title_" of a citation) is kept.
absl::string_view SkipClosingMarkers(absl::string_view text) {
  if (text.empty() || (text.front() != '*' && text.front() != '_')) return text;
  size_t run = 0;
  while (run < text.size() && text[run] == text.front()) ++run;
  if (run == text.size() || IsSpace(text[run])) return text.substr(run);
  return text;
}

// "CITATION #<n>" with any decoration (see the header comment); sets *number.
bool ParseCitationHeader(absl::string_view line, int* number) {
  absl::string_view text = StripHeaderDecoration(line);
  if (!absl::StartsWithIgnoreCase(text, "citation")) return false;
  text.remove_prefix(8);
  text = absl::StripLeadingAsciiWhitespace(text);
  const bool hash = absl::ConsumePrefix(&text, "#");
  text = absl::StripLeadingAsciiWhitespace(text);
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 6 || !absl::SimpleAtoi(text.substr(0, digits), number)) return false;
  absl::string_view rest = text.substr(digits);
  if (!rest.empty() && absl::ascii_isalnum(static_cast<unsigned char>(rest.front()))) return false;
  if (hash) return true;
  // Without "#", only decoration may follow ("Citation 2:"), so prose is not taken for one.
  for (char c : rest) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

enum class Section { kNone, kOriginal, kSourceType, kValidation, kCorrected };

// A section header ("ORIGINAL:", "**SOURCE TYPE:** book", "## VALIDATION RESULTS"); sets
// *section and *rest (the content on the header's line, trimmed).
bool ParseSectionHeader(absl::string_view line, Section* section, absl::string_view* rest) {
  static constexpr std::pair<absl::string_view, Section> kHeaders[] = {
      {"original citation", Section::kOriginal},    {"original", Section::kOriginal},
      {"source type", Section::kSourceType},        {"type of source", Section::kSourceType},
      {"validation results", Section::kValidation}, {"validation result", Section::kValidation},
      {"validation", Section::kValidation},         {"corrected citation", Section::kCorrected},
      {"corrected", Section::kCorrected},
  };
  absl::string_view text = StripHeaderDecoration(line);
  for (const auto& [keyword, kind] : kHeaders) {
    if (!absl::StartsWithIgnoreCase(text, keyword)) continue;
    absl::string_view after = text.substr(keyword.size());
    if (!after.empty() && absl::ascii_isalnum(static_cast<unsigned char>(after.front()))) continue;
    while (!after.empty() &&
           (after.front() == '*' || after.front() == '_' || IsSpace(after.front()))) {
      after.remove_prefix(1);
    }
    if (after.empty()) {
      *section = kind;
      *rest = after;
      return true;
    }
    if (!absl::ConsumePrefix(&after, ":")) continue;
    *section = kind;
    *rest = absl::StripAsciiWhitespace(SkipClosingMarkers(after));
    return true;
  }
  return false;
}

// `text` without a leading list bullet ("- ", "* ", "• ", "+ ", "1. ", "2) ").
absl::string_view StripBullet(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  absl::string_view rest = text;
  if (ConsumeAnyPrefix(&rest, {"- ", "* ", "+ ", "•"})) {
    return absl::StripLeadingAsciiWhitespace(rest);
  }
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  if (digits > 0 && digits + 1 < text.size() && (text[digits] == '.' || text[digits] == ')') &&
      IsSpace(text[digits + 1])) {
    return absl::StripLeadingAsciiWhitespace(text.substr(digits + 1));
  }
  return text;
}

// `text` without leading markdown emphasis markers, arrows and whitespace.
absl::string_view StripLeadingMarkup(absl::string_view text) {
  while (true) {
    text = absl::StripLeadingAsciiWhitespace(text);
    if (!text.empty() && (text.front() == '*' || text.front() == '_' || text.front() == '>')) {
      text.remove_prefix(1);
      continue;
    }
    if (!ConsumeAnyPrefix(&text, {"→", "↳", "└", "➜", "➔"})) return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks

struct RawError {
  std::string component;
  std::string problem;
  std::string correction;
  bool has_should_be = false;  // A "Should be:" was read for it (its value may follow).
};

struct RawBlock {
  int number = 0;
  std::string original;
  std::string source_type;
  bool success = false;
  std::vector<RawError> errors;
  std::string corrected;
};

// Splits "Component: problem" (markdown around the component allowed).
RawError ParseErrorText(absl::string_view text) {
  RawError error;
  // "... — Should be: x" or "... (should be: x)" on the error's own line.
  size_t should = absl::AsciiStrToLower(text).find("should be:");
  if (should != std::string::npos && should > 0) {
    absl::string_view before = text.substr(0, should);
    bool parenthesized = false;
    while (true) {
      before = absl::StripTrailingAsciiWhitespace(before);
      if (absl::ConsumeSuffix(&before, "—") || absl::ConsumeSuffix(&before, "–")) continue;
      if (before.empty()) break;
      if (before.back() == '(') parenthesized = true;
      if (absl::string_view("(-;,.*").find(before.back()) == absl::string_view::npos) break;
      before.remove_suffix(1);
    }
    absl::string_view after = absl::StripAsciiWhitespace(
        SkipClosingMarkers(absl::StripLeadingAsciiWhitespace(text.substr(should + 10))));
    if (parenthesized && absl::ConsumeSuffix(&after, ")")) {
      after = absl::StripTrailingAsciiWhitespace(after);
    }
    error.correction = std::string(after);
    error.has_should_be = true;
    text = before;
  }
  size_t colon = text.find(':');
  if (colon != absl::string_view::npos) {
    absl::string_view component = absl::StripAsciiWhitespace(text.substr(0, colon));
    while (!component.empty() && (component.front() == '*' || component.front() == '_')) {
      component.remove_prefix(1);
    }
    while (!component.empty() && (component.back() == '*' || component.back() == '_')) {
      component.remove_suffix(1);
    }
    component = absl::StripAsciiWhitespace(component);
    const bool short_name = !component.empty() && component.size() <= 40 &&
                            std::count(component.begin(), component.end(), ' ') < 5;
    if (short_name) {
      error.component = CollapseWhitespace(component);
      error.problem = CollapseWhitespace(
          SkipClosingMarkers(absl::StripLeadingAsciiWhitespace(text.substr(colon + 1))));
      return error;
    }
  }
  error.component = "Citation";
  error.problem = CollapseWhitespace(text);
  return error;
}

// Reads the block lines of one answer. Blocks are returned in the order found.
class BlockReader {
 public:
  std::vector<RawBlock> Read(absl::string_view answer) {
    for (absl::string_view line : absl::StrSplit(answer, '\n')) {
      absl::ConsumeSuffix(&line, "\r");
      ReadLine(line);
    }
    Finish();
    return std::move(blocks_);
  }

 private:
  void Finish() {
    if (in_block_) blocks_.push_back(std::move(block_));
    block_ = RawBlock();
    in_block_ = false;
  }

  void ReadLine(absl::string_view line) {
    int number = 0;
    if (ParseCitationHeader(line, &number)) {
      Finish();
      in_block_ = true;
      block_.number = number;
      section_ = Section::kNone;
      continuation_ = Continuation::kNone;
      return;
    }
    if (!in_block_) return;  // Prose before the first block.

    Section section = Section::kNone;
    absl::string_view rest;
    if (ParseSectionHeader(line, &section, &rest)) {
      section_ = section;
      has_content_ = false;
      continuation_ = Continuation::kNone;
      if (!rest.empty()) ReadContent(rest);
      return;
    }

    absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    if (IsRuleLine(trimmed)) {
      if (section_ == Section::kValidation) {
        continuation_ = Continuation::kNone;
      } else if (has_content_) {
        section_ = Section::kNone;
      }
      return;
    }
    if (trimmed.empty()) {
      if (section_ == Section::kValidation) {
        if (!WaitingForCorrection()) continuation_ = Continuation::kNone;
      } else if (has_content_) {
        section_ = Section::kNone;
      }
      return;
    }
    ReadContent(trimmed);
  }

  void ReadContent(absl::string_view text) {
    switch (section_) {
      case Section::kOriginal:
        AppendJoined(&block_.original, text);
        has_content_ = true;
        break;
      case Section::kCorrected:
        AppendJoined(&block_.corrected, text);
        has_content_ = true;
        break;
      case Section::kSourceType:
        block_.source_type = std::string(text);
        section_ = Section::kNone;  // One line only.
        break;
      case Section::kValidation:
        ReadValidationLine(text);
        break;
      case Section::kNone:
        break;
    }
  }

  bool WaitingForCorrection() const {
    return continuation_ == Continuation::kCorrection && !block_.errors.empty() &&
           block_.errors.back().correction.empty();
  }

  void ReadValidationLine(absl::string_view text) {
    absl::string_view item = StripBullet(text);
    absl::string_view bare = StripLeadingMarkup(item);

    absl::string_view after_mark = bare;
    if (ConsumeAnyPrefix(&after_mark, {"❌", "✗", "✘", "✖", "❎", "X "})) {
      absl::ConsumePrefix(&after_mark, "\xEF\xB8\x8F");  // Variation selector-16.
      after_mark = absl::StripLeadingAsciiWhitespace(after_mark);
      while (!after_mark.empty() && after_mark.front() == '*') after_mark.remove_prefix(1);
      block_.errors.push_back(ParseErrorText(absl::StripAsciiWhitespace(after_mark)));
      continuation_ =
          block_.errors.back().has_should_be ? Continuation::kCorrection : Continuation::kProblem;
      return;
    }
    absl::string_view after_check = bare;
    if (ConsumeAnyPrefix(&after_check, {"✓", "✔", "✅", "☑"}) ||
        (absl::StartsWithIgnoreCase(bare, "no ") &&
         absl::StrContains(absl::AsciiStrToLower(bare), "error"))) {
      block_.success = true;
      continuation_ = Continuation::kNone;
      return;
    }
    if (absl::StartsWithIgnoreCase(bare, "should be") &&
        (bare.size() == 9 || !absl::ascii_isalnum(static_cast<unsigned char>(bare[9])))) {
      // "Should be:", "**Should be**:", "Should be — x", "Should be x".
      absl::string_view value = bare.substr(9);
      while (!value.empty() && (value.front() == '*' || value.front() == '_')) {
        value.remove_prefix(1);
      }
      value = absl::StripLeadingAsciiWhitespace(value);
      ConsumeAnyPrefix(&value, {":", "—", "–", "- "});
      value =
          absl::StripAsciiWhitespace(SkipClosingMarkers(absl::StripLeadingAsciiWhitespace(value)));
      if (block_.errors.empty() || !block_.errors.back().correction.empty()) {
        continuation_ = Continuation::kNone;  // Before any error, or a second one: ignored.
        return;
      }
      block_.errors.back().correction = std::string(value);
      block_.errors.back().has_should_be = true;
      continuation_ = Continuation::kCorrection;
      return;
    }
    // Anything else continues the error or correction just before it.
    if (block_.errors.empty()) return;
    switch (continuation_) {
      case Continuation::kProblem:
        AppendJoined(&block_.errors.back().problem, text);
        break;
      case Continuation::kCorrection:
        AppendJoined(&block_.errors.back().correction, text);
        break;
      case Continuation::kNone:
        break;
    }
  }

  enum class Continuation { kNone, kProblem, kCorrection };

  std::vector<RawBlock> blocks_;
  bool in_block_ = false;  // Whether block_ is being read (false before the first header).
  RawBlock block_;
  Section section_ = Section::kNone;
  bool has_content_ = false;  // Whether the current ORIGINAL/CORRECTED section has text yet.
  Continuation continuation_ = Continuation::kNone;
};

// "1. Smith…" → "Smith…" when 1 is the block's own number (echoed from the user message).
absl::string_view WithoutEchoedNumber(absl::string_view original, int number) {
  size_t digits = 0;
  while (digits < original.size() &&
         absl::ascii_isdigit(static_cast<unsigned char>(original[digits]))) {
    ++digits;
  }
  int value = 0;
  if (digits == 0 || digits > 6 || digits + 1 >= original.size() ||
      (original[digits] != '.' && original[digits] != ')') || !IsSpace(original[digits + 1]) ||
      !absl::SimpleAtoi(original.substr(0, digits), &value) || value != number) {
    return original;
  }
  return absl::StripLeadingAsciiWhitespace(original.substr(digits + 1));
}

// "**Journal Article**" → "journal article"; "other" when empty or unusable.
std::string CleanSourceType(absl::string_view text) {
  std::string cleaned;
  for (char c : text) {
    if (absl::string_view("*_`<>[]").find(c) != absl::string_view::npos) continue;
    cleaned.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  cleaned = CollapseWhitespace(cleaned);
  while (!cleaned.empty() && (cleaned.back() == '.' || cleaned.back() == ' ')) cleaned.pop_back();
  if (cleaned.empty() || cleaned.size() > 40 || absl::StrContains(cleaned, '|')) return "other";
  return cleaned;
}

v1::CitationResult ToResult(const RawBlock& block) {
  v1::CitationResult result;
  result.set_original(CleanRich(WithoutEchoedNumber(block.original, block.number)));
  result.set_source_type(CleanSourceType(block.source_type));
  for (const RawError& raw : block.errors) {
    v1::CitationError* error = result.add_errors();
    error->set_component(CollapseWhitespace(raw.component));
    error->set_problem(CollapseWhitespace(raw.problem));
    error->set_correction(CleanRich(raw.correction));
  }
  if (!block.errors.empty()) {
    std::string corrected = CleanRich(block.corrected);
    if (corrected != result.original()) result.set_corrected_citation(std::move(corrected));
  }
  result.set_valid(block.errors.empty());
  return result;
}

}  // namespace

std::string LlmMarkdownToHtml(absl::string_view answer_text) {
  // The mask never occurs in real text: dropped first, so that none can come back inside a
  // link (a link's bytes are put back as they were) and the masks stay unambiguous.
  std::string text(answer_text);
  text.erase(std::remove(text.begin(), text.end(), kLinkMask), text.end());
  // Links are masked first so no pass touches them, then put back in order.
  std::vector<absl::string_view> links;
  std::string masked;
  masked.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t length = LinkLengthAt(text, i);
    if (length > 0) {
      links.push_back(absl::string_view(text).substr(i, length));
      masked.push_back(kLinkMask);
      i += length;
      continue;
    }
    masked.push_back(text[i++]);
  }
  std::string html = ConvertStarItalics(ConvertUnderscoreItalics(ConvertBold(masked)));
  if (links.empty()) return html;
  std::string unmasked;
  unmasked.reserve(html.size() + text.size());
  size_t next_link = 0;
  for (char c : html) {
    if (c == kLinkMask && next_link < links.size()) {
      absl::string_view link = links[next_link++];
      unmasked.append(link.data(), link.size());
    } else {
      unmasked.push_back(c);
    }
  }
  return unmasked;
}

ParsedAnswer ParseLlmAnswer(absl::string_view answer, v1::Style /*style*/, int expected_count) {
  ParsedAnswer parsed;
  for (const RawBlock& block : BlockReader().Read(answer)) {
    if (block.number < 1 || block.number > expected_count) continue;
    if (!block.success && block.errors.empty()) continue;  // No usable VALIDATION RESULTS.
    if (parsed.results.count(block.number) > 0) continue;  // The first block wins.
    parsed.results.emplace(block.number, ToResult(block));
  }
  parsed.any_block = !parsed.results.empty();
  for (int number = 1; number <= expected_count; ++number) {
    if (parsed.results.count(number) == 0) parsed.missing.push_back(number);
  }
  return parsed;
}

}  // namespace citecheck

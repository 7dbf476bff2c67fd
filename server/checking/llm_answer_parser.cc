#include "server/checking/llm_answer_parser.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/checking/markdown_html.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

// ---------------------------------------------------------------------------------------------
// Text helpers

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

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

// MarkdownToHtml, then whitespace collapsed.
std::string CleanRich(absl::string_view text) {
  absl::string_view trimmed = absl::StripAsciiWhitespace(text);
  // A value wrapped in backticks as code.
  if (trimmed.size() >= 2 && trimmed.front() == '`' && trimmed.back() == '`') {
    trimmed = absl::StripAsciiWhitespace(trimmed.substr(1, trimmed.size() - 2));
  }
  return CollapseWhitespace(MarkdownToHtml(trimmed));
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
    const char32_t cp = DecodeUtf8At(trimmed, i, &length);
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

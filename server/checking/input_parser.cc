#include "server/checking/input_parser.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace citecheck {
namespace {

bool IsAsciiWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Width of the whitespace character at text[i]: ASCII whitespace or U+00A0 (no-break space,
// common in text pasted from word processors); 0 when text[i] is not whitespace.
size_t WhitespaceWidth(absl::string_view text, size_t i) {
  if (IsAsciiWhitespace(text[i])) return 1;
  if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') return 2;
  return 0;
}

// Trims `text` and collapses each internal whitespace run to one space.
std::string NormalizeWhitespace(absl::string_view text) {
  std::string normalized;
  normalized.reserve(text.size());
  bool space_pending = false;
  for (size_t i = 0; i < text.size();) {
    if (size_t width = WhitespaceWidth(text, i); width > 0) {
      space_pending = !normalized.empty();
      i += width;
      continue;
    }
    if (space_pending) normalized.push_back(' ');
    space_pending = false;
    normalized.push_back(text[i++]);
  }
  return normalized;
}

void AddIfNotEmpty(absl::string_view raw, std::vector<std::string>* citations) {
  std::string citation = NormalizeWhitespace(raw);
  if (!citation.empty()) citations->push_back(std::move(citation));
}

void AppendUtf8(uint32_t code_point, std::string* out) {
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;  // The replacement character, as browsers do.
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

struct NamedEntity {
  absl::string_view name;
  uint32_t code_point;
};

// The named references citations plausibly contain. nbsp maps to a plain space.
constexpr NamedEntity kNamedEntities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"nbsp", ' '},      {"ndash", 0x2013},  {"mdash", 0x2014},
    {"hellip", 0x2026}, {"lsquo", 0x2018},  {"rsquo", 0x2019},  {"ldquo", 0x201C},
    {"rdquo", 0x201D},  {"sbquo", 0x201A},  {"bdquo", 0x201E},  {"laquo", 0xAB},
    {"raquo", 0xBB},    {"copy", 0xA9},     {"reg", 0xAE},      {"trade", 0x2122},
    {"sect", 0xA7},     {"para", 0xB6},     {"middot", 0xB7},   {"bull", 0x2022},
    {"deg", 0xB0},      {"times", 0xD7},    {"minus", 0x2212},  {"shy", 0xAD},
    {"thinsp", 0x2009}, {"ensp", 0x2002},   {"emsp", 0x2003},   {"prime", 0x2032},
    {"aacute", 0xE1},   {"Aacute", 0xC1},   {"agrave", 0xE0},   {"Agrave", 0xC0},
    {"acirc", 0xE2},    {"auml", 0xE4},     {"Auml", 0xC4},     {"atilde", 0xE3},
    {"aring", 0xE5},    {"Aring", 0xC5},    {"aelig", 0xE6},    {"ccedil", 0xE7},
    {"Ccedil", 0xC7},   {"eacute", 0xE9},   {"Eacute", 0xC9},   {"egrave", 0xE8},
    {"ecirc", 0xEA},    {"euml", 0xEB},     {"iacute", 0xED},   {"igrave", 0xEC},
    {"icirc", 0xEE},    {"iuml", 0xEF},     {"ntilde", 0xF1},   {"Ntilde", 0xD1},
    {"oacute", 0xF3},   {"Oacute", 0xD3},   {"ograve", 0xF2},   {"ocirc", 0xF4},
    {"ouml", 0xF6},     {"Ouml", 0xD6},     {"otilde", 0xF5},   {"oslash", 0xF8},
    {"Oslash", 0xD8},   {"uacute", 0xFA},   {"Uacute", 0xDA},   {"ugrave", 0xF9},
    {"ucirc", 0xFB},    {"uuml", 0xFC},     {"Uuml", 0xDC},     {"yacute", 0xFD},
    {"szlig", 0xDF},    {"scaron", 0x0161}, {"Scaron", 0x0160}, {"zcaron", 0x017E},
};

// Decodes the character reference starting at text[i] == '&' into `out` and returns its length,
// or returns 0 (leaving `out` alone) when there is no known, well-formed reference there.
size_t DecodeCharacterReference(absl::string_view text, size_t i, std::string* out) {
  constexpr size_t kLongestReference = 32;
  size_t semicolon = text.substr(0, i + kLongestReference).find(';', i + 1);
  if (semicolon == absl::string_view::npos) return 0;
  absl::string_view body = text.substr(i + 1, semicolon - i - 1);
  if (body.empty()) return 0;
  size_t length = semicolon - i + 1;
  if (body[0] == '#') {
    absl::string_view digits = body.substr(1);
    int base = 10;
    if (!digits.empty() && (digits[0] == 'x' || digits[0] == 'X')) {
      base = 16;
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 8) return 0;
    uint32_t code_point = 0;
    for (char c : digits) {
      int digit;
      if (absl::ascii_isdigit(c)) {
        digit = c - '0';
      } else if (base == 16 && absl::ascii_isxdigit(c)) {
        digit = absl::ascii_tolower(c) - 'a' + 10;
      } else {
        return 0;
      }
      code_point = code_point * base + digit;
    }
    AppendUtf8(code_point, out);
    return length;
  }
  for (const NamedEntity& entity : kNamedEntities) {
    if (entity.name == body) {
      AppendUtf8(entity.code_point, out);
      return length;
    }
  }
  return 0;
}

std::string DecodeCharacterReferences(absl::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (size_t length = DecodeCharacterReference(text, i, &decoded); length > 0) {
        i += length;
        continue;
      }
    }
    decoded.push_back(text[i++]);
  }
  return decoded;
}

// Case-insensitive search for `needle` (lower case) in `haystack` from `from`.
size_t FindIgnoringCase(absl::string_view haystack, absl::string_view needle, size_t from) {
  for (size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (absl::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return i;
  }
  return absl::string_view::npos;
}

// Tags that end a block of text: outside <p>, each becomes a citation boundary.
bool IsBlockTag(absl::string_view name) {
  static constexpr absl::string_view kBlockTags[] = {
      "div",     "li",      "ul",     "ol",     "dl",   "dt",         "dd",    "h1",
      "h2",      "h3",      "h4",     "h5",     "h6",   "blockquote", "table", "tr",
      "section", "article", "header", "footer", "body", "html",       "hr"};
  for (absl::string_view tag : kBlockTags) {
    if (tag == name) return true;
  }
  return false;
}

// Walks HTML once, collecting paragraphs (<p> elements) and the text outside them.
class HtmlCitationExtractor {
 public:
  explicit HtmlCitationExtractor(absl::string_view html) : html_(html) {}

  std::vector<std::string> Extract() {
    size_t i = 0;
    while (i < html_.size()) {
      size_t tag_start = html_.find('<', i);
      if (tag_start == absl::string_view::npos) tag_start = html_.size();
      if (tag_start > i) AppendText(DecodeCharacterReferences(html_.substr(i, tag_start - i)));
      if (tag_start == html_.size()) break;
      size_t next = ConsumeMarkup(tag_start);
      if (next == tag_start) {  // A lone '<' is text.
        AppendText("<");
        next = tag_start + 1;
      }
      i = next;
    }
    FinishBlock();

    std::vector<std::string> citations;
    for (const Block& block : blocks_) {
      if (block.is_paragraph) {
        AddIfNotEmpty(block.text, &citations);
      } else {
        for (std::string& citation : ParseCitationText(block.text)) {
          citations.push_back(std::move(citation));
        }
      }
    }
    return citations;
  }

 private:
  struct Block {
    std::string text;
    bool is_paragraph;
  };

  // Handles the markup at html_[start] == '<' and returns where text resumes, or `start` when
  // the '<' does not begin markup.
  size_t ConsumeMarkup(size_t start) {
    absl::string_view rest = html_.substr(start);
    if (absl::StartsWith(rest, "<!--")) {
      size_t end = html_.find("-->", start + 4);
      return end == absl::string_view::npos ? html_.size() : end + 3;
    }
    if (rest.size() < 2) return start;
    char first = rest[1];
    if (first == '!' || first == '?') {  // <!DOCTYPE ...>, <![CDATA[...]]>, <?xml ...?>
      size_t end = html_.find('>', start);
      return end == absl::string_view::npos ? html_.size() : end + 1;
    }
    bool closing = first == '/';
    size_t name_start = start + (closing ? 2 : 1);
    if (name_start >= html_.size() || !absl::ascii_isalpha(html_[name_start])) return start;
    size_t name_end = name_start;
    while (name_end < html_.size() && absl::ascii_isalnum(html_[name_end])) ++name_end;
    size_t end = FindTagEnd(name_end);
    // A tag still open at the end of the input is dropped with what follows, as browsers do
    // (and so nothing is scanned twice).
    if (end == absl::string_view::npos) return html_.size();
    std::string name = absl::AsciiStrToLower(html_.substr(name_start, name_end - name_start));
    if (!closing && (name == "script" || name == "style")) return SkipRawText(name, end + 1);
    HandleTag(name, closing);
    return end + 1;
  }

  // The position of the '>' closing a tag whose attributes start at `from`; quoted attribute
  // values may hold '>'.
  size_t FindTagEnd(size_t from) const {
    char quote = 0;
    for (size_t i = from; i < html_.size(); ++i) {
      char c = html_[i];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        return i;
      }
    }
    return absl::string_view::npos;
  }

  // Skips the content of <script>/<style> and its end tag.
  size_t SkipRawText(const std::string& name, size_t from) const {
    size_t end_tag = FindIgnoringCase(html_, "</" + name, from);
    if (end_tag == absl::string_view::npos) return html_.size();
    size_t end = html_.find('>', end_tag);
    return end == absl::string_view::npos ? html_.size() : end + 1;
  }

  void HandleTag(const std::string& name, bool closing) {
    if (name == "p") {
      FinishBlock();
      in_paragraph_ = !closing;
    } else if (name == "i" || name == "em" || name == "u") {
      closing ? CloseMarker(&italic_) : OpenMarker(&italic_);
    } else if (name == "b" || name == "strong") {
      closing ? CloseMarker(&bold_) : OpenMarker(&bold_);
    } else if (name == "br") {
      AppendText(" ");
    } else if (IsBlockTag(name)) {
      FinishBlock();
      in_paragraph_ = false;
    }
  }

  // Inline formatting that turns into a markdown marker. Nested tags of one kind emit a single
  // pair of markers.
  struct Marker {
    absl::string_view text;
    int depth = 0;
  };

  void OpenMarker(Marker* marker) {
    if (marker->depth++ > 0) return;
    // Held back until text follows, so that leading whitespace goes before the marker and an
    // empty element emits nothing.
    pending_markers_.push_back(marker);
  }

  void CloseMarker(Marker* marker) {
    if (marker->depth == 0 || --marker->depth > 0) return;
    for (auto it = pending_markers_.begin(); it != pending_markers_.end(); ++it) {
      if (*it == marker) {
        pending_markers_.erase(it);
        return;
      }
    }
    EmitClosingMarker(marker);
  }

  // Closes an emitted marker before any trailing whitespace.
  void EmitClosingMarker(Marker* marker) {
    size_t content_end = current_.size();
    while (content_end > 0 && IsAsciiWhitespace(current_[content_end - 1])) --content_end;
    current_.insert(content_end, marker->text.data(), marker->text.size());
    for (auto it = emitted_markers_.begin(); it != emitted_markers_.end(); ++it) {
      if (*it == marker) {
        emitted_markers_.erase(it);
        break;
      }
    }
  }

  void AppendText(absl::string_view text) {
    if (pending_markers_.empty()) {
      current_.append(text.data(), text.size());
      return;
    }
    size_t leading = 0;
    while (leading < text.size() && IsAsciiWhitespace(text[leading])) ++leading;
    current_.append(text.data(), leading);
    if (leading == text.size()) return;
    for (Marker* marker : pending_markers_) {
      current_.append(marker->text.data(), marker->text.size());
      emitted_markers_.push_back(marker);
    }
    pending_markers_.clear();
    current_.append(text.data() + leading, text.size() - leading);
  }

  // Ends the current paragraph or stretch of outside text; formatting does not carry over.
  void FinishBlock() {
    pending_markers_.clear();
    while (!emitted_markers_.empty()) EmitClosingMarker(emitted_markers_.back());
    italic_.depth = 0;
    bold_.depth = 0;
    blocks_.push_back({std::move(current_), in_paragraph_});
    current_.clear();
  }

  absl::string_view html_;
  std::vector<Block> blocks_;
  std::string current_;
  bool in_paragraph_ = false;
  Marker italic_{"_"};
  Marker bold_{"**"};
  std::vector<Marker*> pending_markers_;  // Opened, waiting for text.
  std::vector<Marker*> emitted_markers_;  // Opened in current_, innermost last.
};

}  // namespace

std::vector<std::string> ParseCitationList(const std::vector<std::string>& items) {
  std::vector<std::string> citations;
  for (const std::string& item : items) AddIfNotEmpty(item, &citations);
  return citations;
}

std::vector<std::string> ParseCitationText(absl::string_view text) {
  std::vector<std::string> citations;
  std::string current;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find_first_of("\r\n", line_start);
    if (line_end == absl::string_view::npos) line_end = text.size();
    absl::string_view line = text.substr(line_start, line_end - line_start);
    if (NormalizeWhitespace(line).empty()) {
      AddIfNotEmpty(current, &citations);
      current.clear();
    } else {
      if (!current.empty()) current.push_back(' ');
      current.append(line.data(), line.size());
    }
    if (line_end == text.size()) break;
    line_start = line_end + 1;
    if (text[line_end] == '\r' && line_start < text.size() && text[line_start] == '\n') {
      ++line_start;
    }
  }
  AddIfNotEmpty(current, &citations);
  return citations;
}

std::vector<std::string> ParseCitationHtml(absl::string_view html) {
  return HtmlCitationExtractor(html).Extract();
}

}  // namespace citecheck

#include "server/checking/markdown_html.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

// Masks a link in the markdown conversion (see MarkdownToHtml); never in the output.
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

// True when text[pos] may open (`opening`) or close an italic span: the code point on the
// outer side is a boundary (IsItalicBoundary) or the text's end.
bool AtItalicEdge(absl::string_view text, size_t pos, bool opening) {
  size_t width = 0;
  if (opening) return pos == 0 || IsItalicBoundary(DecodeUtf8Before(text, pos, &width));
  return pos + 1 >= text.size() || IsItalicBoundary(DecodeUtf8At(text, pos + 1, &width));
}

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

// `**x**` → <strong>x</strong> (x non-empty, not starting or ending with a space).
std::string ConvertBold(absl::string_view text) {
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 2) == "**" && i + 2 < text.size() && !IsSpace(text[i + 2])) {
      size_t close = text.find("**", i + 3);
      while (close != absl::string_view::npos && IsSpace(text[close - 1])) {
        close = text.find("**", close + 1);
      }
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

// `_x_` → <em>x</em> where both underscores sit at word edges (see AtItalicEdge).
std::string ConvertUnderscoreItalics(absl::string_view text) {
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '_' && AtItalicEdge(text, i, /*opening=*/true) && i + 1 < text.size() &&
        !IsSpace(text[i + 1]) && text[i + 1] != '_') {
      size_t close = i + 2;
      while (close < text.size() && !(text[close] == '_' && !IsSpace(text[close - 1]) &&
                                      AtItalicEdge(text, close, /*opening=*/false))) {
        ++close;
      }
      if (close < text.size()) {
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
  std::string html;
  size_t i = 0;
  while (i < text.size()) {
    if (single_star(i) && i + 1 < text.size() && !IsSpace(text[i + 1])) {
      size_t close = i + 2;
      while (close < text.size() && !(single_star(close) && !IsSpace(text[close - 1]))) ++close;
      if (close < text.size()) {
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

}  // namespace

std::string MarkdownToHtml(absl::string_view text) {
  // Links are masked first so no pass touches them, then put back in order.
  std::vector<absl::string_view> links;
  std::string masked;
  masked.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == kLinkMask) {  // Never in real text; dropped so the masks stay unambiguous.
      ++i;
      continue;
    }
    size_t length = LinkLengthAt(text, i);
    if (length > 0) {
      links.push_back(text.substr(i, length));
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

std::string WithoutItalicMarkers(absl::string_view text) {
  std::string plain;
  plain.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && (AtItalicEdge(text, i, true) || AtItalicEdge(text, i, false))) continue;
    plain.push_back(text[i]);
  }
  return plain;
}

}  // namespace citecheck

#include "server/checking/markdown_html.h"

#include <algorithm>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

// Wraps in <tag> each span that a marker of `width` characters at `i` opens (`opens(i)`) and the
// first later marker closes (`closes(close)`, close > i + width); the rest is copied as it is.
// Linear: `closes` depends on the position only and openers come in increasing order, so each
// position is tested at most once. (Searching afresh from every opener was quadratic: 64 KB of
// unclosed "_a " in an answer took seconds.)
std::string ConvertSpans(absl::string_view text, size_t width, absl::string_view tag,
                         absl::FunctionRef<bool(size_t)> opens,
                         absl::FunctionRef<bool(size_t)> closes) {
  std::string html;
  size_t i = 0;
  size_t searched = 0;  // no position from the first search's start up to here closes
  while (i < text.size()) {
    if (opens(i)) {
      size_t close = std::max(searched, i + width + 1);
      while (close < text.size() && !closes(close)) ++close;
      searched = close;
      if (close < text.size()) {
        absl::StrAppend(&html, "<", tag, ">", text.substr(i + width, close - i - width), "</", tag,
                        ">");
        i = close + width;
        continue;
      }
    }
    html.push_back(text[i++]);
  }
  return html;
}

// `**x**` → <strong>x</strong> (x non-empty, not starting or ending with a space).
std::string ConvertBold(absl::string_view text) {
  const auto marker = [&](size_t pos) { return text.substr(pos, 2) == "**"; };
  return ConvertSpans(
      text, 2, "strong",
      [&](size_t i) { return marker(i) && i + 2 < text.size() && !IsSpace(text[i + 2]); },
      [&](size_t close) { return marker(close) && !IsSpace(text[close - 1]); });
}

// `_x_` → <em>x</em> where both underscores sit at word edges (see AtItalicEdge).
std::string ConvertUnderscoreItalics(absl::string_view text) {
  return ConvertSpans(
      text, 1, "em",
      [&](size_t i) {
        return text[i] == '_' && AtItalicEdge(text, i, /*opening=*/true) && i + 1 < text.size() &&
               !IsSpace(text[i + 1]) && text[i + 1] != '_';
      },
      [&](size_t close) {
        return text[close] == '_' && !IsSpace(text[close - 1]) &&
               AtItalicEdge(text, close, /*opening=*/false);
      });
}

// A single `*x*` → <em>x</em> (neither star part of a `**`).
std::string ConvertStarItalics(absl::string_view text) {
  const auto single_star = [&](size_t pos) {
    return text[pos] == '*' && (pos == 0 || text[pos - 1] != '*') &&
           (pos + 1 == text.size() || text[pos + 1] != '*');
  };
  return ConvertSpans(
      text, 1, "em",
      [&](size_t i) { return single_star(i) && i + 1 < text.size() && !IsSpace(text[i + 1]); },
      [&](size_t close) { return single_star(close) && !IsSpace(text[close - 1]); });
}

}  // namespace

std::string MarkdownToHtml(absl::string_view markdown) {
  // The mask never occurs in real text: dropped first, so that none comes back inside a link (a
  // link's bytes are put back as they were) and the masks stay unambiguous.
  std::string text(markdown);
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

#include "server/checking/html_text.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/checking/html_entities.h"

namespace citecheck {
namespace {

// Case-insensitive search for `needle` (lower case) in `haystack` from `from`.
size_t FindIgnoringCase(absl::string_view haystack, absl::string_view needle, size_t from) {
  for (size_t i = from; i + needle.size() <= haystack.size(); ++i) {
    if (absl::EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return i;
  }
  return absl::string_view::npos;
}

}  // namespace

bool HtmlScanner::Next(HtmlToken* token) {
  while (pos_ < html_.size()) {
    const size_t start = pos_;
    if (html_[start] != '<') {
      size_t tag_start = html_.find('<', start);
      if (tag_start == absl::string_view::npos) tag_start = html_.size();
      token->kind = HtmlToken::Kind::kText;
      token->raw = html_.substr(start, tag_start - start);
      token->name.clear();
      token->begin = start;
      token->end = tag_start;
      pos_ = tag_start;
      return true;
    }
    absl::string_view rest = html_.substr(start);
    if (absl::StartsWith(rest, "<!--")) {
      size_t end = html_.find("-->", start + 4);
      pos_ = end == absl::string_view::npos ? html_.size() : end + 3;
      continue;
    }
    if (rest.size() >= 2 && (rest[1] == '!' || rest[1] == '?')) {
      size_t end = html_.find('>', start);
      pos_ = end == absl::string_view::npos ? html_.size() : end + 1;
      continue;
    }
    const bool closing = rest.size() >= 2 && rest[1] == '/';
    const size_t name_start = start + (closing ? 2 : 1);
    if (name_start >= html_.size() ||
        !absl::ascii_isalpha(static_cast<unsigned char>(html_[name_start]))) {
      // A lone '<' is text.
      token->kind = HtmlToken::Kind::kText;
      token->raw = html_.substr(start, 1);
      token->name.clear();
      token->begin = start;
      token->end = start + 1;
      pos_ = start + 1;
      return true;
    }
    size_t name_end = name_start;
    while (name_end < html_.size() &&
           absl::ascii_isalnum(static_cast<unsigned char>(html_[name_end]))) {
      ++name_end;
    }
    const size_t tag_end = FindTagEnd(name_end);
    if (tag_end == absl::string_view::npos) {
      pos_ = html_.size();
      return false;
    }
    std::string name = absl::AsciiStrToLower(html_.substr(name_start, name_end - name_start));
    if (!closing && (name == "script" || name == "style")) {
      pos_ = SkipRawText(name, tag_end + 1);
      continue;
    }
    token->kind = closing ? HtmlToken::Kind::kEndTag : HtmlToken::Kind::kStartTag;
    token->raw = html_.substr(start, tag_end + 1 - start);
    token->name = std::move(name);
    token->begin = start;
    token->end = tag_end + 1;
    pos_ = tag_end + 1;
    return true;
  }
  return false;
}

size_t HtmlScanner::FindTagEnd(size_t from) const {
  char quote = 0;
  for (size_t i = from; i < html_.size(); ++i) {
    const char c = html_[i];
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

size_t HtmlScanner::SkipRawText(absl::string_view name, size_t from) const {
  std::string end_tag = "</";
  end_tag.append(name.data(), name.size());
  const size_t end_tag_start = FindIgnoringCase(html_, end_tag, from);
  if (end_tag_start == absl::string_view::npos) return html_.size();
  const size_t end = html_.find('>', end_tag_start);
  return end == absl::string_view::npos ? html_.size() : end + 1;
}

bool IsHtmlBlockTag(absl::string_view name) {
  static constexpr absl::string_view kBlockTags[] = {
      "div",        "li",      "ul",     "ol",     "dl",   "dt",         "dd",    "h1",
      "h2",         "h3",      "h4",     "h5",     "h6",   "blockquote", "table", "tr",
      "section",    "article", "header", "footer", "main", "nav",        "aside", "figure",
      "figcaption", "address", "pre",    "body",   "html", "hr"};
  for (absl::string_view tag : kBlockTags) {
    if (tag == name) return true;
  }
  return false;
}

bool IsHtmlHeadingTag(absl::string_view name) {
  return name.size() == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6';
}

std::string HtmlToPlainText(absl::string_view html) {
  std::string text;
  text.reserve(html.size());
  bool in_head = false;
  auto break_line = [&text] {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
  };
  HtmlScanner scanner(html);
  HtmlToken token;
  while (scanner.Next(&token)) {
    switch (token.kind) {
      case HtmlToken::Kind::kText:
        if (!in_head) text += DecodeHtmlEntities(token.raw);
        break;
      case HtmlToken::Kind::kStartTag:
        if (token.name == "head") {
          in_head = true;
        } else if (token.name == "body") {
          in_head = false;
          break_line();
        } else if (token.name == "br") {
          if (!in_head) text.push_back('\n');
        } else if (token.name == "p" || IsHtmlBlockTag(token.name)) {
          break_line();
          if (token.name == "hr") text.push_back('\n');
        }
        break;
      case HtmlToken::Kind::kEndTag:
        if (token.name == "head") {
          in_head = false;
        } else if (!in_head && (token.name == "p" || IsHtmlBlockTag(token.name))) {
          text.push_back('\n');
        }
        break;
    }
  }
  return text;
}

}  // namespace citecheck

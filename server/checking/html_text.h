#ifndef CITECHECK_SERVER_CHECKING_HTML_TEXT_H_
#define CITECHECK_SERVER_CHECKING_HTML_TEXT_H_

// Reading HTML as an editor exports it, without a DOM: a forward scanner that yields text and
// tags (the one tokenizer behind html input, the document splitter and the body's plain text),
// and the conversion of HTML to plain text. Pure; no I/O.

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

struct HtmlToken {
  enum class Kind {
    kText,      // character data, not yet entity-decoded (a lone '<' is text too)
    kStartTag,  // <name ...> or <name .../>
    kEndTag,    // </name>
  };
  Kind kind = Kind::kText;
  // kText: the raw text. Tags: the whole tag as written.
  absl::string_view raw;
  // Tags: the name in lower case ("p", "h2", "strong").
  std::string name;
  // Where the token lies in the scanned HTML: [begin, end).
  size_t begin = 0;
  size_t end = 0;
};

// Walks HTML once, front to back. Comments, <!DOCTYPE>, <![CDATA[...]]> and <?...?> are
// skipped; so are <script> and <style> elements with everything inside them. Attribute values
// may hold '>' when quoted. A tag still open at the end of the input is dropped together with
// what follows it, as browsers do.
//
// Not thread-safe; the scanned text must outlive the scanner and its tokens.
class HtmlScanner {
 public:
  explicit HtmlScanner(absl::string_view html) : html_(html) {}

  // Fills `token` with the next token; false at the end of the input.
  bool Next(HtmlToken* token);

 private:
  // The position of the '>' closing a tag whose attributes start at `from`, or npos.
  size_t FindTagEnd(size_t from) const;
  // Where text resumes after the raw content of <script>/<style> starting at `from`.
  size_t SkipRawText(absl::string_view name, size_t from) const;

  absl::string_view html_;
  size_t pos_ = 0;
};

// True for the elements that make a block of text of their own (paragraphs excepted): div,
// li, ul, ol, dl, dt, dd, h1..h6, blockquote, table, tr, section, article, header, footer,
// main, nav, aside, figure, figcaption, address, pre, body, html, hr.
bool IsHtmlBlockTag(absl::string_view name);

// True for h1..h6.
bool IsHtmlHeadingTag(absl::string_view name);

// The text of `html` as a reader sees it, unformatted: tags dropped; the content of <head>,
// <script> and <style> dropped; every character reference decoded (html_entities.h); a newline
// after each paragraph or block element (IsHtmlBlockTag) and for each <br>, and one before a
// block that starts while the text written so far does not end with a newline. Other
// whitespace is kept as written (no collapsing), so offsets are stable and easy to explain.
std::string HtmlToPlainText(absl::string_view html);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_HTML_TEXT_H_

#include "server/checking/document_splitter.h"

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/checking/html_entities.h"
#include "server/checking/html_text.h"
#include "server/checking/input_parser.h"
#include "server/checking/unicode_text.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

absl::Status NoReferenceSection(absl::string_view where) {
  return FieldError(reason::kNoReferenceSection, "document",
                    absl::StrCat("the document has no reference section: no ", where,
                                 " reads References, Reference list, Bibliography, Works cited, "
                                 "Literature cited, Sources, Sources cited or References cited"));
}

// A line's text without markdown heading decoration: leading '#'s and a surrounding pair of
// "**" or "__".
absl::string_view StripMarkdownDecoration(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (absl::StartsWith(line, "#")) {
    const size_t text_start = line.find_first_not_of('#');
    line = text_start == absl::string_view::npos
               ? absl::string_view()
               : absl::StripAsciiWhitespace(line.substr(text_start));
  }
  for (absl::string_view marker : {"**", "__"}) {
    if (line.size() > 2 * marker.size() && absl::StartsWith(line, marker) &&
        absl::EndsWith(line, marker)) {
      line =
          absl::StripAsciiWhitespace(line.substr(marker.size(), line.size() - 2 * marker.size()));
    }
  }
  return line;
}

// The span [begin, end) of a heading in the scanned HTML.
struct HeadingSpan {
  size_t begin = 0;
  size_t end = 0;
};

// Finds the last reference heading of an HTML document (see the header for what counts).
class HtmlHeadingFinder {
 public:
  explicit HtmlHeadingFinder(absl::string_view html) : html_(html) {}

  std::optional<HeadingSpan> FindLast() {
    HtmlScanner scanner(html_);
    HtmlToken token;
    while (scanner.Next(&token)) Take(token);
    if (state_ == State::kParagraphAfterBold) Finish(html_.size());
    return last_;
  }

 private:
  enum class State {
    kNone,
    kHeading,              // inside <hN>
    kParagraphBeforeBold,  // <p> seen, nothing but whitespace yet
    kParagraphInBold,      // inside the paragraph's <strong>/<b>
    kParagraphAfterBold,   // the bold element closed; only whitespace may follow
  };

  static bool IsWrapper(absl::string_view name) {
    return name == "span" || name == "font" || name == "a";
  }
  static bool IsBold(absl::string_view name) { return name == "strong" || name == "b"; }

  void Take(const HtmlToken& token) {
    const bool start = token.kind == HtmlToken::Kind::kStartTag;
    const bool end = token.kind == HtmlToken::Kind::kEndTag;
    const bool text = token.kind == HtmlToken::Kind::kText;
    const bool block = !text && (token.name == "p" || IsHtmlBlockTag(token.name));
    switch (state_) {
      case State::kNone:
        break;
      case State::kHeading:
        if (end && token.name == heading_tag_) {
          state_ = State::kNone;
          return Finish(token.end);
        }
        if (text) return AppendText(token.raw);
        if (!block) return;
        state_ = State::kNone;  // a block inside a heading: not a heading we can read
        break;
      case State::kParagraphBeforeBold:
        if (text && IsBlank(token.raw)) return;
        if (!text && (IsWrapper(token.name) || token.name == "br")) return;
        if (start && IsBold(token.name)) {
          state_ = State::kParagraphInBold;
          bold_depth_ = 1;
          return;
        }
        state_ = State::kNone;
        break;
      case State::kParagraphInBold:
        if (text) return AppendText(token.raw);
        if (IsBold(token.name)) {
          bold_depth_ += start ? 1 : -1;
          if (bold_depth_ == 0) state_ = State::kParagraphAfterBold;
          return;
        }
        if (!block) return;
        state_ = State::kNone;
        break;
      case State::kParagraphAfterBold:
        if (text && IsBlank(token.raw)) return;
        if (!text && (IsWrapper(token.name) || token.name == "br")) return;
        state_ = State::kNone;
        if (end && token.name == "p") return Finish(token.end);
        if (block) Finish(token.begin);  // the paragraph ends where a block starts
        break;
    }
    if (start && IsHtmlHeadingTag(token.name)) {
      Begin(State::kHeading, token.begin);
      heading_tag_ = token.name;
    } else if (start && token.name == "p") {
      Begin(State::kParagraphBeforeBold, token.begin);
    }
  }

  void Begin(State state, size_t begin) {
    state_ = state;
    begin_ = begin;
    text_.clear();
  }

  void AppendText(absl::string_view raw) { text_ += DecodeHtmlEntities(raw); }

  void Finish(size_t end) {
    if (IsReferenceHeading(text_)) last_ = HeadingSpan{begin_, end};
  }

  static bool IsBlank(absl::string_view raw) {
    return FoldForComparison(DecodeHtmlEntities(raw)).empty();
  }

  absl::string_view html_;
  State state_ = State::kNone;
  std::string heading_tag_;
  int bold_depth_ = 0;
  size_t begin_ = 0;
  std::string text_;
  std::optional<HeadingSpan> last_;
};

}  // namespace

bool IsReferenceHeading(absl::string_view heading) {
  static constexpr absl::string_view kHeadings[] = {
      "references",       "reference list", "bibliography",  "works cited",
      "literature cited", "sources",        "sources cited", "references cited"};
  std::string folded = FoldForComparison(heading);
  absl::string_view name = folded;
  if (absl::ConsumeSuffix(&name, ":")) name = absl::StripTrailingAsciiWhitespace(name);
  for (absl::string_view candidate : kHeadings) {
    if (name == candidate) return true;
  }
  return false;
}

std::string NormalizeLineEnds(absl::string_view text) {
  std::string normalized;
  normalized.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      normalized.push_back(text[i]);
    } else if (i + 1 >= text.size() || text[i + 1] != '\n') {
      normalized.push_back('\n');
    }
  }
  return normalized;
}

absl::StatusOr<DocumentParts> SplitDocumentText(absl::string_view text) {
  const std::string normalized = NormalizeLineEnds(text);
  const absl::string_view all = normalized;
  std::optional<size_t> heading_start;
  size_t references_start = 0;
  for (size_t line_start = 0; line_start < all.size();) {
    size_t line_end = all.find('\n', line_start);
    if (line_end == absl::string_view::npos) line_end = all.size();
    if (IsReferenceHeading(
            StripMarkdownDecoration(all.substr(line_start, line_end - line_start)))) {
      heading_start = line_start;
      references_start = line_end;
    }
    line_start = line_end + 1;
  }
  if (!heading_start) return NoReferenceSection("line of its own");
  DocumentParts parts;
  parts.body = std::string(all.substr(0, *heading_start));
  parts.references = ParseCitationText(all.substr(references_start));
  return parts;
}

absl::StatusOr<DocumentParts> SplitDocumentHtml(absl::string_view html) {
  const std::string normalized = NormalizeLineEnds(html);
  const absl::string_view all = normalized;
  std::optional<HeadingSpan> heading = HtmlHeadingFinder(all).FindLast();
  if (!heading) return NoReferenceSection("<h1>-<h6> heading or bold-only paragraph");
  DocumentParts parts;
  parts.body = HtmlToPlainText(all.substr(0, heading->begin));
  parts.references = ParseCitationHtml(all.substr(heading->end));
  return parts;
}

absl::StatusOr<DocumentParts> SplitDocument(const v1::Document& document) {
  switch (document.body_case()) {
    case v1::Document::kText:
      return SplitDocumentText(document.text());
    case v1::Document::kHtml:
      return SplitDocumentHtml(document.html());
    default:
      return NoReferenceSection("text or html body was given, so no heading");
  }
}

}  // namespace citecheck

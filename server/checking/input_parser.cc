#include "server/checking/input_parser.h"

#include <utility>

#include "absl/strings/str_replace.h"
#include "server/checking/html_entities.h"
#include "server/checking/html_text.h"
#include "server/checking/unicode_text.h"

namespace citecheck {
namespace {

bool IsAsciiWhitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void AddIfNotEmpty(absl::string_view raw, std::vector<std::string>* citations) {
  std::string citation = CollapseWhitespace(raw);
  if (!citation.empty()) citations->push_back(std::move(citation));
}

// Walks HTML once, collecting paragraphs (<p> elements) and the text outside them.
class HtmlCitationExtractor {
 public:
  explicit HtmlCitationExtractor(absl::string_view html) : html_(html) {}

  std::vector<std::string> Extract() {
    HtmlScanner scanner(html_);
    HtmlToken token;
    while (scanner.Next(&token)) {
      if (token.kind == HtmlToken::Kind::kText) {
        // A no-break space is whitespace here, so that it goes outside italic/bold markers.
        AppendText(absl::StrReplaceAll(DecodeHtmlEntities(token.raw), {{"\xC2\xA0", " "}}));
      } else {
        HandleTag(token.name, token.kind == HtmlToken::Kind::kEndTag);
      }
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
    } else if (IsHtmlBlockTag(name)) {
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
    if (CollapseWhitespace(line).empty()) {
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

#include "server/checking/inline_extractor.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "server/checking/cited_work.h"

namespace citecheck {
namespace {

constexpr size_t kNone = absl::string_view::npos;
// A parenthesis longer than this, or one spanning a blank line, is no citation.
constexpr size_t kLongestParenthesis = 1000;

// Finds the ")" closing each "(" of a body in one pass over it. (Scanning up to
// kLongestParenthesis bytes afresh from every "(" made a body of 4 MiB of "(" cost seconds.)
// Holds only the parentheses of the last kLongestParenthesis bytes.
class ParenMatcher {
 public:
  explicit ParenMatcher(absl::string_view body) : body_(body) {}

  // The ")" closing the "(" at body[open] within kLongestParenthesis bytes and before any blank
  // line, or kNone. REQUIRES: body[open] == '(' and `open` grows from call to call.
  size_t ClosingParen(size_t open) {
    closed_.erase(closed_.begin(), closed_.lower_bound(open));
    while (true) {
      if (auto it = closed_.find(open); it != closed_.end()) return it->second;
      const bool still_open = std::binary_search(open_.begin(), open_.end(), open);
      if ((scanned_ > open && !still_open) || scanned_ == body_.size()) return kNone;
      Scan();
    }
  }

 private:
  // Reads body_[scanned_].
  void Scan() {
    const size_t pos = scanned_++;
    // A "(" this far back can no longer close in time.
    while (!open_.empty() && open_.front() + kLongestParenthesis <= pos) open_.pop_front();
    const char c = body_[pos];
    if (c == '(') {
      open_.push_back(pos);
    } else if (c == ')' && !open_.empty()) {
      closed_[open_.back()] = pos;
      open_.pop_back();
    } else if (c == '\n' && pos + 1 < body_.size() && body_[pos + 1] == '\n') {
      open_.clear();  // a blank line ends every parenthesis still open
    }
  }

  absl::string_view body_;
  size_t scanned_ = 0;
  std::deque<size_t> open_;          // unclosed "(" positions, ascending
  std::map<size_t, size_t> closed_;  // "(" position -> its ")"
};

absl::string_view Slice(absl::string_view text, size_t begin, size_t end) {
  return text.substr(begin, end - begin);
}

// Adds the works of one parenthesis at body[open..close] to `out`; false when it holds none.
bool AddWorksOfParenthesis(absl::string_view body, size_t open, size_t close, v1::Style style,
                           std::vector<ExtractedCitation>* out) {
  const absl::string_view content = Slice(body, open + 1, close);
  const size_t content_offset = open + 1;
  const std::vector<ByteSpan> segments = SplitCitationSegments(content);

  std::optional<SegmentParse> narrative_years;
  std::optional<NarrativeAuthors> narrative;
  std::vector<std::optional<SegmentParse>> parsed(segments.size());
  size_t works = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    const absl::string_view segment = Slice(content, segments[s].begin, segments[s].end);
    parsed[s] = ParseCitationSegment(segment, style);
    if (parsed[s]) {
      works += style == v1::STYLE_MLA9 ? 1 : parsed[s]->years.size();
    } else if (s == 0 && style != v1::STYLE_MLA9) {
      narrative_years = ParseYearsSegment(segment);
      if (narrative_years) narrative = FindNarrativeAuthors(body, open);
      if (narrative) works += narrative_years->years.size();
    }
  }
  if (works == 0) return false;

  if (narrative) {
    const absl::string_view segment = Slice(content, segments[0].begin, segments[0].end);
    const size_t segment_offset = content_offset + segments[0].begin;
    const std::vector<ByteSpan>& years = narrative_years->years;
    if (works == 1 && segments.size() == 1) {
      out->push_back({std::string(Slice(body, narrative->authors.begin, close + 1)),
                      narrative->authors.begin});
    } else {
      const absl::string_view names = Slice(body, narrative->authors.begin, narrative->authors.end);
      for (size_t m = 0; m < years.size(); ++m) {
        const size_t year_end = m + 1 == years.size() ? segment.size() : years[m].end;
        out->push_back({absl::StrCat(names, narrative->work.possessive, " (",
                                     Slice(segment, years[m].begin, year_end), ")"),
                        m == 0 ? narrative->authors.begin : segment_offset + years[m].begin});
      }
    }
  }

  for (size_t s = 0; s < segments.size(); ++s) {
    if (!parsed[s]) continue;
    const SegmentParse& parse = *parsed[s];
    const absl::string_view segment = Slice(content, segments[s].begin, segments[s].end);
    const size_t segment_offset = content_offset + segments[s].begin;
    if (works == 1 && segments.size() == 1) {
      out->push_back({std::string(Slice(body, open, close + 1)), open});
      break;
    }
    if (parse.years.empty()) {  // MLA: one work per part
      out->push_back({std::string(Slice(segment, parse.authors.begin, segment.size())),
                      segment_offset + parse.authors.begin});
      continue;
    }
    const absl::string_view names = Slice(segment, parse.authors.begin, parse.authors.end);
    const absl::string_view separator = Slice(segment, parse.authors.end, parse.years[0].begin);
    for (size_t m = 0; m < parse.years.size(); ++m) {
      const size_t year_end = m + 1 == parse.years.size() ? segment.size() : parse.years[m].end;
      if (m == 0) {
        out->push_back({std::string(Slice(segment, parse.authors.begin, year_end)),
                        segment_offset + parse.authors.begin});
      } else {
        out->push_back(
            {absl::StrCat(names, separator, Slice(segment, parse.years[m].begin, year_end)),
             segment_offset + parse.years[m].begin});
      }
    }
  }
  return true;
}

}  // namespace

std::vector<ExtractedCitation> ExtractInlineCitations(absl::string_view body, v1::Style style) {
  std::vector<ExtractedCitation> citations;
  ParenMatcher parens(body);
  size_t i = 0;
  while ((i = body.find('(', i)) != kNone) {
    const size_t close = parens.ClosingParen(i);
    if (close != kNone && AddWorksOfParenthesis(body, i, close, style, &citations)) {
      i = close + 1;
    } else {
      ++i;
    }
  }
  return citations;
}

}  // namespace citecheck

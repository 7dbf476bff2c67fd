#include "server/checking/citation_anatomy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/checking/author_names.h"

namespace citecheck {
namespace {

constexpr absl::string_view kLeftDoubleQuote = "\xE2\x80\x9C";   // “
constexpr absl::string_view kRightDoubleQuote = "\xE2\x80\x9D";  // ”

bool StartsAt(absl::string_view text, size_t pos, absl::string_view prefix) {
  return pos <= text.size() && absl::StartsWith(text.substr(pos), prefix);
}

bool StartsAtIgnoringCase(absl::string_view text, size_t pos, absl::string_view prefix) {
  return pos <= text.size() && absl::StartsWithIgnoreCase(text.substr(pos), prefix);
}

size_t SkipSpaces(absl::string_view text, size_t pos, size_t limit) {
  while (pos < limit && text[pos] == ' ') ++pos;
  return pos;
}

// The end of [begin, end) without trailing spaces.
size_t TrimSpacesBefore(absl::string_view text, size_t begin, size_t end) {
  while (end > begin && text[end - 1] == ' ') --end;
  return end;
}

size_t OpeningQuoteWidth(absl::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  if (text[pos] == '"') return 1;
  return StartsAt(text, pos, kLeftDoubleQuote) ? kLeftDoubleQuote.size() : 0;
}

size_t ClosingQuoteWidth(absl::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  if (text[pos] == '"') return 1;
  return StartsAt(text, pos, kRightDoubleQuote) ? kRightDoubleQuote.size() : 0;
}

bool IsLetterByte(char c) {
  return absl::ascii_isalpha(c) || static_cast<unsigned char>(c) >= 0x80;
}

bool IsSentenceEnd(char c) { return c == '.' || c == '?' || c == '!'; }

// The element ending at `end` ends with ? or !.
bool EndsWithQuestionOrExclamationAt(absl::string_view text, size_t end) {
  return end > 0 && (text[end - 1] == '?' || text[end - 1] == '!');
}

// Where one element ends: its content ends at `content_end` (a separating period is excluded;
// ? and ! and the periods of abbreviations are included), the separator at `separator_end`,
// and the next element starts at `next_begin`.
struct ElementEnd {
  size_t content_end;
  size_t separator_end;
  size_t next_begin;
};

// In an author list, true when the word at `pos` (after an initial and a space) starts a title
// rather than continuing a name: a capitalised word followed by a space, as in "Doe, R. Deep
// learning" (but not "Rachel A. Doe," or "John A. Smith and ..." or "J. Smith (2020)").
bool TitleStartsAt(absl::string_view text, size_t pos, size_t limit) {
  if (pos >= limit || !absl::ascii_isupper(text[pos])) return false;
  size_t word_end = pos;
  while (word_end < limit && text[word_end] != ' ' && text[word_end] != ',' &&
         text[word_end] != '.') {
    ++word_end;
  }
  if (word_end >= limit || text[word_end] != ' ') return false;
  size_t next = word_end + 1;
  return !StartsAt(text, next, "and ") && !StartsAt(text, next, "& ") && !StartsAt(text, next, "(");
}

// True when the author text [from, pos] ends an inverted name's initials: "Doe, R." or
// "Smith, J. A." (the text since the last comma is initials only), so that a capitalised word
// after it may start the title. "Jean-Paul A." or "U.S." do not end a name.
bool EndsInvertedInitials(absl::string_view text, size_t from, size_t pos) {
  absl::string_view before = text.substr(from, pos - from);
  size_t comma = before.rfind(',');
  if (comma == absl::string_view::npos) return false;
  // The first author inverted with given names ending in an initial, "Becker, Ingrid E.":
  // nothing else can follow it but ", and …" or the next element.
  if (before.find(',') == comma && !absl::StrContains(before, " and ") &&
      !absl::StrContains(before, " & ")) {
    bool given_names = true;
    for (size_t i = from + comma + 1; i < pos && given_names; ++i) {
      given_names = text[i] == ' ' || text[i] == '.' || text[i] == '-' || IsLetterByte(text[i]);
    }
    if (given_names) return true;
  }
  for (size_t i = from + comma + 1; i <= pos; ++i) {
    char c = text[i];
    if (c == ' ' || c == '.' || c == '-') continue;
    if (!absl::ascii_isupper(c) && static_cast<unsigned char>(c) < 0x80) return false;
    if (i + 1 <= pos && IsLetterByte(text[i + 1]) && static_cast<unsigned char>(c) < 0x80) {
      return false;  // Two letters in a row: a word, not an initial.
    }
  }
  return true;
}

bool IsInitialPeriod(absl::string_view text, size_t pos) {
  return pos >= 1 && absl::ascii_isupper(text[pos - 1]) &&
         (pos == 1 || !IsLetterByte(text[pos - 2]));
}

// text[pos] is the period of "2nd ed." or "Rev. ed.": an edition, which is an element of its
// own in MLA and Chicago ("4th ed. Cambridge, MA: Harvard University Press").
bool EndsOrdinalEdition(absl::string_view text, size_t pos) {
  if (pos < 3 || text.substr(pos - 3, 3) != " ed") return false;
  size_t word_end = pos - 3;
  size_t word_begin = word_end;
  while (word_begin > 0 && text[word_begin - 1] != ' ') --word_begin;
  absl::string_view word = text.substr(word_begin, word_end - word_begin);
  if (word == "Rev." || word == "Revised") return true;
  return word.size() >= 3 && absl::ascii_isdigit(word[0]) &&
         (absl::EndsWith(word, "st") || absl::EndsWith(word, "nd") || absl::EndsWith(word, "rd") ||
          absl::EndsWith(word, "th"));
}

ElementEnd NextElementEnd(absl::string_view text, size_t from, size_t limit, bool in_authors) {
  int depth = 0;
  bool quoted = false;
  bool italic = false;
  size_t i = from;
  while (i < limit) {
    char c = text[i];
    if (size_t width = quoted ? ClosingQuoteWidth(text, i) : OpeningQuoteWidth(text, i);
        width > 0) {
      quoted = !quoted;
      size_t after = i + width;
      if (!quoted && depth == 0 && !italic && i > from && IsSentenceEnd(text[i - 1])) {
        if (after >= limit || text[after] == ' ') {
          return {after, after, SkipSpaces(text, after, limit)};
        }
        if (text[after] == '.' && (after + 1 >= limit || text[after + 1] == ' ')) {
          return {after, after + 1, SkipSpaces(text, after + 1, limit)};
        }
      }
      i = after;
      continue;
    }
    if (c == '_') {
      italic = !italic;
      // "_Why do they resist?_ Publisher": the question ends the element, unless a
      // parenthesis of the same element follows ("_Book?_ (pp. 1–9)").
      if (!italic && !quoted && depth == 0 && i > from &&
          (text[i - 1] == '?' || text[i - 1] == '!') && (i + 1 >= limit || text[i + 1] == ' ') &&
          !(i + 2 < limit && text[i + 2] == '(')) {
        return {i + 1, i + 1, SkipSpaces(text, i + 1, limit)};
      }
    } else if (c == '(' || c == '[') {
      ++depth;
    } else if ((c == ')' || c == ']') && depth > 0) {
      --depth;
    } else if (!quoted && !italic && depth == 0 && IsSentenceEnd(c)) {
      size_t next = i + 1;
      bool part_of_ellipsis = c == '.' && i > from && (text[i - 1] == '.' || text[i - 1] == ' ');
      if ((next < limit && text[next] != ' ') || part_of_ellipsis) {
        ++i;
        continue;
      }
      if (c == '.' && IsAbbreviationPeriod(text, i)) {
        if (next >= limit) return {next, next, limit};
        size_t peek = SkipSpaces(text, next, limit);
        if (peek >= limit) return {next, next, limit};
        bool ends_et_al = i >= 5 && text.substr(i - 5, 5) == "et al";
        bool new_element =
            OpeningQuoteWidth(text, peek) > 0 || text[peek] == '_' ||
            (EndsOrdinalEdition(text, i) && absl::ascii_isupper(text[peek])) ||

            (in_authors && ends_et_al && text[peek] != '(') ||
            (in_authors && YearLengthAt(text, peek) > 0) ||
            (in_authors && i >= 2 &&
             (text.substr(i - 2, 2) == "Jr" || text.substr(i - 2, 2) == "Sr") &&
             absl::ascii_isupper(text[peek])) ||
            (in_authors && IsInitialPeriod(text, i) && EndsInvertedInitials(text, from, i) &&
             TitleStartsAt(text, peek, limit));
        if (new_element) return {next, next, peek};
        // "Statistics with R. 3rd ed.": a capital letter ending a title, then a number; the
        // period only ends the element.
        if (!in_authors && IsInitialPeriod(text, i) && absl::ascii_isdigit(text[peek])) {
          return {i, next, peek};
        }
        ++i;
        continue;
      }
      return {c == '.' ? i : next, next, SkipSpaces(text, next, limit)};
    }
    ++i;
  }
  return {limit, limit, limit};
}

// A parenthesized year: "(2020)", "(2020a)", "(2020, March 5)", "(n.d.)".
struct YearInParentheses {
  TextSpan group;
  TextSpan year;
};

YearInParentheses FindYearInParentheses(absl::string_view text, size_t from, size_t limit) {
  constexpr size_t kLongestDate = 40;
  for (size_t i = from; i < limit; ++i) {
    if (text[i] != '(') continue;
    size_t length = YearLengthAt(text, i + 1);
    if (length == 0) continue;
    size_t after = i + 1 + length;
    size_t close = after;
    if (after < limit && text[after] == ',') {
      close = text.find(')', after);
      size_t reopen = text.find('(', after);
      if (close == absl::string_view::npos || close >= limit || close - after > kLongestDate ||
          reopen < close) {
        continue;
      }
    }
    if (close >= limit || text[close] != ')') continue;
    return {{i, close + 1}, {i + 1, after}};
  }
  return {};
}

// True when the word at `pos` is a URL without a scheme, as MLA writes them:
// "example.com/page" (a host with a dot and a letters-only top-level domain, then a slash).
bool IsBareUrlAt(absl::string_view text, size_t pos) {
  size_t slash = pos;
  while (slash < text.size() &&
         (absl::ascii_isalnum(text[slash]) || text[slash] == '.' || text[slash] == '-')) {
    ++slash;
  }
  if (slash >= text.size() || text[slash] != '/') return false;
  absl::string_view host = text.substr(pos, slash - pos);
  size_t dot = host.rfind('.');
  if (dot == absl::string_view::npos || dot == 0 || host.size() - dot - 1 < 2) return false;
  for (char c : host.substr(dot + 1)) {
    if (!absl::ascii_isalpha(c)) return false;
  }
  return true;
}

void FindLink(CitationAnatomy* citation) {
  absl::string_view text = citation->text;
  static constexpr absl::string_view kLinkStarts[] = {
      "https://", "http://", "doi:", "doi.org/", "dx.doi.org/", "www."};
  size_t start = TextSpan::kAbsent;
  for (size_t i = 0; i < text.size() && start == TextSpan::kAbsent; ++i) {
    if (i > 0 && text[i - 1] != ' ' && text[i - 1] != '(' && text[i - 1] != '<') continue;
    for (absl::string_view prefix : kLinkStarts) {
      if (StartsAtIgnoringCase(text, i, prefix)) {
        start = i;
        break;
      }
    }
    if (start == TextSpan::kAbsent && i > 0 && IsBareUrlAt(text, i)) start = i;
  }
  if (start == TextSpan::kAbsent) return;

  size_t token_start = start;
  if (StartsAtIgnoringCase(text, start, "doi:")) {
    token_start = SkipSpaces(text, start + 4, text.size());
  }
  size_t end = text.find(' ', token_start);
  if (end == absl::string_view::npos) end = text.size();
  while (end > token_start && (text[end - 1] == '.' || text[end - 1] == ',' ||
                               text[end - 1] == ';' || text[end - 1] == '>')) {
    --end;
  }
  if (end > token_start && text[end - 1] == ')' &&
      text.substr(token_start, end - token_start).find('(') == absl::string_view::npos) {
    --end;
  }
  citation->link = {start, end};

  absl::string_view link = text.substr(start, end - start);
  size_t doi_start = TextSpan::kAbsent;
  if (absl::StartsWithIgnoreCase(link, "https://doi.org/")) {
    citation->link_kind = LinkKind::kDoiUrl;
    doi_start = start + 16;
  } else if (absl::StartsWithIgnoreCase(link, "doi:")) {
    citation->link_kind = LinkKind::kLegacyDoi;
    doi_start = token_start;
  } else {
    static constexpr absl::string_view kLegacyDoiPrefixes[] = {
        "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "dx.doi.org/", "doi.org/"};
    citation->link_kind = LinkKind::kUrl;
    for (absl::string_view prefix : kLegacyDoiPrefixes) {
      if (absl::StartsWithIgnoreCase(link, prefix)) {
        citation->link_kind = LinkKind::kLegacyDoi;
        doi_start = start + prefix.size();
        break;
      }
    }
  }
  if (doi_start != TextSpan::kAbsent && StartsAt(text, doi_start, "10.") && doi_start < end) {
    citation->doi = {doi_start, end};
  }
}

// The end of a container's name in [begin, end): an italic name ends with its closing marker;
// otherwise the name runs to the first ", <number>", ", vol." (and the like) or " <number>,"
// (Chicago's "Journal 14, no. 2").
size_t FindContainerNameEnd(absl::string_view text, size_t begin, size_t end) {
  if (text[begin] == '_') {
    size_t close = text.find('_', begin + 1);
    if (close != absl::string_view::npos && close < end) return close + 1;
  }
  static constexpr absl::string_view kLabels[] = {"vol.", "no.", "pp.", "p. ", "article "};
  // MLA's "Book Title, edited by …": the name runs to its editors.
  size_t edited = text.substr(begin, end - begin).find(", edited by ");
  if (edited != absl::string_view::npos) return begin + edited;
  for (size_t j = begin + 1; j < end; ++j) {
    if (text[j] == ',' && j + 1 < end && text[j + 1] == ' ') {
      return j;  // "Journal, 14(2)", "Site, 7 Apr. 2017", "Proceedings of …, ACM, 2015".
    }
    if (text[j] == ',' && j + 1 < end && text[j + 1] == ' ') {
      size_t k = j + 2;
      if (k < end && text[k] == '_') ++k;
      if (k < end && absl::ascii_isdigit(text[k])) return j;
      for (absl::string_view label : kLabels) {
        if (StartsAtIgnoringCase(text, j + 2, label)) return j;
      }
    } else if (text[j] == ' ' && j + 1 < end && absl::ascii_isdigit(text[j + 1])) {
      size_t m = j + 1;
      while (m < end && absl::ascii_isdigit(text[m])) ++m;
      if (m == end || text[m] == ',' || text[m] == ':' || text[m] == '(' ||
          (text[m] == ' ' && m + 1 < end && text[m + 1] == '(')) {
        return j;
      }
    }
  }
  return end;
}

// The byte length of a dash joining a page range at text[pos] ("-", "--", "–", "—"), or 0.
size_t RangeDashWidth(absl::string_view text, size_t pos) {
  if (StartsAt(text, pos, "--")) return 2;
  if (StartsAt(text, pos, "-")) return 1;
  if (StartsAt(text, pos, "\xE2\x80\x93") || StartsAt(text, pos, "\xE2\x80\x94")) return 3;
  return 0;
}

// A number in the details of a container: "14", "_14_", "e12", "101–115", "S1".
struct NumberToken {
  size_t begin;     // Including a marker.
  size_t end;       // Including a marker.
  TextSpan number;  // Without markers.
  bool italic = false;
  bool is_range = false;
};

// The end of a page-ish number at `pos`: an optional letter, digits, an optional letter.
size_t NumberEnd(absl::string_view text, size_t pos, size_t limit) {
  size_t i = pos;
  if (i < limit && absl::ascii_isalpha(text[i])) ++i;
  size_t digits_start = i;
  while (i < limit && absl::ascii_isdigit(text[i])) ++i;
  if (i == digits_start) return pos;
  if (i < limit && absl::ascii_isalpha(text[i]) &&
      (i + 1 >= limit || !absl::ascii_isalpha(text[i + 1]))) {
    ++i;
  }
  return i;
}

bool ParseNumberToken(absl::string_view text, size_t pos, size_t limit, NumberToken* token) {
  size_t i = pos;
  bool italic = i < limit && text[i] == '_';
  if (italic) ++i;
  size_t number_end = NumberEnd(text, i, limit);
  if (number_end == i) return false;
  size_t number_begin = i;
  i = number_end;
  bool is_range = false;
  if (size_t dash = RangeDashWidth(text, i); dash > 0) {
    size_t second_end = NumberEnd(text, i + dash, limit);
    if (second_end > i + dash) {
      i = second_end;
      is_range = true;
    }
  }
  size_t end = i;
  if (italic) {
    if (i >= limit || text[i] != '_') return false;
    end = i + 1;
  }
  *token = {pos, end, {number_begin, i}, italic, is_range};
  return true;
}

bool IsYearLike(absl::string_view number) {
  if (number.size() != 4) return false;
  for (char c : number) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return (number[0] == '1' && number[1] >= '5') || (number[0] == '2' && number[1] == '0');
}

// The label at `pos` ("vol. ", "no. ", "pp. ", "p. ", "Article "), as its length; 0 if none.
size_t LabelLength(absl::string_view text, size_t pos, absl::string_view label) {
  if (!StartsAtIgnoringCase(text, pos, label)) return 0;
  size_t end = pos + label.size();
  if (end < text.size() && text[end] == ' ') ++end;
  return end;
}

// True when the word at `pos` names a month ("Apr.", "April", "Sept.").
bool IsMonthAt(absl::string_view text, size_t pos, size_t limit) {
  size_t end = pos;
  while (end < limit && absl::ascii_isalpha(text[end])) ++end;
  absl::string_view word = text.substr(pos, end - pos);
  static constexpr absl::string_view kMonths[] = {
      "Jan", "January",   "Feb", "February", "Mar", "March",    "Apr",    "April",
      "May", "June",      "Jun", "July",     "Jul", "Aug",      "August", "Sept",
      "Sep", "September", "Oct", "October",  "Nov", "November", "Dec",    "December"};
  for (absl::string_view month : kMonths) {
    if (word == month) return true;
  }
  return false;
}

void ParseContainerDetails(CitationAnatomy* citation, size_t begin, size_t end) {
  absl::string_view text = citation->text;
  size_t previous_end = begin;  // The end of the last recognised piece.
  size_t i = begin;
  auto fail_piece = [&]() {
    citation->container_details_understood = false;
    while (i < end && text[i] != ' ' && text[i] != ',') ++i;
  };
  while (i < end) {
    char c = text[i];
    if (c == ',' || c == ' ' || c == ':' || c == ';') {
      ++i;
      continue;
    }
    size_t piece_start = i;
    TextSpan label;
    enum class Kind { kUnlabelled, kVolume, kIssue, kPages, kArticle } kind = Kind::kUnlabelled;
    if (size_t label_end = LabelLength(text, i, "vol."); label_end > 0) {
      kind = Kind::kVolume;
      label = {i, label_end};
    } else if (size_t label_end = LabelLength(text, i, "no."); label_end > 0) {
      kind = Kind::kIssue;
      label = {i, label_end};
    } else if (size_t label_end = LabelLength(text, i, "pp."); label_end > 0) {
      kind = Kind::kPages;
      label = {i, label_end};
    } else if (size_t label_end = LabelLength(text, i, "p."); label_end > 0) {
      kind = Kind::kPages;
      label = {i, label_end};
    } else if (size_t label_end = LabelLength(text, i, "article "); label_end > 0) {
      kind = Kind::kArticle;
      label = {i, label_end};
    }

    if (kind == Kind::kUnlabelled && c == '(') {
      size_t close = text.find(')', i);
      if (close == absl::string_view::npos || close >= end) {
        fail_piece();
        continue;
      }
      size_t year_length = YearLengthAt(text, i + 1);
      if (year_length > 0 && i + 1 + year_length == close && !citation->year.present()) {
        citation->year = {i + 1, close};
        citation->year_group = {i, close + 1};
        citation->year_parenthesized = true;
      } else if (citation->volume_group.present() && citation->volume_group.end == i &&
                 !citation->issue.present() && close > i + 1) {
        citation->issue = {i + 1, close};
        citation->issue_group = {i, close + 1};
        citation->issue_form = IssueForm::kParenthesized;
      } else {
        citation->container_details_understood = false;
      }
      i = close + 1;
      previous_end = i;
      continue;
    }

    // "_14(2)_": volume and issue inside one pair of italic markers.
    if (kind == Kind::kUnlabelled && c == '_' && !citation->volume.present()) {
      size_t digits = i + 1;
      while (digits < end && absl::ascii_isdigit(text[digits])) ++digits;
      size_t close = text.find(")_", digits);
      if (digits > i + 1 && digits < end && text[digits] == '(' &&
          close != absl::string_view::npos && close < end && close > digits + 1) {
        citation->volume = {i + 1, digits};
        citation->volume_italic = true;
        citation->volume_group = {i, close + 2};
        citation->issue = {digits + 1, close};
        citation->issue_group = {digits, close + 1};
        citation->issue_form = IssueForm::kParenthesized;
        citation->issue_italic = true;
        i = previous_end = close + 2;
        continue;
      }
    }
    size_t number_pos = label.present() ? label.end : i;
    NumberToken token;
    if (!ParseNumberToken(text, number_pos, end, &token)) {
      fail_piece();
      continue;
    }
    if (kind == Kind::kUnlabelled && !token.is_range && token.end + 1 < end &&
        text[token.end] == ' ' && IsMonthAt(text, token.end + 1, end)) {
      // A date such as "25 Apr. 2013": the year after it is taken on its own.
      citation->container_details_understood = false;
      i = token.end;
      continue;
    }
    if (kind == Kind::kUnlabelled) {
      absl::string_view number = citation->Of(token.number);
      bool issue_follows =
          token.end < end && text[token.end] == '(' && YearLengthAt(text, token.end + 1) == 0;
      if (token.is_range) {
        kind = Kind::kPages;
      } else if (!citation->volume.present() && (token.italic || issue_follows)) {
        kind = Kind::kVolume;
      } else if (IsYearLike(number) && !citation->year.present()) {
        citation->year = token.number;
        citation->year_group = token.number;
        i = previous_end = token.end;
        continue;
      } else if (!citation->volume.present() && !citation->pages.present()) {
        kind = Kind::kVolume;
      } else {
        kind = Kind::kPages;
      }
    }
    bool duplicate = false;
    switch (kind) {
      case Kind::kVolume:
        duplicate = citation->volume.present();
        if (duplicate) break;
        citation->volume = token.number;
        citation->volume_italic = token.italic;
        citation->volume_label = label;
        citation->volume_group = {piece_start, token.end};
        break;
      case Kind::kIssue:
        duplicate = citation->issue.present();
        if (duplicate) break;
        citation->issue = token.number;
        citation->issue_group = {piece_start, token.end};
        citation->issue_form = IssueForm::kLabelled;
        break;
      case Kind::kPages:
        duplicate = citation->pages.present();
        if (duplicate) break;
        citation->pages = token.number;
        citation->pages_label = label;
        citation->pages_group = {piece_start, token.end};
        citation->pages_separator = {previous_end, piece_start};
        break;
      case Kind::kArticle:
        duplicate = citation->article_number.present();
        if (!duplicate) citation->article_number = {piece_start, token.end};
        break;
      case Kind::kUnlabelled:
        break;
    }
    if (duplicate) citation->container_details_understood = false;
    i = previous_end = token.end;
  }
}

bool ContainsIgnoringCase(absl::string_view text, absl::string_view part) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(part));
}

bool ContainsWord(absl::string_view text, absl::string_view word) {
  for (size_t at = text.find(word); at != absl::string_view::npos; at = text.find(word, at + 1)) {
    bool starts_word = at == 0 || !IsLetterByte(text[at - 1]);
    size_t after = at + word.size();
    bool ends_word = after == text.size() || !IsLetterByte(text[after]);
    if (starts_word && ends_word) return true;
  }
  return false;
}

bool ContainsAnyWord(absl::string_view text, std::initializer_list<absl::string_view> words) {
  for (absl::string_view word : words) {
    if (ContainsWord(text, word)) return true;
  }
  return false;
}

bool LooksLikePublisher(absl::string_view name) {
  return ContainsAnyWord(
      name, {"Press",      "Publishing", "Publishers",    "Publisher", "Publications", "Books",
             "Verlag",     "Wiley",      "Springer",      "Elsevier",  "Routledge",    "Sage",
             "SAGE",       "Penguin",    "HarperCollins", "Macmillan", "Norton",       "Pearson",
             "McGraw",     "Palgrave",   "Bloomsbury",    "Blackwell", "Houghton",     "Knopf",
             "Scholastic", "Vintage",    "University",    "UP"});
}

bool LooksLikeProceedings(absl::string_view name) {
  return ContainsAnyWord(
      name, {"Proceedings", "Conference", "Symposium", "Workshop", "Congress", "Meeting"});
}

// Organisations that publish reports rather than books.
bool LooksLikeReportPublisher(absl::string_view name) {
  return ContainsAnyWord(
      name, {"Corporation", "Institution", "Bank", "Bureau", "Agency", "Department", "Office",
             "Commission", "Council", "Institute", "Organization", "Organisation", "Foundation",
             "Ministry", "Fund", "Research"});
}

bool LooksLikeDataRepository(absl::string_view name) {
  return ContainsAnyWord(name, {"Zenodo", "Dataverse", "ICPSR", "Figshare", "Dryad", "OSF",
                                "Open Science Framework", "UK Data Service", "Kaggle"});
}

// A report number: "RR-123", "WP-2903", "No. 12", "NOAA-TR-12", "Report No. 5".
bool LooksLikeReportNumber(absl::string_view piece) {
  if (absl::StartsWith(piece, "(")) piece.remove_prefix(1);
  if (absl::StartsWithIgnoreCase(piece, "Report") || absl::StartsWith(piece, "No.") ||
      absl::StartsWithIgnoreCase(piece, "Working Paper") ||
      absl::StartsWithIgnoreCase(piece, "Technical Report")) {
    return true;
  }
  size_t i = 0;
  while (i < piece.size() && (absl::ascii_isupper(piece[i]) || piece[i] == '-')) ++i;
  return i >= 2 && i < piece.size() && piece[i - 1] == '-' && absl::ascii_isdigit(piece[i]);
}

// A full date with a month: "2017, April 7", "7 Apr. 2017", "December 19, 2007".
bool HasMonthDate(const CitationAnatomy& citation) {
  absl::string_view text = citation.text;
  size_t from = citation.title_element.present() ? citation.title_element.end : 0;
  if (citation.year_group.present() && citation.year_group.begin < from) {
    from = citation.year_group.begin;
  }
  size_t end = citation.link.present() ? citation.link.begin : text.size();
  for (size_t i = from; i < end; ++i) {
    if ((i == 0 || text[i - 1] == ' ') && absl::ascii_isupper(text[i]) && IsMonthAt(text, i, end)) {
      size_t after = i;
      while (after < end && absl::ascii_isalpha(text[after])) ++after;
      if (after < end && text[after] == '.') ++after;
      if (after + 1 < end && text[after] == ' ' && absl::ascii_isdigit(text[after + 1])) {
        return true;
      }
    }
  }
  return false;
}

// "Verso" or "Verso, 2019": one to four capitalised words (and a year), as a publisher is
// written after the title of a book.
bool LooksLikeBarePublisher(absl::string_view element) {
  while (!element.empty() && element.back() == ',') element.remove_suffix(1);
  size_t comma = element.find(", ");
  absl::string_view name = element.substr(0, comma);
  if (comma != absl::string_view::npos) {
    absl::string_view rest = element.substr(comma + 2);
    if (YearLengthAt(rest, 0) != rest.size()) return false;
  }
  int words = 0;
  size_t start = 0;
  while (start < name.size()) {
    size_t end = name.find(' ', start);
    if (end == absl::string_view::npos) end = name.size();
    if (end == start || !(absl::ascii_isupper(name[start]) || name[start] == '&')) return false;
    for (size_t i = start; i < end; ++i) {
      if (absl::ascii_isdigit(name[i])) return false;
    }
    ++words;
    start = end + 1;
  }
  return words >= 1 && words <= 4;
}

// The author list ends with an editor role: "(Ed.)", "(Eds.)", ", editor(s)", ", ed(s).".
bool AuthorsAreEditors(const CitationAnatomy& citation) {
  absl::string_view authors = citation.Of(citation.authors);
  for (absl::string_view role :
       {"(Ed.)", "(Eds.)", ", editor", ", editors", ", ed.", ", eds.", ", ed", ", eds"}) {
    if (absl::EndsWith(authors, role)) return true;
  }
  return false;
}

std::string ClassifySource(const CitationAnatomy& citation) {
  absl::string_view text = citation.text;
  absl::string_view after_title =
      citation.title_element.present() ? text.substr(citation.title_element.begin) : text;
  absl::string_view description = citation.Of(citation.description);
  if (ContainsIgnoringCase(description, "dissertation") ||
      ContainsIgnoringCase(description, "thesis") ||
      ContainsAnyWord(after_title, {"Doctoral dissertation", "Master's thesis",
                                    "Master\xE2\x80\x99s thesis", "PhD diss", "PhD thesis"})) {
    return std::string(CitationAnatomy::kThesis);
  }
  if (ContainsIgnoringCase(description, "data set") ||
      ContainsIgnoringCase(description, "dataset")) {
    return std::string(CitationAnatomy::kDataset);
  }
  if (ContainsIgnoringCase(description, "software") ||
      absl::StrContains(after_title, "(Version ")) {
    return std::string(CitationAnatomy::kSoftware);
  }
  absl::string_view container_name = citation.Of(citation.container_name);
  if (citation.container_starts_with_in) {
    return std::string(LooksLikeProceedings(citation.Of(citation.container))
                           ? CitationAnatomy::kConferencePaper
                           : CitationAnatomy::kBookChapter);
  }
  if (citation.container_name_italic && LooksLikeProceedings(container_name)) {
    return std::string(CitationAnatomy::kConferencePaper);
  }
  absl::string_view container = citation.Of(citation.container);
  bool part_title = citation.title_form != TitleForm::kItalic;
  if (part_title && citation.container_name_italic &&
      absl::StrContains(container, ", edited by ")) {
    return std::string(CitationAnatomy::kBookChapter);
  }
  if (citation.volume.present() || citation.issue.present() || citation.article_number.present()) {
    return std::string(CitationAnatomy::kJournalArticle);
  }
  if (citation.pages.present()) {
    // MLA chapters name the publisher in the container: "_Book_, Routledge, 2018, pp. 15–38".
    bool book_container = citation.pages_label.present() && !citation.volume.present() &&
                          LooksLikePublisher(container);
    return std::string(book_container ? CitationAnatomy::kBookChapter
                                      : CitationAnatomy::kJournalArticle);
  }
  absl::string_view publisher_or_container =
      citation.publisher_element.present() ? citation.Of(citation.publisher_element) : container;
  if (citation.title_form != TitleForm::kQuoted && !AuthorsAreEditors(citation) &&
      ContainsAnyWord(publisher_or_container,
                      {"University", "Universidad", "Université", "Universität", "College"}) &&
      !ContainsAnyWord(publisher_or_container, {"Press", "UP"})) {
    return std::string(CitationAnatomy::kThesis);
  }
  if (ContainsAnyWord(text, {"Dissertations", "Theses"})) {
    return std::string(CitationAnatomy::kThesis);
  }
  if (AuthorsAreEditors(citation) && citation.title_form != TitleForm::kQuoted) {
    return std::string(CitationAnatomy::kEditedBook);
  }
  absl::string_view publisher = citation.Of(citation.publisher_element);
  if (LooksLikeDataRepository(publisher) || LooksLikeDataRepository(container_name)) {
    return std::string(CitationAnatomy::kDataset);
  }
  bool report_number = false;
  for (const TextSpan& element : citation.elements) {
    absl::string_view piece = citation.Of(element);
    report_number = report_number || LooksLikeReportNumber(piece);
  }
  size_t paren = after_title.find(" (");
  if (citation.title_form == TitleForm::kItalic && paren != absl::string_view::npos &&
      paren < citation.title_element.size()) {
    report_number = report_number || LooksLikeReportNumber(after_title.substr(paren + 2));
  }
  if (citation.edition.present() && citation.title_form != TitleForm::kQuoted &&
      !citation.container_starts_with_in) {
    return std::string(CitationAnatomy::kBook);
  }
  if (report_number) return std::string(CitationAnatomy::kReport);
  bool has_url = citation.link_kind == LinkKind::kUrl;
  if (HasMonthDate(citation) || citation.retrieved_from.present() ||
      absl::StrContains(text, "Accessed ") || absl::StrContains(text, "Retrieved ")) {
    return std::string(CitationAnatomy::kWebpage);
  }
  if (LooksLikeReportPublisher(publisher) && !LooksLikePublisher(publisher) &&
      (citation.title_form != TitleForm::kQuoted || citation.place.present())) {
    return std::string(CitationAnatomy::kReport);
  }
  if (citation.title_form != TitleForm::kQuoted &&
      (LooksLikePublisher(publisher) || citation.place.present() ||
       LooksLikePublisher(container))) {
    return std::string(CitationAnatomy::kBook);
  }
  if (citation.title_form != TitleForm::kQuoted && !citation.container_name_italic &&
      citation.link_kind != LinkKind::kUrl && LooksLikeBarePublisher(container)) {
    return std::string(CitationAnatomy::kBook);
  }
  if (citation.title_form == TitleForm::kQuoted && citation.container_name_italic && has_url) {
    return std::string(CitationAnatomy::kWebpage);
  }
  if (citation.link_kind == LinkKind::kDoiUrl || citation.link_kind == LinkKind::kLegacyDoi) {
    return std::string(citation.title_form == TitleForm::kItalic
                           ? CitationAnatomy::kBook
                           : CitationAnatomy::kJournalArticle);
  }
  if (has_url) return std::string(CitationAnatomy::kWebpage);
  if (citation.title_form == TitleForm::kItalic && citation.container.present()) {
    return std::string(CitationAnatomy::kBook);
  }
  return std::string(CitationAnatomy::kOther);
}

// Records `paren` as the year in the authors' place ("Smith, J. (2020)." or "_Title_.
// (2020).") and returns where the next element starts.
size_t TakeLeadingYear(CitationAnatomy* citation, const YearInParentheses& paren, size_t body_end) {
  absl::string_view text = citation->text;
  citation->year = paren.year;
  citation->year_group = paren.group;
  citation->year_parenthesized = true;
  citation->year_after_authors = true;
  size_t pos = paren.group.end;
  if (pos < body_end && text[pos] == '.') ++pos;
  return SkipSpaces(text, pos, body_end);
}

// Finds the authors (and an APA-style year right after them); returns where the next element
// starts.
size_t ParseAuthorsAndYear(CitationAnatomy* citation, size_t body_end) {
  absl::string_view text = citation->text;
  ElementEnd first = NextElementEnd(text, 0, body_end, /*in_authors=*/true);
  YearInParentheses paren = FindYearInParentheses(text, 0, body_end);
  // "Smith, J. (2020)." — also when an abbreviation in the authors ("U.S. Census Bureau",
  // "(Eds.)") ended the first element early: the year then follows ". " or ") ".
  bool year_follows_authors =
      paren.group.present() && paren.group.begin > 0 &&
      (paren.group.begin <= first.next_begin ||
       (paren.group.begin >= 2 && text[paren.group.begin - 1] == ' ' &&
        (text[paren.group.begin - 2] == '.' || text[paren.group.begin - 2] == ')')));
  if (year_follows_authors) {
    absl::string_view before = text.substr(0, paren.group.begin);
    year_follows_authors = before.find('_') == absl::string_view::npos &&
                           before.find('"') == absl::string_view::npos &&
                           before.find(kLeftDoubleQuote) == absl::string_view::npos;
  }
  if (year_follows_authors) {
    size_t authors_end = TrimSpacesBefore(text, 0, paren.group.begin);
    if (authors_end > 0 && text[authors_end - 1] == '.' &&
        !IsAbbreviationPeriod(text, authors_end - 1)) {
      --authors_end;
    }
    if (authors_end > 0) citation->authors = {0, authors_end};
    return TakeLeadingYear(citation, paren, body_end);
  }

  size_t authors_end = TrimSpacesBefore(text, 0, first.content_end);
  // "Smith, J. 2020. Title": the year ends the first element.
  size_t last_space = text.substr(0, authors_end).rfind(' ');
  if (last_space != absl::string_view::npos &&
      YearLengthAt(text, last_space + 1) == authors_end - last_space - 1) {
    citation->year = {last_space + 1, authors_end};
    citation->year_group = citation->year;
    citation->year_after_authors = true;
    authors_end = TrimSpacesBefore(text, 0, last_space);
    if (authors_end > 0 &&
        (text[authors_end - 1] == ',' ||
         (text[authors_end - 1] == '.' && !IsAbbreviationPeriod(text, authors_end - 1)))) {
      --authors_end;
    }
  }
  if (authors_end > 0) citation->authors = {0, authors_end};
  size_t pos = first.next_begin;
  // "Smith, John. 2020. Title": the year is an element of its own.
  if (!citation->year.present() && pos < body_end) {
    size_t year_length = YearLengthAt(text, pos);
    size_t after = pos + year_length;
    // "Smith, J. 2019, November 27. Title": a date without its parentheses.
    if (year_length > 0 && StartsAt(text, after, ", ") && IsMonthAt(text, after + 2, body_end)) {
      size_t date_end = text.find('.', after + 2);
      if (date_end != absl::string_view::npos && date_end < body_end && date_end - after < 20) {
        citation->year = {pos, after};
        citation->year_group = {pos, date_end};
        citation->year_after_authors = true;
        return SkipSpaces(text, date_end + 1, body_end);
      }
    }
    bool ends_element =
        year_length > 0 &&
        (after >= body_end ||
         (text[after] == '.' && (after + 1 >= body_end || text[after + 1] == ' ')) ||
         (text[after - 1] == '.' && text[after] == ' '));
    if (ends_element) {
      citation->year = {pos, after};
      citation->year_group = citation->year;
      citation->year_after_authors = true;
      if (after < body_end && text[after] == '.') ++after;
      pos = SkipSpaces(text, after, body_end);
    }
  }
  return pos;
}

// A reference without authors starts with its title, and the date takes the authors' place
// after it: APA "_Title_. (2013, February 10).", Chicago "“Title.” 2017." or "n.d.".
size_t ParseYearAfterLeadingTitle(CitationAnatomy* citation, size_t pos, size_t body_end) {
  absl::string_view text = citation->text;
  if (text[pos] == '(') {
    YearInParentheses paren = FindYearInParentheses(text, pos, body_end);
    if (!paren.group.present() || paren.group.begin != pos) return pos;
    return TakeLeadingYear(citation, paren, body_end);
  }
  size_t length = YearLengthAt(text, pos);
  size_t after = pos + length;
  size_t group_end = after;
  // "1978, March 3.": a date without its parentheses.
  if (length > 0 && StartsAt(text, after, ", ") && IsMonthAt(text, after + 2, body_end)) {
    size_t date_end = text.find('.', after + 2);
    if (date_end != absl::string_view::npos && date_end < body_end && date_end - after < 20) {
      group_end = date_end;
    }
  }
  if (length == 0 ||
      !(group_end >= body_end || text[group_end] == '.' || text[group_end - 1] == '.')) {
    return pos;
  }
  citation->year = {pos, after};
  citation->year_group = {pos, group_end};
  after = group_end;
  citation->year_after_authors = true;
  if (after < body_end && text[after] == '.') ++after;
  return SkipSpaces(text, after, body_end);
}

size_t ParseTitle(CitationAnatomy* citation, size_t pos, size_t body_end) {
  absl::string_view text = citation->text;
  if (size_t quote_width = OpeningQuoteWidth(text, pos); quote_width > 0) {
    size_t words_begin = pos + quote_width;
    size_t close = words_begin;
    while (close < body_end && ClosingQuoteWidth(text, close) == 0) ++close;
    // A quoted phrase that merely opens a plain title (“Fake news” and its critics) is not a
    // quoted title: the text goes on in lower case after its closing mark.
    size_t after_close = close < body_end ? close + ClosingQuoteWidth(text, close) : close;
    bool phrase_only = after_close + 1 < body_end && close > words_begin &&
                       !IsSentenceEnd(text[close - 1]) && text[close - 1] != ',' &&
                       text[after_close] == ' ' && absl::ascii_islower(text[after_close + 1]);
    if (close < body_end && !phrase_only) {
      size_t words_end = close;
      while (words_end > words_begin && (text[words_end - 1] == '.' || text[words_end - 1] == ',' ||
                                         text[words_end - 1] == ' ')) {
        --words_end;
      }
      size_t element_end = close + ClosingQuoteWidth(text, close);
      if (element_end < body_end && (text[element_end] == '.' || text[element_end] == ',')) {
        ++element_end;
      }
      citation->title = {words_begin, words_end};
      citation->title_form = TitleForm::kQuoted;
      citation->title_element = {pos, element_end};
      return SkipSpaces(text, element_end, body_end);
    }
  }
  ElementEnd element = NextElementEnd(text, pos, body_end, /*in_authors=*/false);
  // "Does X predict Y? Evidence from Z. _Journal_…": a plain title whose question ends before
  // its subtitle. The subtitle is taken into the title when it is plain text and another element
  // follows it (a title cannot be followed by the container alone and then nothing).
  while (text[pos] != '_' && element.content_end > pos &&
         EndsWithQuestionOrExclamationAt(text, element.content_end) &&
         element.next_begin < body_end) {
    size_t next = element.next_begin;
    if (text[next] == '_' || text[next] == '[' || OpeningQuoteWidth(text, next) > 0 ||
        StartsAt(text, next, "In ") || !absl::ascii_isupper(text[next])) {
      break;
    }
    ElementEnd subtitle = NextElementEnd(text, next, body_end, /*in_authors=*/false);
    if (subtitle.next_begin >= body_end) break;
    // "Why Do X? CDC. January 8, 2016.": what follows is a site, then its date.
    size_t after = subtitle.next_begin;
    if (IsMonthAt(text, after, body_end) || StartsAt(text, after, "Accessed") ||
        StartsAt(text, after, "Retrieved") || YearLengthAt(text, after) > 0) {
      break;
    }
    element = subtitle;
  }
  citation->title_element = {pos, element.separator_end};
  citation->title = {pos, element.content_end};
  citation->title_form = TitleForm::kPlain;
  if (text[pos] == '_') {
    size_t close = text.find('_', pos + 1);
    if (close != absl::string_view::npos && close < element.content_end) {
      citation->title = {pos + 1, close};
      citation->title_form = TitleForm::kItalic;
    }
  }
  return element.next_begin;
}

// The last page range (or page) of [begin, end) written after ", " or "pp. ": the pages of a
// chapter ("(2nd ed., pp. 15–38)", ", edited by Rachel Doe, 15–38").
void FindChapterPages(CitationAnatomy* citation, size_t begin, size_t end) {
  absl::string_view text = citation->text;
  for (size_t i = end; i > begin; --i) {
    size_t at = i - 1;
    bool labelled = StartsAt(text, at, "pp. ") || StartsAt(text, at, "p. ");
    bool after_comma = at >= begin + 2 && text[at - 1] == ' ' && text[at - 2] == ',';
    size_t number_at = labelled ? at + (text[at + 1] == 'p' ? 4 : 3) : at;
    if (!labelled && !(after_comma && absl::ascii_isdigit(text[at]))) continue;
    NumberToken token;
    if (!ParseNumberToken(text, number_at, end, &token)) continue;
    if (!labelled && !token.is_range) continue;
    size_t token_end = token.end;
    if (token_end < end && text[token_end] != ')' && text[token_end] != ',' &&
        text[token_end] != ' ') {
      continue;
    }
    citation->pages = token.number;
    citation->pages_group = {at, token.end};
    if (labelled) citation->pages_label = {at, number_at};
    size_t separator = at;
    while (separator > begin && (text[separator - 1] == ' ' || text[separator - 1] == ',' ||
                                 text[separator - 1] == '(')) {
      --separator;
    }
    citation->pages_separator = {separator, at};
    return;
  }
}

size_t ParseContainer(CitationAnatomy* citation, size_t pos, size_t body_end) {
  absl::string_view text = citation->text;
  ElementEnd element = NextElementEnd(text, pos, body_end, /*in_authors=*/false);
  if (element.content_end <= pos) return element.next_begin;
  // "A Book That Asks? Its Subtitle, edited by …": a container whose name holds a question
  // goes on with the details MLA writes after a name.
  if (EndsWithQuestionOrExclamationAt(text, element.content_end) && element.next_begin < body_end) {
    ElementEnd rest = NextElementEnd(text, element.next_begin, body_end, /*in_authors=*/false);
    absl::string_view continuation =
        text.substr(element.next_begin, rest.content_end - element.next_begin);
    for (absl::string_view detail : {", edited by ", ", vol. ", ", pp. ", ", no. "}) {
      if (absl::StrContains(continuation, detail)) {
        element = rest;
        break;
      }
    }
  }
  citation->container = {pos, element.content_end};
  if (StartsAt(text, pos, "In ")) {
    citation->container_starts_with_in = true;
    size_t open = text.find('_', pos);
    size_t close = open == absl::string_view::npos ? open : text.find('_', open + 1);
    if (close != absl::string_view::npos && close < element.content_end) {
      citation->container_name = {open, close + 1};
      citation->container_name_italic = true;
    }
    citation->container_details_understood = false;
    FindChapterPages(citation, pos, element.content_end);
    return element.next_begin;
  }
  size_t name_end = FindContainerNameEnd(text, pos, element.content_end);
  size_t name_trimmed = TrimSpacesBefore(text, pos, name_end);
  while (name_trimmed > pos + 1 && text[name_trimmed - 1] == ',') --name_trimmed;
  citation->container_name = {pos, name_trimmed};
  absl::string_view name = citation->Of(citation->container_name);
  citation->container_name_italic = name.size() >= 2 && name.front() == '_' && name.back() == '_';
  citation->container_details = {name_end, element.content_end};
  ParseContainerDetails(citation, name_end, element.content_end);
  return element.next_begin;
}

// The edition ("(3rd ed.)", "3rd ed.", "Rev. ed.") and a bracketed description after the
// title.
void FindEditionAndDescription(CitationAnatomy* citation, size_t body_end) {
  absl::string_view text = citation->text;
  if (!citation->title_element.present()) return;
  size_t from = citation->title_element.begin;
  size_t open = text.find('[', from);
  if (open != absl::string_view::npos && open < body_end && !StartsAt(text, open, "[MISSING")) {
    size_t close = text.find(']', open);
    if (close != absl::string_view::npos && close < body_end)
      citation->description = {open, close + 1};
  }
  for (size_t at = text.find(" ed.", from); at != absl::string_view::npos && at < body_end;
       at = text.find(" ed.", at + 1)) {
    if (citation->container_starts_with_in && citation->container.Contains({at, at + 4})) continue;
    size_t begin = at;
    while (begin > from && text[begin - 1] != ' ' && text[begin - 1] != '(') --begin;
    absl::string_view word = text.substr(begin, at - begin);
    bool ordinal = word.size() >= 3 && absl::ascii_isdigit(word[0]) &&
                   (absl::EndsWith(word, "st") || absl::EndsWith(word, "nd") ||
                    absl::EndsWith(word, "rd") || absl::EndsWith(word, "th"));
    if (!ordinal && word != "Rev." && word != "Revised") continue;
    size_t end = at + 4;
    if (begin > 0 && text[begin - 1] == '(' && end < text.size() && text[end] == ')') {
      --begin;
      ++end;
    }
    citation->edition = {begin, end};
    return;
  }
}

// "New York: Routledge", "Thousand Oaks, CA: Sage": a place (capitalised words without digits,
// at most one comma) before ": ".
bool SplitPlaceAndPublisher(absl::string_view element, size_t* colon) {
  size_t at = element.find(": ");
  if (at == absl::string_view::npos || at == 0 || at > 40 || at + 2 >= element.size()) {
    return false;
  }
  absl::string_view place = element.substr(0, at);
  if (!absl::ascii_isupper(place[0]) || !absl::ascii_isupper(element[at + 2])) return false;
  int commas = 0;
  for (char c : place) {
    if (absl::ascii_isdigit(c) || c == '_' || c == '"' || c == '(') return false;
    if (c == ',') ++commas;
  }
  if (commas > 1) return false;
  for (absl::string_view word : {"Accessed", "Retrieved", "Available"}) {
    if (absl::StartsWith(place, word)) return false;
  }
  *colon = at;
  return true;
}

// The publisher's element: the one written "Place: Publisher", else the first element after
// the title (after an "In …" container) that is not an edition, a description, a date, a
// report number or a note of access.
void FindPublisher(CitationAnatomy* citation) {
  for (const TextSpan& element : citation->elements) {
    size_t colon = 0;
    if (citation->container_starts_with_in && element.begin == citation->container.begin) continue;
    if (SplitPlaceAndPublisher(citation->Of(element), &colon)) {
      citation->place = {element.begin, element.begin + colon};
      citation->publisher = {element.begin + colon + 2, element.end};
      citation->publisher_element = element;
      return;
    }
  }
  for (const TextSpan& element : citation->elements) {
    absl::string_view piece = citation->Of(element);
    if (citation->container_starts_with_in && element.begin == citation->container.begin) continue;
    if (citation->container_name_italic && element.begin == citation->container.begin) continue;
    if (citation->edition.present() && element.Contains(citation->edition)) continue;
    if (piece.empty() || piece.front() == '[' || absl::ascii_isdigit(piece.front()) ||
        LooksLikeReportNumber(piece) || absl::StartsWith(piece, "Accessed") ||
        absl::StartsWith(piece, "Retrieved") || IsMonthAt(piece, 0, piece.size()) ||
        ContainsIgnoringCase(piece, "dissertation") || ContainsIgnoringCase(piece, "thesis")) {
      continue;
    }
    citation->publisher = element;
    citation->publisher_element = element;
    return;
  }
}

// A reference without authors whose title is not set off: the first element has no comma and
// reads as a title, not a name or an organisation (it ends with ? or !, opens with an article,
// or holds a lower-case word that is neither a joining word of an organisation's name nor a
// particle of a surname): "Food Insecurity among Teachers in Mexico City. _Mayo Clinic_, …".
bool StartsWithPlainTitle(absl::string_view text, size_t body_end) {
  ElementEnd first = NextElementEnd(text, 0, body_end, /*in_authors=*/true);
  absl::string_view element = text.substr(0, first.content_end);
  if (element.empty() || element.find(',') != absl::string_view::npos ||
      element.find('(') != absl::string_view::npos) {
    return false;
  }
  if (element.back() == '?' || element.back() == '!') return true;
  if (absl::StartsWith(element, "A ") || absl::StartsWith(element, "An ")) return true;
  static constexpr absl::string_view kJoiningWords[] = {"of",  "on", "for", "the",
                                                        "and", "in", "to"};
  size_t start = 0;
  while (start < element.size()) {
    size_t end = element.find(' ', start);
    if (end == absl::string_view::npos) end = element.size();
    absl::string_view word = element.substr(start, end - start);
    if (!word.empty() && absl::ascii_islower(word[0])) {
      bool name_word = IsNameParticle(word);
      for (absl::string_view joining : kJoiningWords) name_word = name_word || word == joining;
      if (!name_word) return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

bool IsAbbreviationPeriod(absl::string_view text, size_t pos) {
  if (pos == 0 || pos >= text.size()) return false;
  size_t start = pos;
  while (start > 0 && absl::ascii_isalpha(text[start - 1])) --start;
  if (start == pos) {
    // One non-ASCII letter standing alone, e.g. the initial in "Élise" → "É.".
    size_t lead = pos;
    while (lead > 0 && (static_cast<unsigned char>(text[lead - 1]) & 0xC0) == 0x80) --lead;
    if (lead == pos || lead == 0 || static_cast<unsigned char>(text[lead - 1]) < 0xC0) {
      return false;
    }
    --lead;
    return lead == 0 || text[lead - 1] == ' ' || text[lead - 1] == '-' || text[lead - 1] == '.';
  }
  if (start > 0 && IsLetterByte(text[start - 1])) return false;
  absl::string_view word = text.substr(start, pos - start);
  if (word.size() == 1) return true;  // An initial, "p.", the "d" of "n.d.".
  static constexpr absl::string_view kAbbreviations[] = {
      "vol",   "Vol",  "no",   "No",  "nos",  "pp",  "ed",   "eds",  "Ed",    "Eds",   "trans",
      "Trans", "rev",  "Rev",  "al",  "Inc",  "Ltd", "Co",   "Corp", "St",    "Jr",    "Sr",
      "Dr",    "Mr",   "Mrs",  "Ms",  "Prof", "vs",  "Univ", "Dept", "Ser",   "Suppl", "Supp",
      "Pt",    "pt",   "ch",   "Ch",  "chap", "Jan", "Feb",  "Mar",  "Apr",   "Jun",   "Jul",
      "Aug",   "Sep",  "Sept", "Oct", "Nov",  "Dec", "comp", "repr", "fig",   "Fig",   "cf",
      "ca",    "para", "sec",  "Sec", "esp",  "dir", "Dir",  "perf", "illus", "Mass",  "Calif"};
  for (absl::string_view abbreviation : kAbbreviations) {
    if (word == abbreviation) return true;
  }
  return false;
}

size_t YearLengthAt(absl::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  static constexpr absl::string_view kWordYears[] = {"[MISSING: year]", "n.d.", "in press"};
  for (absl::string_view year : kWordYears) {
    if (StartsAt(text, pos, year)) return year.size();
  }
  if (pos + 4 > text.size() || (text[pos] != '1' && text[pos] != '2')) return 0;
  for (size_t i = pos; i < pos + 4; ++i) {
    if (!absl::ascii_isdigit(text[i])) return 0;
  }
  size_t end = pos + 4;
  if (end < text.size() && absl::ascii_islower(text[end]) &&
      (end + 1 == text.size() || !absl::ascii_isalnum(text[end + 1]))) {
    ++end;
  }
  if (end < text.size() && absl::ascii_isalnum(text[end])) return 0;
  return end - pos;
}

CitationAnatomy ParseCitationAnatomy(absl::string_view citation_text) {
  CitationAnatomy citation;
  citation.text = std::string(citation_text);
  absl::string_view text = citation.text;

  FindLink(&citation);
  size_t body_end = citation.link.present() ? citation.link.begin : text.size();
  body_end = TrimSpacesBefore(text, 0, body_end);
  constexpr absl::string_view kRetrievedFrom = "retrieved from";
  if (body_end >= kRetrievedFrom.size() &&
      absl::EndsWithIgnoreCase(text.substr(0, body_end), kRetrievedFrom)) {
    body_end = TrimSpacesBefore(text, 0, body_end - kRetrievedFrom.size());
  }

  if (citation.link.present() && body_end < citation.link.begin) {
    size_t gap = SkipSpaces(text, body_end, citation.link.begin);
    if (absl::StartsWithIgnoreCase(text.substr(gap), kRetrievedFrom)) {
      citation.retrieved_from = {gap, citation.link.begin};
    }
  }

  size_t pos = 0;
  bool starts_with_title = OpeningQuoteWidth(text, 0) > 0 || StartsAt(text, 0, "_") ||
                           StartsWithPlainTitle(text, body_end);
  if (!starts_with_title && body_end > 0) pos = ParseAuthorsAndYear(&citation, body_end);
  if (pos < body_end) pos = ParseTitle(&citation, pos, body_end);
  if (starts_with_title && pos < body_end)
    pos = ParseYearAfterLeadingTitle(&citation, pos, body_end);
  if (pos < body_end) {
    pos = ParseContainer(&citation, pos, body_end);
    citation.elements.push_back(citation.container);
  }
  while (pos < body_end) {
    ElementEnd element = NextElementEnd(text, pos, body_end, /*in_authors=*/false);
    if (element.content_end > pos) citation.elements.push_back({pos, element.content_end});
    if (element.next_begin <= pos) break;
    pos = element.next_begin;
  }
  FindEditionAndDescription(&citation, body_end);
  FindPublisher(&citation);
  citation.source_type = ClassifySource(citation);
  return citation;
}

}  // namespace citecheck

#include "server/checking/cited_work.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/unicode_text.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

constexpr size_t kNone = absl::string_view::npos;

// ---- characters and words ---------------------------------------------------------------------

uint32_t CodePointAt(absl::string_view text, size_t pos, size_t* width) {
  return DecodeUtf8At(text, pos, width);
}

bool IsApostrophe(uint32_t c) { return c == '\'' || c == 0x2019 || c == 0x02BC; }
bool IsHyphen(uint32_t c) { return c == '-' || c == 0x2010 || c == 0x2011; }
bool IsRangeDash(uint32_t c) { return c == '-' || (c >= 0x2010 && c <= 0x2014); }
bool IsOpeningQuote(uint32_t c) { return c == '"' || c == 0x201C; }
bool IsClosingQuote(uint32_t c) { return c == '"' || c == 0x201D; }

bool LetterAt(absl::string_view text, size_t pos, size_t end) {
  if (pos >= end) return false;
  size_t width = 0;
  return IsLetter(CodePointAt(text, pos, &width));
}

// Skips whitespace in [pos, end).
size_t SkipSpaces(absl::string_view text, size_t pos, size_t end) {
  while (pos < end) {
    size_t width = 0;
    if (!IsSpace(CodePointAt(text, pos, &width))) break;
    pos += width;
  }
  return pos;
}

// The end of the word starting at `pos`: letters, with apostrophes and hyphens between letters
// ("O'Brien", "Smith-Jones"). `pos` itself when no letter starts there.
size_t WordEnd(absl::string_view text, size_t pos, size_t end) {
  size_t i = pos;
  while (i < end) {
    size_t width = 0;
    const uint32_t c = CodePointAt(text, i, &width);
    if (IsLetter(c)) {
      i += width;
    } else if (i > pos && (IsApostrophe(c) || IsHyphen(c)) && LetterAt(text, i + width, end)) {
      i += width;
    } else {
      break;
    }
  }
  return i;
}

// The start of the word ending at `end` (the inverse of WordEnd); `end` when none.
size_t WordStartBefore(absl::string_view text, size_t end, size_t begin) {
  size_t i = end;
  while (i > begin) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8Before(text, i, &width);
    if (IsLetter(c)) {
      i -= width;
    } else if (i < end && (IsApostrophe(c) || IsHyphen(c)) && i - width > begin) {
      size_t before_width = 0;
      if (!IsLetter(DecodeUtf8Before(text, i - width, &before_width))) break;
      i -= width;
    } else {
      break;
    }
  }
  return i;
}

bool InList(absl::string_view word, std::initializer_list<absl::string_view> list) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// Lower-case words inside names: "van der Berg", "de Souza", "bin Laden".
bool IsParticle(absl::string_view word) {
  return InList(
      word, {"van", "von", "der", "den", "de",  "del", "della", "dei", "di",  "da",  "das", "dos",
             "du",  "la",  "le",  "les", "ten", "ter", "zu",    "zur", "bin", "ibn", "al",  "el"});
}

// Lower-case words inside group names: "Institute of Mental Health".
bool IsGroupConnector(absl::string_view word) {
  return InList(word, {"of", "for", "the", "on", "in", "at"});
}

// Capitalised words that label parts of a text; they never start a name ("(Table 2)").
bool IsLabelWord(absl::string_view word) {
  return InList(
      word, {"Table",      "Tables",      "Figure",    "Figures",     "Fig",          "Figs",
             "Chapter",    "Chapters",    "Chap",      "Section",     "Sections",     "Sec",
             "Appendix",   "Appendices",  "Part",      "Parts",       "Study",        "Studies",
             "Experiment", "Experiments", "Exp",       "Phase",       "Phases",       "Wave",
             "Waves",      "Model",       "Models",    "Step",        "Steps",        "Stage",
             "Stages",     "Level",       "Levels",    "Grade",       "Grades",       "Year",
             "Years",      "Day",         "Days",      "Week",        "Weeks",        "Month",
             "Months",     "Session",     "Sessions",  "Trial",       "Trials",       "Item",
             "Items",      "Question",    "Questions", "Task",        "Tasks",        "Condition",
             "Conditions", "Group",       "Groups",    "Sample",      "Samples",      "Cohort",
             "Hypothesis", "Hypotheses",  "Equation",  "Equations",   "Eq",           "Eqs",
             "Volume",     "Vol",         "No",        "Number",      "Page",         "Pages",
             "Line",       "Lines",       "Verse",     "Act",         "Scene",        "Book",
             "Canto",      "Article",     "Articles",  "Rule",        "Unit",         "Lesson",
             "Round",      "Block",       "Site",      "Participant", "Participants", "Patient",
             "Patients",   "Case",        "Cases",     "Box",         "Panel",        "Note",
             "Notes",      "Footnote",    "Exhibit",   "Map",         "Plate",        "Chart",
             "Slide",      "Version",     "Type",      "Category",    "Module",       "Topic",
             "Supplement", "Row",         "Column",    "Paragraph",   "Example",      "Examples",
             "Exercise",   "Theorem",     "Lemma",     "Definition",  "Proposition",  "Corollary",
             "Algorithm",  "Listing",     "See",       "Cf",          "Ibid",         "Eds",
             "Ed",         "Trans",       "Ch",        "Para"});
}

// Capitalised function words and sentence openers: before a narrative citation they start the
// sentence, not the name ("As Smith (2020) notes", "In June (2020)").
bool IsSentenceWord(absl::string_view word) {
  return InList(word, {"A",
                       "An",
                       "The",
                       "In",
                       "On",
                       "At",
                       "As",
                       "By",
                       "For",
                       "From",
                       "To",
                       "Of",
                       "With",
                       "Without",
                       "Within",
                       "And",
                       "But",
                       "Or",
                       "Nor",
                       "So",
                       "Yet",
                       "If",
                       "When",
                       "While",
                       "Whereas",
                       "Although",
                       "Though",
                       "Because",
                       "Since",
                       "After",
                       "Before",
                       "During",
                       "Unlike",
                       "Like",
                       "Following",
                       "According",
                       "Thus",
                       "Hence",
                       "However",
                       "Moreover",
                       "Furthermore",
                       "Also",
                       "Here",
                       "There",
                       "This",
                       "That",
                       "These",
                       "Those",
                       "Its",
                       "Their",
                       "His",
                       "Her",
                       "Our",
                       "My",
                       "Your",
                       "We",
                       "They",
                       "He",
                       "She",
                       "It",
                       "I",
                       "Both",
                       "Each",
                       "Every",
                       "Many",
                       "Most",
                       "Some",
                       "Several",
                       "Such",
                       "Other",
                       "Another",
                       "Only",
                       "Even",
                       "Indeed",
                       "Still",
                       "Then",
                       "Now",
                       "Recently",
                       "Similarly",
                       "Likewise",
                       "Conversely",
                       "Instead",
                       "Notably",
                       "Finally",
                       "First",
                       "Second",
                       "Third",
                       "Later",
                       "Earlier",
                       "Already",
                       "Meanwhile",
                       "Nevertheless",
                       "Nonetheless",
                       "Therefore",
                       "Consequently",
                       "Accordingly",
                       "Overall",
                       "Specifically",
                       "Initially",
                       "Originally",
                       "Historically",
                       "Traditionally",
                       "Importantly",
                       "Interestingly",
                       "Surprisingly",
                       "Crucially",
                       "Elsewhere",
                       "Not",
                       "Where",
                       "What",
                       "Which",
                       "Who",
                       "Whom",
                       "Whose",
                       "Why",
                       "How",
                       "Whether",
                       "Until",
                       "Upon",
                       "Over",
                       "Under",
                       "Between",
                       "Among",
                       "Through",
                       "Across",
                       "Against",
                       "Toward",
                       "Towards",
                       "Beyond",
                       "Despite",
                       "Via",
                       "Per",
                       "Once",
                       "Along",
                       "Building",
                       "Drawing",
                       "Using",
                       "Citing",
                       "Work",
                       "Research",
                       "Evidence",
                       "Data",
                       "Findings",
                       "Results",
                       "January",
                       "February",
                       "March",
                       "April",
                       "June",
                       "July",
                       "August",
                       "September",
                       "October",
                       "November",
                       "December",
                       "Monday",
                       "Tuesday",
                       "Wednesday",
                       "Thursday",
                       "Friday",
                       "Saturday",
                       "Sunday"});
}

// True when `word` starts with a capital, or is a lower-case particle joined to a capitalised
// rest ("d'Alembert", "al-Farabi").
bool IsCapitalizedWord(absl::string_view word) {
  size_t width = 0;
  if (IsUppercaseLetter(CodePointAt(word, 0, &width))) return true;
  for (size_t i = 0; i < word.size() && i <= 3;) {
    const uint32_t c = CodePointAt(word, i, &width);
    if (IsApostrophe(c) || IsHyphen(c)) {
      return i + width < word.size() && IsUppercaseLetter(CodePointAt(word, i + width, &width));
    }
    i += width;
  }
  return false;
}

// ---- names and author lists -------------------------------------------------------------------

struct NameParse {
  ByteSpan name;             // the name itself
  std::string abbreviation;  // "[WHO]" → "WHO"
  size_t end = 0;            // after the abbreviation, if any
};

// A name starting at `pos` (see the header): words joined by single runs of whitespace, starting
// with a capitalised word or a particle and ending with a capitalised word. `narrative`: the
// name must not start with a sentence word.
std::optional<NameParse> ParseName(absl::string_view text, size_t pos, size_t end, bool narrative) {
  size_t word_end = WordEnd(text, pos, end);
  if (word_end == pos) return std::nullopt;
  absl::string_view first = text.substr(pos, word_end - pos);
  size_t last_capitalized_end = kNone;
  if (IsCapitalizedWord(first)) {
    if (IsLabelWord(first) || (narrative && IsSentenceWord(first))) return std::nullopt;
    last_capitalized_end = word_end;
  } else if (!IsParticle(first)) {
    return std::nullopt;
  }
  size_t i = word_end;
  for (int words = 1; words < 10; ++words) {
    const size_t next = SkipSpaces(text, i, end);
    if (next == i) break;
    const size_t next_end = WordEnd(text, next, end);
    if (next_end == next) break;
    absl::string_view word = text.substr(next, next_end - next);
    if (IsCapitalizedWord(word)) {
      last_capitalized_end = next_end;
    } else if (!IsParticle(word) && !IsGroupConnector(word)) {
      break;
    }
    i = next_end;
  }
  if (last_capitalized_end == kNone) return std::nullopt;
  NameParse parse;
  parse.name = {pos, last_capitalized_end};
  parse.end = last_capitalized_end;
  // "World Health Organization [WHO]"
  const size_t bracket = SkipSpaces(text, last_capitalized_end, end);
  if (bracket < end && text[bracket] == '[') {
    const size_t close = text.substr(0, end).find(']', bracket);
    if (close != kNone && close - bracket > 1 && close - bracket <= 21) {
      absl::string_view inside = text.substr(bracket + 1, close - bracket - 1);
      if (std::all_of(inside.begin(), inside.end(), [](char c) {
            return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-';
          })) {
        parse.abbreviation = std::string(inside);
        parse.end = close + 1;
      }
    }
  }
  return parse;
}

struct AuthorsParse {
  std::vector<ByteSpan> names;
  std::string abbreviation;
  bool et_al = false;
  std::string connector;
  size_t end = 0;
};

// "et al." (or "et al" before a non-letter) after whitespace at `pos`; its end or kNone.
size_t EtAlEnd(absl::string_view text, size_t pos, size_t end) {
  const size_t start = SkipSpaces(text, pos, end);
  if (start == pos) return kNone;
  absl::string_view rest = text.substr(start, end - start);
  if (absl::StartsWith(rest, "et al.")) return start + 6;
  if (absl::StartsWith(rest, "et al") && !LetterAt(text, start + 5, end)) return start + 5;
  return kNone;
}

// An author list starting at `pos`: names joined by commas and a final "&"/"and", or ending in
// "et al.". Names joined by commas alone are no list: the first name is the list then.
std::optional<AuthorsParse> ParseAuthorList(absl::string_view text, size_t pos, size_t end,
                                            bool narrative) {
  std::optional<NameParse> first = ParseName(text, pos, end, narrative);
  if (!first) return std::nullopt;
  AuthorsParse parse;
  parse.names.push_back(first->name);
  parse.abbreviation = first->abbreviation;
  size_t i = first->end;
  bool comma_list = false;
  while (true) {
    const bool comma = i < end && text[i] == ',';
    const size_t after_comma = comma ? i + 1 : i;
    if (size_t et_al_end = EtAlEnd(text, after_comma, end); et_al_end != kNone) {
      parse.et_al = true;
      i = et_al_end;
      break;
    }
    const size_t next = SkipSpaces(text, after_comma, end);
    if (next == after_comma) break;  // names are separated by whitespace
    absl::string_view connector;
    for (absl::string_view candidate : {"&", "and"}) {
      const size_t after = next + candidate.size();
      if (absl::StartsWith(text.substr(next, end - next), candidate) &&
          SkipSpaces(text, after, end) > after) {
        connector = candidate;
      }
    }
    if (!connector.empty()) {
      const size_t name_start = SkipSpaces(text, next + connector.size(), end);
      std::optional<NameParse> name = ParseName(text, name_start, end, /*narrative=*/false);
      if (!name) break;
      parse.names.push_back(name->name);
      if (!name->abbreviation.empty()) parse.abbreviation = name->abbreviation;
      parse.connector = std::string(connector);
      i = name->end;
      break;
    }
    if (!comma) break;
    std::optional<NameParse> name = ParseName(text, next, end, /*narrative=*/false);
    if (!name) break;
    parse.names.push_back(name->name);
    comma_list = true;
    i = name->end;
  }
  if (comma_list && parse.connector.empty() && !parse.et_al) {
    // "Cather, My Ántonia": no list after all; what follows the first name is something else.
    parse.names.resize(1);
    i = first->end;
  }
  parse.end = i;
  return parse;
}

void FillNames(absl::string_view text, const AuthorsParse& authors, CitedWork* work) {
  work->names.clear();
  for (const ByteSpan& name : authors.names) {
    work->names.emplace_back(text.substr(name.begin, name.end - name.begin));
  }
  work->abbreviation = authors.abbreviation;
  work->et_al = authors.et_al;
  work->connector = authors.connector;
}

// ---- years, titles, locators, prefixes --------------------------------------------------------

// The length of an in-text year at `pos`: "2020", "2020a", "n.d.", "in press", the last two
// with an optional "-a" suffix; 0 when none.
size_t InTextYearLength(absl::string_view text, size_t pos, size_t end) {
  absl::string_view bounded = text.substr(0, end);
  if (absl::StartsWith(bounded.substr(pos), "[")) return 0;  // "[MISSING: year]" is no year
  size_t length = YearLengthAt(bounded, pos);
  if (length == 0) return 0;
  const size_t after = pos + length;
  if (!absl::ascii_isdigit(static_cast<unsigned char>(text[pos])) && after + 2 <= end &&
      text[after] == '-' && absl::ascii_islower(static_cast<unsigned char>(text[after + 1])) &&
      (after + 2 == end || !absl::ascii_isalnum(static_cast<unsigned char>(text[after + 2])))) {
    length += 2;  // "n.d.-a"
  }
  return length;
}

// A quoted title at `pos`: its inner text (a comma or period ending it inside the quotes
// dropped) and the end after the closing quote.
struct QuotedTitle {
  std::string title;
  size_t end = 0;
};

std::optional<QuotedTitle> ParseQuotedTitle(absl::string_view text, size_t pos, size_t end) {
  if (pos >= end) return std::nullopt;
  size_t width = 0;
  if (!IsOpeningQuote(CodePointAt(text, pos, &width))) return std::nullopt;
  const size_t inner = pos + width;
  for (size_t i = inner; i < end;) {
    size_t w = 0;
    const uint32_t c = CodePointAt(text, i, &w);
    if (IsClosingQuote(c) && i > inner) {
      absl::string_view title = absl::StripAsciiWhitespace(text.substr(inner, i - inner));
      while (!title.empty() && (title.back() == ',' || title.back() == '.')) {
        title = absl::StripTrailingAsciiWhitespace(title.substr(0, title.size() - 1));
      }
      if (title.empty()) return std::nullopt;
      return QuotedTitle{std::string(title), i + w};
    }
    i += w;
  }
  return std::nullopt;
}

// A title written with italic markers ("_My Ántonia_", "*My Ántonia*") without them, trimmed.
std::string UnmarkedTitle(absl::string_view title) {
  std::string plain;
  for (char c : title) {
    if (c != '_' && c != '*') plain.push_back(c);
  }
  return std::string(absl::StripAsciiWhitespace(plain));
}

// Words that may open a parenthetical citation, longest first.
constexpr absl::string_view kPrefixes[] = {"for a review, see ",
                                           "see, for example, ",
                                           "for a review see ",
                                           "as reviewed in ",
                                           "as reviewed by ",
                                           "for example, ",
                                           "as cited in ",
                                           "reviewed in ",
                                           "for example ",
                                           "see, e.g., ",
                                           "see e.g., ",
                                           "including ",
                                           "quoted in ",
                                           "cited in ",
                                           "see also ",
                                           "but see ",
                                           "compare ",
                                           "such as ",
                                           "qtd. in ",
                                           "e.g., ",
                                           "i.e., ",
                                           "e.g. ",
                                           "also ",
                                           "cf. ",
                                           "see "};

size_t PrefixLength(absl::string_view segment) {
  for (absl::string_view prefix : kPrefixes) {
    if (absl::StartsWithIgnoreCase(segment, prefix)) return prefix.size();
  }
  return 0;
}

// An MLA locator filling [pos, end): an optional label ("p.", "pp.", "par.", "ch.", "l.",
// "line", ...) and page-like items ("45", "45–46", "xii", "1.2.34") separated by commas.
bool IsMlaLocator(absl::string_view text, size_t pos, size_t end) {
  static constexpr absl::string_view kLabels[] = {"pp. ",   "p. ",    "paras. ", "para. ", "pars. ",
                                                  "par. ",  "chs. ",  "ch. ",    "secs. ", "sec. ",
                                                  "lines ", "line ",  "ll. ",    "l. ",    "cols. ",
                                                  "col. ",  "fols. ", "fol. ",   "vol. ",  "bk. "};
  for (absl::string_view label : kLabels) {
    if (absl::StartsWith(text.substr(pos, end - pos), label)) {
      pos += label.size();
      break;
    }
  }
  bool any = false;
  while (pos < end) {
    // One number: digits (with dots between groups, as in verse "1.2.34") or a roman numeral.
    const size_t start = pos;
    if (absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      while (pos < end && (absl::ascii_isdigit(static_cast<unsigned char>(text[pos])) ||
                           (text[pos] == '.' && pos + 1 < end &&
                            absl::ascii_isdigit(static_cast<unsigned char>(text[pos + 1]))))) {
        ++pos;
      }
    } else {
      while (pos < end && absl::StrContains("ivxlcdm", text[pos])) ++pos;
    }
    if (pos == start) return false;
    any = true;
    if (pos == end) break;
    size_t width = 0;
    const size_t after_spaces = SkipSpaces(text, pos, end);
    if (after_spaces < end && IsRangeDash(CodePointAt(text, after_spaces, &width))) {
      pos = SkipSpaces(text, after_spaces + width, end);
      continue;
    }
    if (text[pos] == ',') {
      pos = SkipSpaces(text, pos + 1, end);
      continue;
    }
    return false;
  }
  return any;
}

// Years (at least one, separated by commas) at `pos`, then nothing or ", locator", filling
// [pos, end) of `segment`.
bool ParseYearsAndLocator(absl::string_view segment, size_t pos, SegmentParse* parse) {
  const size_t end = segment.size();
  size_t length = InTextYearLength(segment, pos, end);
  if (length == 0) return false;
  parse->years.push_back({pos, pos + length});
  size_t i = pos + length;
  while (i < end && segment[i] == ',') {
    const size_t next = SkipSpaces(segment, i + 1, end);
    length = InTextYearLength(segment, next, end);
    if (length == 0) break;
    parse->years.push_back({next, next + length});
    i = next + length;
  }
  CitedWork& work = parse->work;
  work.year = std::string(segment.substr(parse->years[0].begin, parse->years[0].size()));
  if (i == end) return true;
  if (segment[i] != ',') return false;
  const size_t locator = SkipSpaces(segment, i + 1, end);
  if (locator == end) return false;
  // A locator is no other work: "(Smith, 2020, Lee, 2019)" is a malformed group.
  if (std::optional<AuthorsParse> authors = ParseAuthorList(segment, locator, end, false);
      authors && authors->end < end) {
    const size_t year =
        SkipSpaces(segment, authors->end + (segment[authors->end] == ',' ? 1 : 0), end);
    if (InTextYearLength(segment, year, end) > 0) return false;
  }
  parse->locator = ByteSpan{locator, end};
  work.locator = std::string(segment.substr(locator));
  return true;
}

// Reads what opens every segment — a prefix, then a quoted title or an author list — into
// `parse` and returns where it ends; nullopt when neither is there.
std::optional<size_t> ReadSegmentOpening(absl::string_view segment, SegmentParse* parse) {
  const size_t end = segment.size();
  parse->work.form = CitedWork::Form::kGroupMember;
  const size_t begin = PrefixLength(segment);
  parse->work.prefix = std::string(segment.substr(0, begin));
  parse->authors.begin = begin;
  if (std::optional<QuotedTitle> title = ParseQuotedTitle(segment, begin, end); title) {
    parse->work.title = title->title;
    parse->authors.end = title->end;
    return title->end;
  }
  std::optional<AuthorsParse> authors = ParseAuthorList(segment, begin, end, false);
  if (!authors) return std::nullopt;
  FillNames(segment, *authors, &parse->work);
  parse->authors.end = authors->end;
  return authors->end;
}

std::optional<SegmentParse> ParseAuthorDateSegment(absl::string_view segment) {
  const size_t end = segment.size();
  SegmentParse parse;
  std::optional<size_t> opening = ReadSegmentOpening(segment, &parse);
  if (!opening) return std::nullopt;
  const size_t i = *opening;
  const size_t after_comma = i < end && segment[i] == ',' ? i + 1 : i;
  const size_t year = SkipSpaces(segment, after_comma, end);
  if (year == after_comma && after_comma == i) return std::nullopt;  // "Smith2020"
  if (!ParseYearsAndLocator(segment, year, &parse)) return std::nullopt;
  return parse;
}

std::optional<SegmentParse> ParseMlaSegment(absl::string_view segment) {
  const size_t end = segment.size();
  SegmentParse parse;
  std::optional<size_t> opening = ReadSegmentOpening(segment, &parse);
  if (!opening) return std::nullopt;
  size_t i = *opening;
  if (parse.work.title.empty() && i < end && segment[i] == ',') {
    const size_t title_start = SkipSpaces(segment, i + 1, end);
    if (std::optional<QuotedTitle> title = ParseQuotedTitle(segment, title_start, end); title) {
      parse.work.title = title->title;
      i = title->end;
    } else if (!IsMlaLocator(segment, title_start, end)) {
      // An italic short title, its markers lost or written _x_: the words up to the locator.
      size_t title_end = end;
      for (size_t p = title_start + 1; p < end; ++p) {
        if (segment[p - 1] == ' ' && IsMlaLocator(segment, p, end)) {
          title_end = p;
          break;
        }
      }
      std::string title = UnmarkedTitle(segment.substr(title_start, title_end - title_start));
      size_t width = 0;
      if (title.empty() || !(IsUppercaseLetter(CodePointAt(title, 0, &width)) ||
                             absl::ascii_isdigit(static_cast<unsigned char>(title[0])))) {
        return std::nullopt;
      }
      parse.work.title = std::move(title);
      parse.work.title_italic = true;
      i = title_end == end ? end : title_end - 1;
    }
  }
  parse.authors.end = i;  // an MLA short title belongs to the authors' span
  if (i < end) {
    const size_t after_comma = segment[i] == ',' ? i + 1 : i;
    const size_t locator = SkipSpaces(segment, after_comma, end);
    if (locator == after_comma || !IsMlaLocator(segment, locator, end)) return std::nullopt;
    parse.locator = ByteSpan{locator, end};
    parse.work.locator = std::string(segment.substr(locator));
  }
  const CitedWork& work = parse.work;
  if (!parse.locator && work.title.empty() && work.names.size() < 2 && !work.et_al) {
    return std::nullopt;  // "(Smith)" alone reads like "(WHO)" or "(Python)"
  }
  return parse;
}

// The "(" matching the ")" at text[close], or kNone.
size_t OpeningParenOf(absl::string_view text, size_t close) {
  int depth = 0;
  for (size_t i = close + 1; i-- > 0;) {
    if (text[i] == ')') ++depth;
    if (text[i] == '(' && --depth == 0) return i;
  }
  return kNone;
}

absl::string_view Trim(absl::string_view text) {
  size_t begin = SkipSpaces(text, 0, text.size());
  size_t end = text.size();
  while (end > begin) {
    size_t width = 0;
    if (!IsSpace(DecodeUtf8Before(text, end, &width))) break;
    end -= width;
  }
  return text.substr(begin, end - begin);
}

std::string JoinNames(const CitedWork& work, v1::Style style) {
  const std::vector<std::string>& names = work.names;
  if (names.empty()) return "";
  if (work.et_al) return absl::StrCat(names[0], " et al.");
  if (names.size() == 1) {
    return work.abbreviation.empty() ? names[0]
                                     : absl::StrCat(names[0], " [", work.abbreviation, "]");
  }
  const bool ampersand = style != v1::STYLE_MLA9 && style != v1::STYLE_CHICAGO17 &&
                         work.form != CitedWork::Form::kNarrative;
  if (names.size() == 2) {
    return absl::StrCat(names[0], ampersand ? " & " : " and ", names[1]);
  }
  std::string joined = absl::StrJoin(names.begin(), names.end() - 1, ", ");
  absl::StrAppend(&joined, ampersand ? ", & " : ", and ", names.back());
  return joined;
}

}  // namespace

std::vector<ByteSpan> SplitCitationSegments(absl::string_view content) {
  std::vector<ByteSpan> segments;
  // Parentheses and brackets nest each on their own: a "]" closes no "(" (as OpeningParenOf
  // reads them), so "(2013, (]; x)" is one part.
  int parens = 0;
  int brackets = 0;
  size_t start = 0;
  auto add = [&](size_t end) {
    size_t begin = SkipSpaces(content, start, end);
    while (end > begin) {
      size_t width = 0;
      if (!IsSpace(DecodeUtf8Before(content, end, &width))) break;
      end -= width;
    }
    segments.push_back({begin, end});
  };
  for (size_t i = 0; i < content.size(); ++i) {
    const char c = content[i];
    if (c == '(') ++parens;
    if (c == ')' && parens > 0) --parens;
    if (c == '[') ++brackets;
    if (c == ']' && brackets > 0) --brackets;
    if (c == ';' && parens == 0 && brackets == 0) {
      add(i);
      start = i + 1;
    }
  }
  add(content.size());
  return segments;
}

std::optional<SegmentParse> ParseCitationSegment(absl::string_view segment, v1::Style style) {
  if (segment.empty()) return std::nullopt;
  return style == v1::STYLE_MLA9 ? ParseMlaSegment(segment) : ParseAuthorDateSegment(segment);
}

std::optional<SegmentParse> ParseYearsSegment(absl::string_view segment) {
  SegmentParse parse;
  parse.work.form = CitedWork::Form::kNarrative;
  if (!ParseYearsAndLocator(segment, 0, &parse)) return std::nullopt;
  return parse;
}

std::optional<NarrativeAuthors> FindNarrativeAuthors(absl::string_view text, size_t paren) {
  // Whitespace between the names and "(": any, but not a blank line.
  size_t end = paren;
  int newlines = 0;
  while (end > 0) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8Before(text, end, &width);
    if (!IsSpace(c)) break;
    if (c == '\n' && ++newlines > 1) return std::nullopt;
    end -= width;
  }
  // The possessive: "Smith's (2020)", "Jones' (2020)".
  std::string possessive;
  absl::string_view before = text.substr(0, end);
  for (absl::string_view apostrophe : {"'", "\xE2\x80\x99"}) {
    const std::string with_s = absl::StrCat(apostrophe, "s");
    if (absl::EndsWith(before, with_s)) {
      possessive = with_s;
    } else if (absl::EndsWith(before, apostrophe) && before.size() > apostrophe.size() &&
               before[before.size() - apostrophe.size() - 1] == 's') {
      possessive = std::string(apostrophe);
    }
    if (!possessive.empty()) break;
  }
  end -= possessive.size();
  // Where a name list ending at `end` could start, scanning back over names, particles,
  // connectors, commas and "et al.".
  std::vector<size_t> starts;
  size_t pos = end;
  for (int tokens = 0; tokens < 24 && pos > 0; ++tokens) {
    // Whitespace between tokens, a line break included, but not a blank line.
    int breaks = 0;
    while (pos > 0) {
      size_t width = 0;
      const uint32_t c = DecodeUtf8Before(text, pos, &width);
      if (!IsSpace(c)) break;
      if (c == '\n') ++breaks;
      pos -= width;
    }
    if (pos == 0 || breaks > 1) break;
    if (pos >= 6 && text.substr(pos - 6, 6) == "et al.") {
      pos -= 6;
      continue;
    }
    if (text[pos - 1] == ',' || text[pos - 1] == '&') {
      --pos;
      continue;
    }
    const size_t word_start = WordStartBefore(text, pos, 0);
    if (word_start == pos) break;
    absl::string_view word = text.substr(word_start, pos - word_start);
    const bool capitalized = IsCapitalizedWord(word);
    if (!capitalized && !IsParticle(word) && !IsGroupConnector(word) && word != "and" &&
        word != "al" && word != "et") {
      break;
    }
    if (capitalized || IsParticle(word)) starts.push_back(word_start);
    pos = word_start;
  }
  for (auto it = starts.rbegin(); it != starts.rend(); ++it) {
    std::optional<AuthorsParse> authors = ParseAuthorList(text, *it, end, /*narrative=*/true);
    if (!authors || authors->end != end) continue;
    NarrativeAuthors found;
    found.work.form = CitedWork::Form::kNarrative;
    FillNames(text, *authors, &found.work);
    found.work.possessive = possessive;
    found.authors = {*it, end};
    return found;
  }
  return std::nullopt;
}

std::optional<CitedWork> ParseCitedWork(absl::string_view text, v1::Style style) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '(' && text.back() == ')' && OpeningParenOf(text, text.size() - 1) == 0) {
    absl::string_view content = text.substr(1, text.size() - 2);
    for (const ByteSpan& segment : SplitCitationSegments(content)) {
      std::optional<SegmentParse> parse =
          ParseCitationSegment(content.substr(segment.begin, segment.size()), style);
      if (!parse) continue;
      parse->work.form = CitedWork::Form::kParenthetical;
      return std::move(parse->work);
    }
    return std::nullopt;
  }
  if (text.back() == ')' && style != v1::STYLE_MLA9) {
    const size_t open = OpeningParenOf(text, text.size() - 1);
    std::optional<SegmentParse> years;
    if (open != kNone && open != 0) {
      years = ParseYearsSegment(Trim(text.substr(open + 1, text.size() - open - 2)));
    }
    std::optional<NarrativeAuthors> authors;
    if (years) authors = FindNarrativeAuthors(text, open);
    if (authors && authors->authors.begin == 0) {
      CitedWork work = std::move(authors->work);
      work.year = std::move(years->work.year);
      work.locator = std::move(years->work.locator);
      return work;
    }
    // No narrative citation: one work's part may still end in ")", as the extractor writes the
    // later year of "(Smith 2020, 2021, (n.p.))": "Smith 2021, (n.p.)".
  }
  std::optional<SegmentParse> parse = ParseCitationSegment(text, style);
  if (!parse) return std::nullopt;
  return std::move(parse->work);
}

std::string FormatCitedWork(const CitedWork& work, v1::Style style) {
  const bool mla = style == v1::STYLE_MLA9;
  const bool chicago = style == v1::STYLE_CHICAGO17;
  std::string authors = JoinNames(work, style);
  std::string body;
  if (work.form == CitedWork::Form::kNarrative) {
    body = absl::StrCat(authors, work.possessive, " (", work.year);
    if (!work.locator.empty()) absl::StrAppend(&body, ", ", work.locator);
    body.push_back(')');
    return body;
  }
  if (authors.empty()) {
    // A title stands for the author; APA puts the comma inside the quotation marks.
    authors = mla || chicago ? absl::StrCat("\"", work.title, "\"")
                             : absl::StrCat("\"", work.title, ",\"");
    body = authors;
    if (!mla) absl::StrAppend(&body, " ", work.year);
  } else if (mla) {
    body = authors;
    if (!work.title.empty()) {
      absl::StrAppend(&body, ", ", work.title_italic ? "_" : "\"", work.title,
                      work.title_italic ? "_" : "\"");
    }
  } else {
    body = absl::StrCat(authors, chicago ? " " : ", ", work.year);
  }
  if (!work.locator.empty()) absl::StrAppend(&body, mla ? " " : ", ", work.locator);
  if (work.form == CitedWork::Form::kGroupMember) return body;
  return absl::StrCat("(", work.prefix, body, ")");
}

}  // namespace citecheck

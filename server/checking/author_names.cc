#include "server/checking/author_names.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace citecheck {
namespace {

// One piece of the list between commas and connectors.
struct Part {
  size_t begin;
  size_t end;
  bool comma_before = false;
  AuthorConnector connector = AuthorConnector::kNone;
};

size_t Utf8Length(char lead) {
  auto byte = static_cast<unsigned char>(lead);
  if (byte >= 0xF0) return 4;
  if (byte >= 0xE0) return 3;
  if (byte >= 0xC0) return 2;
  return 1;
}

bool IsNonAsciiLead(char c) { return static_cast<unsigned char>(c) >= 0xC0; }

std::vector<absl::string_view> Words(absl::string_view text) {
  return absl::StrSplit(text, ' ', absl::SkipEmpty());
}

// "J.", "J", "J.A.", "J.-P.", "É.", "JA", and "j." (a lower-case letter needs its period).
bool IsInitialsWord(absl::string_view word) {
  if (word.size() == 2 && absl::ascii_islower(word[0]) && word[1] == '.') return true;
  size_t units = 0;
  size_t i = 0;
  while (i < word.size()) {
    char c = word[i];
    if (c == '-' || c == '.') {
      ++i;
      continue;
    }
    if (absl::ascii_isupper(c)) {
      ++i;
    } else if (IsNonAsciiLead(c)) {
      i += Utf8Length(c);
    } else {
      return false;
    }
    ++units;
  }
  return units > 0 && units <= 4;
}

// "John", "Anne-Marie", "O'Neil", "Émile".
bool IsCapitalisedWord(absl::string_view word) {
  if (word.empty() || !(absl::ascii_isupper(word[0]) || IsNonAsciiLead(word[0]))) return false;
  for (char c : word) {
    if (absl::ascii_isdigit(c) || c == '&' || c == '(' || c == ')') return false;
  }
  return true;
}

// Given names, possibly followed by the particles of the surname as Chicago writes them
// ("Sophie van der" in "Berg, Sophie van der").
bool LooksLikeGivenNames(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  while (words.size() > 1 && IsNameParticle(words.back())) words.pop_back();
  if (words.empty() || words.size() > 3) return false;
  for (absl::string_view word : words) {
    if (!IsInitialsWord(word) && !IsCapitalisedWord(word)) return false;
  }
  return true;
}

bool IsSuffix(absl::string_view part) {
  static constexpr absl::string_view kSuffixes[] = {"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"};
  for (absl::string_view suffix : kSuffixes) {
    if (part == suffix) return true;
  }
  return false;
}

// The given names of an inverted name, not a whole "Given Surname": one word ("Rahul") or
// ending with an initial ("John A.").
bool EndsLikeInvertedGivenNames(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  return words.size() == 1 ||
         (!words.empty() && IsInitialsWord(words.back()) && !IsSuffix(words.back()));
}

bool IsInitialsOnly(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  if (words.empty()) return false;
  for (absl::string_view word : words) {
    if (!IsInitialsWord(word)) return false;
  }
  return true;
}

// One word, or particles and a word: "Smith", "van der Berg", "García-Márquez".
bool LooksLikeSurname(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  if (words.empty()) return false;
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    if (!absl::ascii_islower(words[i][0])) return false;
  }
  return true;
}

bool IsGroupWord(absl::string_view word) {
  static constexpr absl::string_view kGroupWords[] = {
      "Organization",   "Organisation", "Association", "Institute",   "Institutes", "Society",
      "University",     "Department",   "Council",     "Agency",      "Committee",  "Foundation",
      "Group",          "Center",       "Centre",      "Centers",     "Office",     "Ministry",
      "Bureau",         "Board",        "Commission",  "Press",       "Company",    "Corporation",
      "Inc.",           "Ltd.",         "Bank",        "Fund",        "Service",    "Services",
      "Team",           "Consortium",   "Network",     "Nations",     "Union",      "Authority",
      "Administration", "Health",       "Research",    "National",    "Clinic",     "Hospital",
      "Project",        "Initiative",   "Program",     "Programme",   "Federation", "Academy",
      "Academies",      "Panel",        "Census",      "Statistics",  "Prevention", "Trust",
      "Forum",          "Museum",       "Library",     "Institution", "Laboratory", "Unit"};
  for (absl::string_view group_word : kGroupWords) {
    if (word == group_word) return true;
  }
  return false;
}

// "Bonham Carter", "García Márquez": two or three capitalised words (the first author of an
// inverted list, before its given names).
bool LooksLikeCompoundSurname(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  if (words.size() < 2 || words.size() > 3) return false;
  for (absl::string_view word : words) {
    if (!IsCapitalisedWord(word) && !IsNameParticle(word)) return false;
    if (IsInitialsWord(word) || IsGroupWord(word)) return false;
  }
  return true;
}

bool IsGroupName(absl::string_view part) {
  std::vector<absl::string_view> words = Words(part);
  if (words.size() < 2) return true;
  for (absl::string_view word : words) {
    if (IsGroupWord(word)) return true;
    if (!IsCapitalisedWord(word) && !IsInitialsWord(word) && !absl::ascii_islower(word[0])) {
      return true;  // Digits, symbols...
    }
  }
  return false;
}

// A whole author list without commas that names one organisation: "Food and Agriculture
// Organization of the United Nations", "Intergovernmental Panel on Climate Change", "UNESCO".
bool IsWholeGroupName(absl::string_view written) {
  if (written.find(',') != absl::string_view::npos) return false;
  std::vector<absl::string_view> words = Words(written);
  if (words.empty()) return false;
  if (words.size() == 1) return !IsInitialsWord(words.front());
  for (absl::string_view word : words) {
    if (IsGroupWord(word)) return true;
  }
  static constexpr absl::string_view kJoiningWords[] = {"of", "on", "for", "the", "in", "to"};
  for (absl::string_view word : words) {
    for (absl::string_view joining : kJoiningWords) {
      if (word == joining) return true;
    }
  }
  return false;
}

// Adds the parts of [begin, end) (one comma-separated piece), split further at "&"/"and".
void AddParts(absl::string_view text, size_t begin, size_t end, bool comma_before,
              std::vector<Part>* parts) {
  while (begin < end && text[begin] == ' ') ++begin;
  while (end > begin && text[end - 1] == ' ') --end;
  AuthorConnector connector = AuthorConnector::kNone;
  for (auto [word, kind] : {std::pair{absl::string_view("& "), AuthorConnector::kAmpersand},
                            std::pair{absl::string_view("and "), AuthorConnector::kAnd}}) {
    if (absl::StartsWith(text.substr(begin, end - begin), word)) {
      connector = kind;
      begin += word.size();
      while (begin < end && text[begin] == ' ') ++begin;
      break;
    }
  }
  while (begin < end) {
    absl::string_view piece = text.substr(begin, end - begin);
    size_t ampersand = piece.find(" & ");
    size_t and_word = piece.find(" and ");
    size_t split = std::min(ampersand, and_word);
    if (split == absl::string_view::npos) {
      parts->push_back({begin, end, comma_before, connector});
      return;
    }
    size_t part_end = begin + split;
    parts->push_back({begin, part_end, comma_before, connector});
    connector = split == ampersand ? AuthorConnector::kAmpersand : AuthorConnector::kAnd;
    comma_before = false;
    begin = part_end + (split == ampersand ? 3 : 5);
    while (begin < end && text[begin] == ' ') ++begin;
  }
}

bool IsEllipsis(absl::string_view part) {
  for (char c : part) {
    if (c != '.' && c != ' ') return part == "\xE2\x80\xA6";
  }
  return true;
}

}  // namespace

bool IsNameParticle(absl::string_view word) {
  static constexpr absl::string_view kParticles[] = {
      "van", "der", "den", "de", "del", "della", "di",  "da",  "das", "dos", "du",
      "la",  "le",  "von", "zu", "ter", "ten",   "bin", "ibn", "al",  "el",  "y"};
  for (absl::string_view particle : kParticles) {
    if (word == particle) return true;
  }
  return false;
}

AuthorList ParseAuthorList(const CitationAnatomy& citation) {
  AuthorList list;
  if (!citation.authors.present()) return list;
  absl::string_view text = citation.text;
  size_t begin = citation.authors.begin;
  size_t end = citation.authors.end;
  absl::string_view written = text.substr(begin, end - begin);
  // Quotation marks or italics mean the "authors" swallowed a title: not an author list.
  if (written.find_first_of("\"_?!") != absl::string_view::npos ||
      absl::StrContains(written, "\xE2\x80\x9C")) {
    return list;
  }
  static constexpr absl::string_view kRoles[] = {
      ", editors", ", editor", ", translators", ", translator", ", eds.",   ", ed.",
      " (Eds.)",   " (Ed.)",   " (Eds)",        " (Ed)",        " (Trans.)"};
  for (absl::string_view role : kRoles) {
    if (absl::EndsWith(written, role)) {
      list.role = {end - role.size(), end};
      end -= role.size();
      written = text.substr(begin, end - begin);
      break;
    }
  }
  for (absl::string_view et_al : {"et al.", "et al"}) {
    if (absl::EndsWith(written, et_al)) {
      list.et_al = true;
      end -= et_al.size();
      while (end > begin && (text[end - 1] == ' ' || text[end - 1] == ',')) --end;
      break;
    }
  }
  if (IsWholeGroupName(written)) {
    AuthorName name;
    name.surname = std::string(written);
    name.group = true;
    name.span = {begin, end};
    list.names.push_back(std::move(name));
    return list;
  }
  list.ellipsis = absl::StrContains(written, "...") || absl::StrContains(written, ". . .") ||
                  absl::StrContains(written, "\xE2\x80\xA6");

  std::vector<Part> parts;
  size_t piece_begin = begin;
  bool comma_before = false;
  for (size_t i = begin; i <= end; ++i) {
    if (i == end || text[i] == ',') {
      AddParts(text, piece_begin, i, comma_before, &parts);
      piece_begin = i + 1;
      comma_before = true;
    }
  }

  // "… Last, Z.": the ellipsis before the last author is not part of the name.
  for (Part& part : parts) {
    for (absl::string_view ellipsis : {"\xE2\x80\xA6 ", ". . . ", "... "}) {
      if (absl::StartsWith(text.substr(part.begin, part.end - part.begin), ellipsis) &&
          part.end > part.begin + ellipsis.size()) {
        part.begin += ellipsis.size();
      }
    }
  }
  for (size_t k = 0; k < parts.size();) {
    const Part& part = parts[k];
    absl::string_view part_text = text.substr(part.begin, part.end - part.begin);
    if (IsEllipsis(part_text)) {
      ++k;
      continue;
    }
    if (IsSuffix(part_text) && !list.names.empty()) {
      list.names.back().suffix = std::string(part_text);
      list.names.back().span.end = part.end;
      ++k;
      continue;
    }
    AuthorName name;
    bool paired = false;
    if (k + 1 < parts.size()) {
      const Part& next = parts[k + 1];
      absl::string_view next_text = text.substr(next.begin, next.end - next.begin);
      paired = next.comma_before && next.connector == AuthorConnector::kNone &&
               !IsSuffix(next_text) && LooksLikeGivenNames(next_text) &&
               (IsInitialsOnly(next_text) || LooksLikeSurname(part_text) ||
                (k == 0 && LooksLikeCompoundSurname(part_text) &&
                 EndsLikeInvertedGivenNames(next_text))) &&
               !IsInitialsOnly(part_text);
      if (paired) {
        name.surname = std::string(part_text);
        name.given = std::string(next_text);
        name.inverted = true;
        name.span = {part.begin, next.end};
      }
    }
    if (!paired) {
      name.span = {part.begin, part.end};
      std::vector<absl::string_view> words = Words(part_text);
      if (words.size() >= 3 && IsSuffix(words.back())) {  // "Jean-Paul A. Haddad III".
        name.suffix = std::string(words.back());
        words.pop_back();
        part_text =
            part_text.substr(0, words.back().data() + words.back().size() - part_text.data());
      }
      if (words.size() >= 2 && IsInitialsOnly(words.back()) && !IsInitialsWord(words.front())) {
        // "Smith JA" (Vancouver style): the surname comes first, without a comma.
        size_t initials_offset = words.back().data() - part_text.data();
        name.surname =
            std::string(absl::StripTrailingAsciiWhitespace(part_text.substr(0, initials_offset)));
        name.given = std::string(words.back());
      } else if (IsGroupName(part_text)) {
        name.surname = std::string(part_text);
        name.group = true;
      } else {
        // "John A. Smith", "Ludwig van Beethoven": the surname is the last word with the
        // lower-case particles before it.
        size_t surname_start = words.size() - 1;
        while (surname_start > 1 && absl::ascii_islower(words[surname_start - 1][0])) {
          --surname_start;
        }
        // "Ortega y Gasset": "y" joins two surnames.
        if (surname_start > 1 && words[surname_start] == "y") --surname_start;
        size_t surname_offset = words[surname_start].data() - part_text.data();
        name.surname = std::string(part_text.substr(surname_offset));
        name.given =
            std::string(absl::StripTrailingAsciiWhitespace(part_text.substr(0, surname_offset)));
      }
    }
    if (!list.names.empty() || k > 0) {
      list.last_connector = part.connector;
      list.comma_before_connector = part.comma_before && part.connector != AuthorConnector::kNone;
    }
    list.names.push_back(std::move(name));
    k += paired ? 2 : 1;
  }
  return list;
}

std::string InitialsOf(absl::string_view given) {
  std::string initials;
  bool hyphen_pending = false;
  size_t i = 0;
  auto add_initial = [&](absl::string_view letter) {
    if (!initials.empty()) initials += hyphen_pending ? "-" : " ";
    hyphen_pending = false;
    if (letter.size() == 1) {
      initials.push_back(absl::ascii_toupper(letter[0]));
    } else {
      initials.append(letter.data(), letter.size());
    }
    initials.push_back('.');
  };
  while (i < given.size()) {
    char c = given[i];
    if (c == ' ' || c == '.') {
      ++i;
      continue;
    }
    if (c == '-') {
      hyphen_pending = !initials.empty();
      ++i;
      continue;
    }
    size_t name_end = i;
    while (name_end < given.size() && given[name_end] != ' ' && given[name_end] != '.' &&
           given[name_end] != '-') {
      ++name_end;
    }
    absl::string_view name = given.substr(i, name_end - i);
    if (IsNameParticle(name)) {  // "P. van" (APA writes a dropping particle after the initials).
      if (!initials.empty()) initials += " ";
      initials.append(name.data(), name.size());
      hyphen_pending = false;
      i = name_end;
      continue;
    }
    // "JA", "ŁE": initials written without periods (up to three capitals, UTF-8 aware).
    std::vector<absl::string_view> letters;
    bool run_of_capitals = true;
    for (size_t at = 0; at < name.size() && run_of_capitals;) {
      size_t width = std::min(Utf8Length(name[at]), name.size() - at);
      run_of_capitals = width > 1 || absl::ascii_isupper(name[at]);
      letters.push_back(name.substr(at, width));
      at += width;
    }
    run_of_capitals = run_of_capitals && letters.size() >= 1 && letters.size() <= 3 &&
                      (letters.size() > 1 || name.size() == 1 || absl::ascii_isupper(name[0]));
    if (run_of_capitals && letters.size() > 1) {
      for (absl::string_view letter : letters) add_initial(letter);
    } else if (run_of_capitals) {
      add_initial(letters.front());
    } else {
      add_initial(name.substr(0, Utf8Length(name[0])));
    }
    i = name_end;
  }
  return initials;
}

std::string ApaName(const AuthorName& name) {
  if (name.group) return name.surname;
  std::string written = name.surname;
  if (!name.given.empty()) absl::StrAppend(&written, ", ", InitialsOf(name.given));
  if (!name.suffix.empty()) absl::StrAppend(&written, ", ", name.suffix);
  return written;
}

std::string InvertedName(const AuthorName& name) {
  if (name.group) return name.surname;
  std::string written = name.surname;
  if (!name.given.empty()) absl::StrAppend(&written, ", ", name.given);
  if (!name.suffix.empty()) absl::StrAppend(&written, ", ", name.suffix);
  return written;
}

std::string GivenFirstName(const AuthorName& name) {
  if (name.group) return name.surname;
  std::string written =
      name.given.empty() ? name.surname : absl::StrCat(name.given, " ", name.surname);
  if (!name.suffix.empty()) absl::StrAppend(&written, " ", name.suffix);
  return written;
}

}  // namespace citecheck

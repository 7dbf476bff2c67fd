#include "server/checking/title_case.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "server/checking/author_names.h"
#include "server/checking/proper_nouns.h"

namespace citecheck {
namespace {

enum class PieceCase { kNoLetters, kLower, kCapitalised, kAllCaps, kMixed, kOther };

// One hyphen-separated piece of a word, e.g. "Self" and "Report" in "Self-Report".
struct Piece {
  size_t begin;  // In the title.
  size_t end;
  size_t first_letter;  // Index of its first letter in the title (only when it has letters).
  PieceCase letter_case;
};

struct Word {
  std::vector<Piece> pieces;
  bool is_start = false;
  bool is_last = false;
  std::string bare;       // Lower-case letters of the whole word, for the minor-word list.
  bool verbatim = false;  // A URL or the like: never changes.
  std::string text;       // As written.
  // A known proper noun ("Andalusia", "New Zealand", "Jane Austen"): sentence case keeps it.
  bool proper = false;
  // A surname particle inside a name ("Simone de Beauvoir"): stays lower case in title case.
  bool particle = false;
};

// "U.S.", "W.", "E.": capital letters each followed by a period.
bool IsInitialism(absl::string_view word) {
  if (word.size() < 2) return false;
  for (size_t i = 0; i < word.size(); i += 2) {
    if (!absl::ascii_isupper(word[i]) || i + 1 >= word.size() || word[i + 1] != '.') return false;
  }
  return true;
}

bool StartsCapitalised(absl::string_view text) {
  return !text.empty() &&
         (absl::ascii_isupper(text[0]) || static_cast<unsigned char>(text[0]) >= 0xC0);
}

// Marks the proper nouns and the particles of names among `words`.
void MarkNames(std::vector<Word>* words) {
  std::vector<std::string> texts;
  for (const Word& word : *words) texts.push_back(word.text);
  for (size_t i = 0; i < words->size(); ++i) {
    if (size_t length = ProperNamePhraseLength(texts, i); length > 0) {
      for (size_t j = i; j < i + length; ++j) {
        (*words)[j].proper = StartsCapitalised(texts[j]);
        (*words)[j].particle = !StartsCapitalised(texts[j]);
      }
      i += length - 1;
      continue;
    }
    // A known proper noun, or a capitalised word with a letter English words rarely have
    // ("Valparaíso", "Ngũgĩ").
    bool foreign = false;
    for (char c : texts[i]) foreign = foreign || static_cast<unsigned char>(c) >= 0x80;
    if (IsKnownProperNoun(texts[i]) || (foreign && StartsCapitalised(texts[i]) &&
                                        texts[i].find("\xE2\x80") == std::string::npos)) {
      (*words)[i].proper = true;
    }
    if (i > 0 && i + 1 < words->size() && IsNameParticle(texts[i]) &&
        StartsCapitalised(texts[i - 1]) && StartsCapitalised(texts[i + 1])) {
      (*words)[i].particle = true;
    }
    // After an initial ("W. E. B. Du Bois") or a capitalised particle ("Ibn Khaldun", "Du
    // Bois") comes a surname.
    static constexpr absl::string_view kCapitalParticles[] = {
        "Ibn", "Du", "De", "Van", "Von", "Al", "El", "Le", "La", "Da", "Di", "Bin"};
    bool after_initial = i > 0 && IsInitialism(texts[i - 1]) && texts[i - 1].size() == 2;
    bool after_particle = false;
    for (absl::string_view particle : kCapitalParticles) {
      after_particle = after_particle || (i > 0 && texts[i - 1] == particle);
    }
    if (IsInitialism(texts[i])) (*words)[i].proper = true;  // "W.", "U.S.": never lowered.
    if ((after_initial || after_particle) && StartsCapitalised(texts[i])) {
      (*words)[i].proper = true;
      if (after_particle) (*words)[i - 1].proper = true;
    }
  }
}

PieceCase ClassifyPiece(absl::string_view piece, size_t* first_letter) {
  size_t upper = 0;
  size_t lower = 0;
  bool first_seen = false;
  bool first_upper = false;
  for (size_t i = 0; i < piece.size(); ++i) {
    char c = piece[i];
    if (absl::ascii_isdigit(c)) return PieceCase::kOther;
    bool non_ascii = static_cast<unsigned char>(c) >= 0x80;
    if (!absl::ascii_isalpha(c) && !non_ascii) continue;
    if (!first_seen) {
      first_seen = true;
      *first_letter = i;
      if (non_ascii) return PieceCase::kOther;  // We cannot change its case.
      first_upper = absl::ascii_isupper(c);
    }
    if (absl::ascii_isupper(c)) {
      ++upper;
    } else if (!non_ascii || (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++lower;  // ASCII lower case, or a non-ASCII letter (counted once, at its lead byte).
    }
  }
  if (!first_seen) return PieceCase::kNoLetters;
  if (upper == 0) return PieceCase::kLower;
  if (first_upper && upper == 1) return PieceCase::kCapitalised;
  if (lower == 0) return upper == 1 ? PieceCase::kCapitalised : PieceCase::kAllCaps;
  return PieceCase::kMixed;
}

bool EndsClause(absl::string_view word) {
  if (word.empty()) return false;
  char last = word.back();
  return last == ':' || last == '?' || last == '!' || (last == '.' && !IsInitialism(word));
}

bool IsDash(absl::string_view word) {
  return word == "-" || word == "--" || word == "\xE2\x80\x93" || word == "\xE2\x80\x94";
}

std::vector<Word> SplitWords(absl::string_view title) {
  std::vector<Word> words;
  bool next_is_start = true;
  size_t i = 0;
  while (i < title.size()) {
    if (title[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = title.find(' ', i);
    if (end == absl::string_view::npos) end = title.size();
    // An em dash written without spaces ("health—A study") separates two words too.
    constexpr absl::string_view kEmDash = "\xE2\x80\x94";
    size_t dash = title.substr(0, end).find(kEmDash, i);
    bool ends_at_dash = dash != absl::string_view::npos && dash > i;
    if (ends_at_dash) end = dash;
    absl::string_view text = title.substr(i, end - i);
    Word word;
    word.text = std::string(text);
    word.is_start = next_is_start;
    word.verbatim = absl::StrContains(text, "/") || absl::StrContains(text, "@") ||
                    absl::StrContains(text, "_");
    size_t piece_begin = i;
    for (size_t j = i; j <= end; ++j) {
      if (j == end || title[j] == '-') {
        if (j > piece_begin) {
          Piece piece{piece_begin, j, 0, PieceCase::kNoLetters};
          size_t first_letter = 0;
          piece.letter_case =
              ClassifyPiece(title.substr(piece_begin, j - piece_begin), &first_letter);
          piece.first_letter = piece_begin + first_letter;
          word.pieces.push_back(piece);
        }
        piece_begin = j + 1;
      }
    }
    for (char c : text) {
      if (absl::ascii_isalpha(c)) word.bare.push_back(absl::ascii_tolower(c));
    }
    // A word that is only a dash makes the next word a start; it is not a word itself.
    if (IsDash(text)) {
      next_is_start = true;
    } else {
      next_is_start = EndsClause(text) || ends_at_dash;
      if (!word.pieces.empty()) words.push_back(std::move(word));
    }
    i = ends_at_dash ? end + kEmDash.size() : end;
  }
  if (!words.empty()) words.back().is_last = true;
  MarkNames(&words);
  return words;
}

// Articles, prepositions, coordinating conjunctions and "to": lower case inside a title.
bool IsMinorWord(absl::string_view bare) {
  static constexpr absl::string_view kMinorWords[] = {
      "a",          "an",      "the",     "and",     "but",        "or",      "nor",    "for",
      "so",         "yet",     "as",      "at",      "by",         "in",      "of",     "off",
      "on",         "onto",    "per",     "to",      "up",         "via",     "with",   "from",
      "into",       "upon",    "over",    "than",    "vs",         "about",   "above",  "across",
      "after",      "against", "along",   "amid",    "among",      "around",  "before", "behind",
      "below",      "beneath", "beside",  "between", "beyond",     "despite", "down",   "during",
      "except",     "inside",  "like",    "near",    "outside",    "past",    "since",  "through",
      "throughout", "toward",  "towards", "under",   "underneath", "until",   "within", "without"};
  for (absl::string_view word : kMinorWords) {
    if (word == bare) return true;
  }
  return false;
}

bool IsPronounI(absl::string_view title, const Piece& piece) {
  absl::string_view text = title.substr(piece.first_letter, piece.end - piece.first_letter);
  return text == "I" || absl::StartsWith(text, "I'") || absl::StartsWith(text, "I\xE2\x80\x99");
}

}  // namespace

bool LooksTitleCased(absl::string_view title) {
  // Minor words ("of", "the") are lower case in both forms and tell nothing.
  int eligible = 0;
  int capitalised = 0;
  for (const Word& word : SplitWords(title)) {
    if (word.is_start || word.verbatim || word.proper || word.particle || IsMinorWord(word.bare)) {
      continue;
    }
    const Piece& first = word.pieces.front();
    if (first.letter_case == PieceCase::kLower) {
      ++eligible;
    } else if (first.letter_case == PieceCase::kCapitalised && !IsPronounI(title, first)) {
      ++eligible;
      ++capitalised;
    }
  }
  // Title Case capitalises every such word; a sentence-case title keeps lower-case words among
  // its capitalised names. A few lower-case words are tolerated (a writer's slips).
  int lower_case = eligible - capitalised;
  return capitalised >= 2 && 3 * lower_case <= capitalised;
}

std::string ToSentenceCase(absl::string_view title) {
  std::string result(title);
  for (const Word& word : SplitWords(title)) {
    if (word.verbatim || word.proper) continue;
    for (size_t p = 0; p < word.pieces.size(); ++p) {
      const Piece& piece = word.pieces[p];
      if (word.is_start && p == 0) continue;
      if (piece.letter_case == PieceCase::kCapitalised && !IsPronounI(title, piece)) {
        result[piece.first_letter] = absl::ascii_tolower(result[piece.first_letter]);
      }
    }
  }
  return result;
}

bool HasLowercaseMajorWords(absl::string_view title) {
  for (const Word& word : SplitWords(title)) {
    if (word.verbatim || word.particle || word.pieces.front().letter_case != PieceCase::kLower) {
      continue;
    }
    if (word.is_start || word.is_last || !IsMinorWord(word.bare)) return true;
  }
  return false;
}

std::string ToTitleCase(absl::string_view title) {
  std::string result(title);
  for (const Word& word : SplitWords(title)) {
    if (word.verbatim || word.particle) continue;
    for (size_t p = 0; p < word.pieces.size(); ++p) {
      const Piece& piece = word.pieces[p];
      std::string bare;
      for (size_t i = piece.begin; i < piece.end; ++i) {
        if (absl::ascii_isalpha(title[i])) bare.push_back(absl::ascii_tolower(title[i]));
      }
      bool must_capitalise = p == 0 && (word.is_start || word.is_last);
      bool minor = IsMinorWord(p == 0 && word.pieces.size() == 1 ? word.bare : bare);
      char& first = result[piece.first_letter];
      if (!must_capitalise && minor) {
        if (piece.letter_case == PieceCase::kCapitalised) first = absl::ascii_tolower(first);
      } else if (piece.letter_case == PieceCase::kLower) {
        first = absl::ascii_toupper(first);
      }
    }
  }
  return result;
}

}  // namespace citecheck

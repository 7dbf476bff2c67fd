#ifndef CITECHECK_SERVER_CHECKING_TITLE_CASE_H_
#define CITECHECK_SERVER_CHECKING_TITLE_CASE_H_

// Capitalisation of titles: sentence case (APA 7) and headline/title case (MLA 9, Chicago 17).
//
// Only ASCII letters change case. Words written in capitals ("DNA", "COVID-19") and words with a
// capital inside ("iPhone", "McDonald") are taken to be written on purpose and never change.
// A "start" word is the first word, or a word after a colon, ?, ! or a dash; it keeps (sentence
// case) or gets (title case) its capital.
//
// Proper nouns keep their capital in sentence case when they are known (proper_nouns.h: places,
// peoples, often-cited names; "Jane Austen" after a common given name) or have a letter English
// words rarely have ("Valparaíso"). Other proper nouns cannot be told from ordinary words and
// are lower-cased. Particles inside names ("Simone de Beauvoir") stay lower case in title case.

#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// True when `title` is evidently in title case: at least two of its non-start words that are
// neither minor words ("of", "the") nor known proper nouns are capitalised, and at most a third
// as many such words are in lower case ("Deep Learning for Citation Analysis").
bool LooksTitleCased(absl::string_view title);

// `title` in sentence case: capitalised non-start words (and later parts of hyphenated start
// words) lower-cased. "Deep Learning: A Self-Report Study" → "Deep learning: A self-report study".
std::string ToSentenceCase(absl::string_view title);

// True when a word of `title` that title case capitalises starts with a lower-case letter
// ("Deep learning for citation analysis").
bool HasLowercaseMajorWords(absl::string_view title);

// `title` in title case (MLA/Chicago): start words, the last word and all words but articles,
// prepositions, coordinating conjunctions and "to" capitalised; those minor words lower-cased.
// "deep learning for the analysis of citations" → "Deep Learning for the Analysis of Citations".
std::string ToTitleCase(absl::string_view title);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_TITLE_CASE_H_

#ifndef CITECHECK_SERVER_CHECKING_TITLE_CASE_H_
#define CITECHECK_SERVER_CHECKING_TITLE_CASE_H_

// Capitalisation of titles: sentence case (APA 7) and headline/title case (MLA 9, Chicago 17).
//
// Only ASCII letters change case. Words written in capitals ("DNA", "COVID-19") and words with a
// capital inside ("iPhone", "McDonald") are taken to be written on purpose and never change.
// A "start" word is the first word, or a word after a colon, ?, ! or a dash; it keeps (sentence
// case) or gets (title case) its capital.
//
// Proper nouns cannot be told from ordinary words, so sentence casing lower-cases them too; the
// rules accept this and say so in their problem text.

#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// True when `title` is evidently in title case: at least two of its non-start words are
// capitalised and they are more than half of them ("Deep Learning for Citation Analysis").
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

#ifndef CITECHECK_SERVER_CHECKING_PROPER_NOUNS_H_
#define CITECHECK_SERVER_CHECKING_PROPER_NOUNS_H_

// Words that English writes with a capital wherever they stand: countries, regions and cities,
// peoples and their languages, religions, months and days, and the names of people and
// movements often found in titles ("Darwin", "Marxist"). Sentence casing keeps them: a careful
// editor knows that "Andalusia" stays capitalised in "Olive farming in Andalusia".
//
// The list is a best effort, not a gazetteer of the world; what it misses is lower-cased by
// sentence casing (see title_case.h). Pure functions over compiled-in data; thread-safe.

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace citecheck {

// True when `word` (letters only, as capitalised in running text, e.g. "Andalusia") is a
// proper noun or proper adjective.
bool IsKnownProperNoun(absl::string_view word);

// When `words[at]` starts a known proper name of several words ("New Zealand", "Cold War",
// "United Nations"), its number of words; else 0. Words are compared without trailing
// punctuation.
size_t ProperNamePhraseLength(const std::vector<std::string>& words, size_t at);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_PROPER_NOUNS_H_

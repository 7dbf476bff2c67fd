#include "server/checking/inline_matcher.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/checking/author_names.h"
#include "server/checking/citation_anatomy.h"
#include "server/checking/unicode_text.h"
#include "server/common/style_name.h"
#include "server/common/utf8.h"

namespace citecheck {
namespace {

using Reference = InlineMatcher::Reference;

// What a candidate reference disagrees on, with how much it weighs against the candidate.
struct Finding {
  int weight = 0;
  std::string problem;
};

// Weights: a wrong co-author says "another work" more loudly than a wrong year, which says it
// more loudly than a missing co-author, a suffix or the et-al. form.
constexpr int kWrongAuthorWeight = 3;
constexpr int kMissingAuthorWeight = 1;
constexpr int kYearWeight = 2;
constexpr int kTitleWeight = 2;
constexpr int kSuffixWeight = 1;
constexpr int kEtAlWeight = 1;

struct Candidate {
  int reference = 0;
  std::vector<Finding> findings;
  int weight = 0;
};

// Authors from this many on are written "First et al.".
int EtAlThreshold(v1::Style style) { return style == v1::STYLE_CHICAGO17 ? 4 : 3; }

std::string Ordinal(size_t position) {  // 0-based: 1 → "second"
  static constexpr absl::string_view kOrdinals[] = {"first", "second", "third",  "fourth",
                                                    "fifth", "sixth",  "seventh"};
  if (position < std::size(kOrdinals)) return std::string(kOrdinals[position]);
  return absl::StrCat("#", position + 1);
}

bool IsParticleWord(absl::string_view word) {
  static constexpr absl::string_view kParticles[] = {
      "van", "von", "der", "den", "de",  "del", "della", "dei", "di",  "da",  "das", "dos",
      "du",  "la",  "le",  "les", "ten", "ter", "zu",    "zur", "bin", "ibn", "al",  "el"};
  return std::find(std::begin(kParticles), std::end(kParticles), word) != std::end(kParticles);
}

// The folded year split into base and suffix: "2020a" → {"2020", "a"}, "n.d.-b" → {"n.d.",
// "b"}.
std::pair<std::string, std::string> SplitYear(absl::string_view year) {
  std::string folded = FoldForComparison(year);
  absl::string_view text = folded;
  for (absl::string_view word : {"n.d.", "in press"}) {
    if (absl::StartsWith(text, word)) {
      absl::string_view suffix = text.substr(word.size());
      absl::ConsumePrefix(&suffix, "-");
      return {std::string(word), std::string(suffix)};
    }
  }
  if (text.size() >= 4) return {std::string(text.substr(0, 4)), std::string(text.substr(4))};
  return {std::string(text), ""};
}

// A title folded for comparison, without italic or bold markers and quotation marks.
std::string TitleKey(absl::string_view title) {
  std::string plain;
  plain.reserve(title.size());
  for (size_t i = 0; i < title.size();) {
    size_t width = 0;
    const uint32_t c = DecodeUtf8At(title, i, &width);
    if (c != '_' && c != '*' && c != '"' && c != 0x201C && c != 0x201D) {
      plain.append(title.data() + i, width);
    }
    i += width;
  }
  return FoldForComparison(plain);
}

// True when `title` begins with the words of `prefix` (both TitleKeys).
bool TitleStartsWith(absl::string_view title, absl::string_view prefix) {
  if (prefix.empty() || !absl::StartsWith(title, prefix)) return false;
  if (title.size() == prefix.size()) return true;
  size_t width = 0;
  return !IsLetter(DecodeUtf8At(title, prefix.size(), &width)) &&
         !absl::ascii_isdigit(static_cast<unsigned char>(title[prefix.size()]));
}

// The initials of a group name's significant words: "World Health Organization" → "who".
std::string GroupInitials(absl::string_view name) {
  std::string initials;
  for (absl::string_view word : absl::StrSplit(FoldForComparison(name), ' ', absl::SkipEmpty())) {
    if (word == "of" || word == "for" || word == "the" || word == "and" || word == "on" ||
        word == "in" || word == "at" || word == "&") {
      continue;
    }
    initials.push_back(word[0]);
  }
  return initials;
}

bool IsAbbreviation(absl::string_view name) {
  return name.size() >= 2 && name.size() <= 10 && std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isupper(static_cast<unsigned char>(c));
         });
}

Reference ReadReference(const std::string& text) {
  Reference reference;
  const CitationAnatomy anatomy = ParseCitationAnatomy(text);
  const AuthorList authors = ParseAuthorList(anatomy);
  const absl::string_view written = anatomy.Of(anatomy.authors);
  reference.group = !authors.names.empty() && authors.names[0].group;
  if (reference.group && !absl::StrContains(written, ',')) {
    // One group author, even when its name holds "and" (the author list splits "Organisation
    // for Economic Co-operation and Development" in two).
    reference.surnames.emplace_back(written);
  } else {
    for (const AuthorName& name : authors.names) reference.surnames.push_back(name.surname);
  }
  for (const std::string& surname : reference.surnames) reference.keys.push_back(NameKey(surname));
  if (reference.group) reference.initials = GroupInitials(reference.surnames[0]);
  reference.truncated = authors.et_al || authors.ellipsis;
  reference.author_count = static_cast<int>(reference.surnames.size());
  if (reference.truncated) reference.author_count = std::max(reference.author_count + 1, 3);
  absl::string_view year = anatomy.Of(anatomy.year);
  if (!year.empty() && year.front() != '[') {
    reference.year = std::string(year);
    std::tie(reference.year_base, reference.year_suffix) = SplitYear(year);
  }
  absl::string_view title = anatomy.Of(anatomy.title);
  reference.title = TitleKey(title);
  reference.title_italic = anatomy.title_form == TitleForm::kItalic;
  reference.opening = TitleKey(text);
  for (char c : title) {
    if (c != '_' && c != '*') reference.short_title.push_back(c);
  }
  return reference;
}

// "Smith and Lee", "Smith, Lee, and Brown" (for problem texts).
std::string NamesForProblem(const Reference& reference) {
  const std::vector<std::string>& names = reference.surnames;
  if (names.size() <= 1) return names.empty() ? "" : names[0];
  if (names.size() == 2) return absl::StrCat(names[0], " and ", names[1]);
  return absl::StrCat(absl::StrJoin(names.begin(), names.end() - 1, ", "), ", and ", names.back());
}

std::string AuthorsNoun(int count) {
  return count == 1 ? "1 author" : absl::StrCat(count, " authors");
}

// The findings about the authors of `work` against `reference` (a person-authored reference
// found by its first author).
void CompareAuthors(const CitedWork& work, const Reference& reference, v1::Style style,
                    std::vector<Finding>* findings) {
  const int threshold = EtAlThreshold(style);
  const int count = reference.author_count;
  const size_t named = work.names.size();
  const size_t listed = reference.surnames.size();
  // The names written after the first must be the reference's, in order.
  for (size_t i = 1; i < named && i < listed; ++i) {
    if (NameKey(work.names[i]) != reference.keys[i]) {
      findings->push_back({kWrongAuthorWeight,
                           absl::StrCat("the ", Ordinal(i), " author is ", reference.surnames[i],
                                        " in the reference, not ", work.names[i])});
    }
  }
  if (named > listed && !reference.truncated) {
    std::vector<std::string> extra(work.names.begin() + listed, work.names.end());
    findings->push_back(
        {kWrongAuthorWeight,
         absl::StrCat("the reference has ", AuthorsNoun(count), " (", NamesForProblem(reference),
                      "); ", absl::StrJoin(extra, " and "), extra.size() == 1 ? " is" : " are",
                      " not among them")});
  }
  if (work.et_al) {
    if (count < threshold && !reference.truncated) {
      findings->push_back(
          {kEtAlWeight,
           absl::StrCat("\"et al.\" is used, but the reference has only ", AuthorsNoun(count),
                        count == 1 ? ""
                                   : absl::StrCat(": ", StyleDisplayName(style), " names ",
                                                  count == 2 ? "both" : "all of them"))});
    }
    return;
  }
  if (count >= threshold) {
    if (named == 1) {
      findings->push_back({kEtAlWeight, absl::StrCat("\"et al.\" is missing: the reference has ",
                                                     reference.truncated ? "more than two authors"
                                                                         : AuthorsNoun(count))});
    } else {
      findings->push_back({kEtAlWeight, absl::StrCat(StyleDisplayName(style),
                                                     " writes the first author "
                                                     "and \"et al.\" for ",
                                                     threshold, " or more authors")});
    }
    return;
  }
  if (named < listed) {
    std::vector<std::string> missing(reference.surnames.begin() + named, reference.surnames.end());
    findings->push_back(
        {kMissingAuthorWeight,
         absl::StrCat("the ", Ordinal(named), missing.size() > 1 ? " and later authors" : " author",
                      " (", absl::StrJoin(missing, ", "), ") ", missing.size() > 1 ? "are" : "is",
                      " missing: the reference is by ", NamesForProblem(reference))});
  }
}

void CompareYear(const CitedWork& work, const Reference& reference,
                 std::vector<Finding>* findings) {
  if (reference.year.empty() || work.year.empty()) return;
  const auto [base, suffix] = SplitYear(work.year);
  if (base != reference.year_base) {
    findings->push_back({kYearWeight, absl::StrCat("the year is ", reference.year,
                                                   " in the reference, not ", work.year)});
  } else if (suffix != reference.year_suffix) {
    if (suffix.empty()) {
      findings->push_back({kSuffixWeight, absl::StrCat("the year suffix is missing: the "
                                                       "reference is ",
                                                       reference.year)});
    } else {
      findings->push_back({kSuffixWeight, absl::StrCat("the year is ", reference.year,
                                                       " in the reference, not ", work.year)});
    }
  }
}

// The citation as it should be written for `reference`.
std::string Correction(const CitedWork& work, const Reference& reference, bool by_title,
                       v1::Style style) {
  CitedWork fixed = work;
  if (!by_title && !reference.surnames.empty() && !reference.group) {
    const std::string first = !work.names.empty() && NameKey(work.names[0]) == reference.keys[0]
                                  ? work.names[0]
                                  : reference.surnames[0];
    fixed.names = {first};
    fixed.et_al = reference.author_count >= EtAlThreshold(style);
    if (!fixed.et_al) {
      fixed.names.insert(fixed.names.end(), reference.surnames.begin() + 1,
                         reference.surnames.end());
    }
  }
  if (style != v1::STYLE_MLA9 && !reference.year.empty()) fixed.year = reference.year;
  if (style == v1::STYLE_MLA9 && !work.title.empty() && !work.names.empty() &&
      !TitleStartsWith(reference.title, TitleKey(work.title))) {
    fixed.title = reference.short_title;
    fixed.title_italic = reference.title_italic;
  }
  return FormatCitedWork(fixed, style);
}

// "Smith (2020)" / 'Smith, "Title"' (MLA) for problem texts about several candidates.
std::string Describe(const Reference& reference, v1::Style style) {
  std::string name = reference.surnames.empty() ? absl::StrCat("\"", reference.short_title, "\"")
                                                : reference.surnames[0];
  if (style == v1::STYLE_MLA9) {
    return reference.surnames.empty() ? name
                                      : absl::StrCat(name, ", \"", reference.short_title, "\"");
  }
  if (reference.year.empty()) return name;
  return absl::StrCat(name, " (", reference.year, ")");
}

std::string WhoIsCited(const CitedWork& work) {
  if (work.names.empty()) return absl::StrCat("titled \"", work.title, "\"");
  return absl::StrCat("by ", work.names[0]);
}

template <typename Citations>
std::vector<int32_t> Uncited(int reference_count, const Citations& citations) {
  std::vector<bool> cited(std::max(reference_count, 0), false);
  for (const v1::InlineCitation& citation : citations) {
    for (int32_t index : citation.reference_indices()) {
      if (index >= 0 && index < reference_count) cited[index] = true;
    }
  }
  std::vector<int32_t> uncited;
  for (int i = 0; i < reference_count; ++i) {
    if (!cited[i]) uncited.push_back(i);
  }
  return uncited;
}

}  // namespace

std::string NameKey(absl::string_view name) {
  const size_t bracket = name.find(" [");
  if (bracket != absl::string_view::npos) name = name.substr(0, bracket);
  std::string folded = FoldForComparison(name);
  absl::string_view key = folded;
  // Leading particles: "van der berg" → "berg"; a particle alone stays.
  while (true) {
    const size_t space = key.find(' ');
    if (space == absl::string_view::npos || !IsParticleWord(key.substr(0, space))) break;
    key.remove_prefix(space + 1);
  }
  return std::string(key);
}

InlineMatcher::InlineMatcher(v1::Style style, const std::vector<std::string>& references)
    : style_(style == v1::STYLE_UNSPECIFIED ? v1::STYLE_APA7 : style) {
  references_.reserve(references.size());
  for (size_t i = 0; i < references.size(); ++i) {
    references_.push_back(ReadReference(references[i]));
    if (!references_.back().keys.empty()) {
      by_first_author_[references_.back().keys[0]].push_back(static_cast<int>(i));
    }
  }
}

std::vector<int> InlineMatcher::CandidatesFor(const CitedWork& work, bool* by_title) const {
  *by_title = false;
  auto lookup = [this](const std::string& key) {
    auto found = by_first_author_.find(key);
    return found == by_first_author_.end() ? std::vector<int>() : found->second;
  };
  if (!work.names.empty()) {
    const std::string& first = work.names[0];
    std::vector<int> candidates = lookup(NameKey(first));
    // A group cited by its abbreviation: "(WHO, 2020)" or "[WHO]".
    const std::string abbreviation = !work.abbreviation.empty()
                                         ? FoldForComparison(work.abbreviation)
                                     : IsAbbreviation(first) ? FoldForComparison(first)
                                                             : "";
    if (!abbreviation.empty()) {
      for (size_t i = 0; i < references_.size(); ++i) {
        if (references_[i].group && references_[i].initials == abbreviation &&
            std::find(candidates.begin(), candidates.end(), i) == candidates.end()) {
          candidates.push_back(static_cast<int>(i));
        }
      }
      std::sort(candidates.begin(), candidates.end());
    }
    if (!candidates.empty()) return candidates;
    // Words before the name that belong to the sentence ("Narrative Smith (2020)").
    std::vector<absl::string_view> words = absl::StrSplit(first, ' ', absl::SkipEmpty());
    for (size_t drop = 1; drop < words.size(); ++drop) {
      candidates = lookup(NameKey(absl::StrJoin(words.begin() + drop, words.end(), " ")));
      if (!candidates.empty()) return candidates;
    }
    // A group name with "and" in it ("Department of Health and Human Services").
    if (work.names.size() >= 2) {
      for (absl::string_view connector : {" and ", " & "}) {
        candidates = lookup(NameKey(absl::StrJoin(work.names, connector)));
        if (!candidates.empty()) return candidates;
      }
    }
  }
  // A title standing for the author (in a plain-text body, an italic title reads like a name).
  const std::string title =
      TitleKey(work.names.empty() ? work.title : absl::StrJoin(work.names, " "));
  std::vector<int> candidates;
  for (size_t i = 0; i < references_.size(); ++i) {
    const Reference& reference = references_[i];
    if ((reference.surnames.empty() && TitleStartsWith(reference.title, title)) ||
        TitleStartsWith(reference.opening, title)) {
      candidates.push_back(static_cast<int>(i));
    }
  }
  *by_title = !candidates.empty();
  return candidates;
}

v1::InlineCitation InlineMatcher::Match(absl::string_view text) const {
  v1::InlineCitation verdict;
  std::optional<CitedWork> work = ParseCitedWork(text, style_);
  if (!work) {
    verdict.set_match(v1::MATCH_STATUS_NOT_FOUND);
    verdict.set_problem(
        absl::StrCat("not read as an in-text citation of ", StyleDisplayName(style_)));
    return verdict;
  }
  bool by_title = false;
  const std::vector<int> found = CandidatesFor(*work, &by_title);
  if (found.empty()) {
    verdict.set_match(v1::MATCH_STATUS_NOT_FOUND);
    verdict.set_problem(absl::StrCat("no reference ", WhoIsCited(*work), " in the list"));
    return verdict;
  }

  std::vector<Candidate> candidates;
  for (int index : found) {
    const Reference& reference = references_[index];
    Candidate candidate;
    candidate.reference = index;
    if (!by_title && !reference.group && !work->names.empty()) {
      CompareAuthors(*work, reference, style_, &candidate.findings);
    }
    if (style_ != v1::STYLE_MLA9) CompareYear(*work, reference, &candidate.findings);
    if (style_ == v1::STYLE_MLA9 && !by_title && !work->title.empty() &&
        !TitleStartsWith(reference.title, TitleKey(work->title))) {
      candidate.findings.push_back(
          {kTitleWeight,
           absl::StrCat("the title of ", reference.surnames[0], "'s work in the reference is \"",
                        reference.short_title, "\", not \"", work->title, "\"")});
    }
    for (const Finding& finding : candidate.findings) candidate.weight += finding.weight;
    candidates.push_back(std::move(candidate));
  }

  const int best_weight =
      std::min_element(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        return a.weight < b.weight;
      })->weight;
  std::vector<const Candidate*> best;
  for (const Candidate& candidate : candidates) {
    if (candidate.weight == best_weight) best.push_back(&candidate);
  }
  for (const Candidate* candidate : best) verdict.add_reference_indices(candidate->reference);

  if (best.size() == 1) {
    const Candidate& only = *best[0];
    if (best_weight == 0) {
      verdict.set_match(v1::MATCH_STATUS_MATCHED);
      return verdict;
    }
    verdict.set_match(v1::MATCH_STATUS_MISMATCH);
    std::vector<std::string> problems;
    for (const Finding& finding : only.findings) problems.push_back(finding.problem);
    verdict.set_problem(absl::StrJoin(problems, "; "));
    verdict.set_correction(Correction(*work, references_[only.reference], by_title, style_));
    return verdict;
  }

  verdict.set_match(v1::MATCH_STATUS_AMBIGUOUS);
  std::vector<std::string> described;
  for (const Candidate* candidate : best) {
    described.push_back(Describe(references_[candidate->reference], style_));
  }
  const std::string fitting = absl::StrCat(best.size(), " references ", WhoIsCited(*work));
  if (best_weight > 0) {
    const bool only_suffix_missing =
        std::all_of(best.begin(), best.end(), [](const Candidate* candidate) {
          return candidate->findings.size() == 1 &&
                 absl::StartsWith(candidate->findings[0].problem, "the year suffix is missing");
        });
    if (only_suffix_missing) {
      std::vector<std::string> years;
      for (const Candidate* candidate : best)
        years.push_back(references_[candidate->reference].year);
      verdict.set_problem(absl::StrCat("the year suffix is missing: ", work->year, " could be ",
                                       absl::StrJoin(years, " or ")));
    } else {
      verdict.set_problem(absl::StrCat("no reference fits exactly and ", fitting,
                                       " are equally close: ", absl::StrJoin(described, "; ")));
    }
  } else if (style_ == v1::STYLE_MLA9) {
    verdict.set_problem(absl::StrCat(fitting, " fit; add a short title to tell them apart"));
  } else if (work->et_al && std::any_of(best.begin(), best.end(), [&](const Candidate* candidate) {
               return references_[candidate->reference].keys !=
                      references_[best[0]->reference].keys;
             })) {
    verdict.set_problem(
        absl::StrCat(fitting, " from ", work->year, " fit; name more authors to tell them apart"));
  } else {
    verdict.set_problem(absl::StrCat(fitting, " from ", work->year,
                                     " fit; give them year suffixes (", work->year, "a, ",
                                     work->year, "b) in the reference list and here"));
  }
  return verdict;
}

std::vector<int32_t> UncitedReferences(int reference_count,
                                       const std::vector<v1::InlineCitation>& citations) {
  return Uncited(reference_count, citations);
}

std::vector<int32_t> UncitedReferences(
    int reference_count, const google::protobuf::RepeatedPtrField<v1::InlineCitation>& citations) {
  return Uncited(reference_count, citations);
}

}  // namespace citecheck

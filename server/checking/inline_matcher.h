#ifndef CITECHECK_SERVER_CHECKING_INLINE_MATCHER_H_
#define CITECHECK_SERVER_CHECKING_INLINE_MATCHER_H_

// Matches in-text citations against a document's reference list with deterministic rules: the
// heuristic checker's in-text matching (and the fake LLM's answers in tests).
//
// Each reference is read once with the citation anatomy (citation_anatomy.h) and its author
// list (author_names.h): the surnames (a group author is one name), whether the list is cut
// short with "et al.", the year with its suffix ("2020a" → 2020 + a) and the title. Names are
// compared folded (unicode_text.h FoldForComparison: case, accents and apostrophe forms do not
// matter, "Müller" = "Muller") and without leading particles ("van der Berg" = "Berg").
//
// For one in-text citation (read with ParseCitedWork) the candidates are the references whose
// first author is the citation's first name — or whose group name abbreviates to it ("WHO"),
// or, when nothing else fits, whose title (or the entry itself) starts with the title (or name)
// the citation gives.
// Each candidate is compared on:
//   - the year (APA 7, Chicago 17): a different year, a missing or different suffix;
//   - the other authors: the second (third...) author wrong, missing or not in the reference;
//   - the et-al. rule: APA 7 and MLA 9 name one or two authors and write "et al." for three or
//     more; Chicago 17 names up to three and writes "et al." for four or more;
//   - MLA 9's short title, when one is given.
// The verdict:
//   - MATCHED: exactly one candidate agrees on everything;
//   - AMBIGUOUS: several agree on everything (same author and year: `problem` asks for a/b
//     suffixes, or for more names or a short title), or none does and several are equally
//     close (`problem` says that the year suffix is missing when that is the only difference);
//   - MISMATCH: none agrees and one is closest (a wrong co-author weighs more than a wrong year,
//     which weighs more than a suffix or the et-al. form); `problem` lists what differs
//     ("; "-separated) and `correction` is the citation rewritten with the reference's names and
//     year, keeping its form, prefix, locator and possessive;
//   - NOT_FOUND: no candidate (`problem` says whose work is missing).
// reference_indices: the reference for MATCHED and MISMATCH, every candidate for AMBIGUOUS,
// none for NOT_FOUND.
//
// Thread-safe after construction (Match is const).

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"
#include "google/protobuf/repeated_field.h"
#include "server/checking/cited_work.h"

namespace citecheck {

class InlineMatcher {
 public:
  // Reads `references` (reference i is the job's citation i) for `style` (STYLE_UNSPECIFIED
  // means APA 7).
  InlineMatcher(v1::Style style, const std::vector<std::string>& references);

  // The verdict for the in-text citation `text` (as the extractor wrote it): match,
  // reference_indices, problem and correction. index, text, offset and error are left unset.
  v1::InlineCitation Match(absl::string_view text) const;

  int reference_count() const { return static_cast<int>(references_.size()); }

  // One reference as the matcher reads it.
  struct Reference {
    std::vector<std::string> surnames;  // as written; a group author is one name
    std::vector<std::string> keys;      // NameKey of each surname
    bool group = false;                 // the first author is a group
    std::string initials;               // of a group name: "who" for World Health Organization
    bool truncated = false;             // the list ends in "et al." or skips names
    int author_count = 0;               // names, at least 3 when truncated
    std::string year;                   // as written: "2020a", "n.d.", "" when unknown
    std::string year_base;              // folded: "2020", "n.d.", "in press"
    std::string year_suffix;            // "a", or ""
    std::string title;                  // folded, italic markers dropped
    std::string opening;                // the whole entry folded the same way (a title that
                                        // opens an entry is not always read as its title)
    std::string short_title;            // as written, for corrections
    bool title_italic = false;          // the title is set in italics (else quoted or plain)
  };

 private:
  // The references `work` may cite; *by_title tells that they were found by title (so their
  // authors are not compared).
  std::vector<int> CandidatesFor(const CitedWork& work, bool* by_title) const;

  v1::Style style_;
  std::vector<Reference> references_;
  // First-author key → references, in index order.
  absl::flat_hash_map<std::string, std::vector<int>> by_first_author_;
};

// The key names are compared by: folded, without leading particles and a bracketed
// abbreviation ("Van der Berg" → "berg", "World Health Organization [WHO]" → "world health
// organization").
std::string NameKey(absl::string_view name);

// Indices (ascending) of the references, 0..reference_count-1, that no citation lists in its
// reference_indices: the job's uncited_references once every in-text citation has its outcome.
std::vector<int32_t> UncitedReferences(int reference_count,
                                       const std::vector<v1::InlineCitation>& citations);
std::vector<int32_t> UncitedReferences(
    int reference_count, const google::protobuf::RepeatedPtrField<v1::InlineCitation>& citations);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_INLINE_MATCHER_H_

#ifndef CITECHECK_SERVER_CHECKING_CITED_WORK_H_
#define CITECHECK_SERVER_CHECKING_CITED_WORK_H_

// The grammar of in-text citations: reading one cited work from its text (ParseCitedWork),
// writing one back (FormatCitedWork), and the pieces the extractor (inline_extractor.h) scans a
// body with. Pure functions; no I/O.
//
// Forms read, per style (DESIGN.md "Documents"):
//   APA 7 and Chicago 17 (author-date):
//     parenthetical   (Smith, 2020)  (Smith & Lee, 2020, p. 4)  (Smith et al., 2020a)
//                     (Smith 2020, 45)  (Smith, Lee, and Brown 2020)  (see also Smith, n.d.)
//                     ("Title of Article," 2020)  (World Health Organization [WHO], 2020)
//     group member    Lee, 2019   (one work of "(Lee, 2019; Smith, 2020)", without parentheses)
//     narrative       Smith (2020)  Smith and Lee (2020, p. 4)  Smith et al.'s (2020a)
//   MLA 9 (author-page):
//     parenthetical   (Smith 45)  (Smith and Lee 45–46)  (Smith et al. 12)  (Smith, "Title" 4)
//                     (Smith, Italic Title 4) (its italics lost in plain text, or _Title_)
//                     ("Short Title" 45)  (qtd. in Smith 45)  (Smith and Lee)
//     group member    Lee 12
// APA and Chicago accept each other's punctuation between author and year ("Smith 2020" in APA
// is read, not rejected): the matcher judges the works, not the commas.
//
// Names: a surname ("Smith", "O'Brien", "Smith-Jones", "McDonald", "Müller", "d'Alembert",
// "van der Berg"), or a group name of capitalised words joined by of/for/the/on/in/at
// ("World Health Organization", "National Institute of Mental Health"), optionally followed by
// a bracketed abbreviation ("[WHO]"). Names are joined by "&"/"and" (with commas in longer
// lists) and may end in "et al.". Words that label parts of a text (Table, Figure, Chapter,
// Study, ...) never start a name, so "(Table 2)" is no citation.
//
// Years: four digits starting 1 or 2 with an optional lower-case suffix ("2020a"), "n.d.",
// "in press", the latter two with an optional "-a" suffix.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

// One cited work, read from an in-text citation's text.
struct CitedWork {
  enum class Form {
    kParenthetical,  // "(Smith, 2020)": the whole parenthesis is the work's text
    kGroupMember,    // "Lee, 2019": one work inside a parenthesis with others
    kNarrative,      // "Smith (2020)"
  };
  Form form = Form::kParenthetical;
  // Words before the authors inside the parenthesis, as written: "see also ", "e.g., ".
  std::string prefix;
  // The names as written, without "et al." and without a bracketed abbreviation: {"Smith",
  // "Lee"}. Empty when a title stands for the author.
  std::vector<std::string> names;
  // The bracketed abbreviation of a group author ("WHO" for "[WHO]"), else "".
  std::string abbreviation;
  bool et_al = false;
  // "and" or "&": what joins the last name (when there are several); "" otherwise.
  std::string connector;
  // A title standing for the author (no-author works, '"Title of Article," 2020'), or an MLA
  // short title after the author ('Smith, "Title" 4', 'Smith, _Title_ 4'); without quotation
  // marks, italic markers or the comma that may end it inside the quotes. "" when none.
  std::string title;
  // The title was set in italics (written without quotation marks); else it is quoted.
  bool title_italic = false;
  // Author-date: the year as written ("2020a", "n.d."). Empty for MLA.
  std::string year;
  // The locator after the year (author-date) or the authors (MLA): "p. 4", "45–46". "" when none.
  std::string locator;
  // Narrative only: the possessive ending as written ("'s", "’s", "'"), else "".
  std::string possessive;
};

// Reads `text` as one cited work of `style` in any of the three forms (the text the extractor
// gives it, see inline_extractor.h). A parenthesis holding several works yields its first.
// nullopt when `text` is not an in-text citation of `style`.
std::optional<CitedWork> ParseCitedWork(absl::string_view text, v1::Style style);

// Writes `work` the way `style` writes an in-text citation in the same form: the names joined
// as the style and form want ("Smith & Lee" in APA parentheses, "Smith and Lee" in APA
// narrative, MLA and Chicago; "Smith, Lee, and Brown" for three in Chicago; "Smith et al."),
// the style's punctuation between author and year or page, the prefix, locator and possessive
// kept. Group members are written without parentheses or prefix.
std::string FormatCitedWork(const CitedWork& work, v1::Style style);

// ---- building blocks of the extractor ---------------------------------------------------------

// A half-open byte range of a scanned text.
struct ByteSpan {
  size_t begin = 0;
  size_t end = 0;
  size_t size() const { return end - begin; }
};

// The content of a parenthesis split at its top-level semicolons (not inside nested
// parentheses or brackets), each part trimmed of whitespace; one part when there is none.
std::vector<ByteSpan> SplitCitationSegments(absl::string_view content);

// One parenthetical segment (the text between "(" / ";" and ";" / ")") read as a work.
struct SegmentParse {
  // form kGroupMember; `year` holds the first year (author-date).
  CitedWork work;
  // The authors (or title) as written, from after the prefix to the end of the names.
  ByteSpan authors;
  // Each year of an author-date segment ("Smith, 2019, 2020a" has two); empty for MLA.
  std::vector<ByteSpan> years;
  // The locator, when there is one.
  std::optional<ByteSpan> locator;
};

// Reads a trimmed parenthetical segment of `style`; nullopt when it is no citation.
std::optional<SegmentParse> ParseCitationSegment(absl::string_view segment, v1::Style style);

// Reads a narrative citation's parenthesis content ("2020", "2019, 2020a, p. 4"): years (at
// least one) and a locator; no authors. nullopt when it is not that.
std::optional<SegmentParse> ParseYearsSegment(absl::string_view segment);

// The authors of a narrative citation written right before text[paren] == '(' ("...as Smith
// and Lee (2020)"): names, et al. and possessive filled in `work` (form kNarrative); `authors`
// gets the names' span (without the possessive). nullopt when no name ends there.
struct NarrativeAuthors {
  CitedWork work;
  ByteSpan authors;
};
std::optional<NarrativeAuthors> FindNarrativeAuthors(absl::string_view text, size_t paren);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_CITED_WORK_H_

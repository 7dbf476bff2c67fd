#include "server/checking/prompts.h"

#include "absl/strings/str_cat.h"
#include "server/common/style_name.h"

namespace citecheck {
namespace {

// The style-specific part of each prompt: the main rules of its reference-list entries.

constexpr absl::string_view kApa7Rules = R"(APA 7 REFERENCE-LIST RULES (the main ones)
- Authors: "Surname, I. I." with initials only, e.g. Lee, K. M. Separate authors with commas and
  put a comma and "&" before the last one: Lee, K. M., Ortiz, A., & Chen, Y. List up to 20
  authors; with 21 or more, list the first 19, then ". . ." and the last author. A group author
  (an agency, a company) is written out in full.
- Date: the year in parentheses right after the authors, followed by a period: (2021). Webpages
  and news items may give (2021, March 4). No date is written (n.d.).
- Titles of articles, chapters, webpages and reports: sentence case (only the first word, the
  first word after a colon, and proper nouns capitalized), no quotation marks.
- Books and reports: title in sentence case and in italics, then the edition if any, e.g.
  _Learning statistics_ (2nd ed.). Publisher name only, no place of publication.
- Journals: the journal name in title case and italics, then the volume in italics and the issue
  in parentheses, not italic: _Journal of Applied Psychology_, _106_(3), 412–430.
- Book chapters: In I. Editor (Ed.), _Book title in sentence case_ (pp. 15–38). Publisher.
- Theses, data sets and software: _Title_ [Doctoral dissertation, University]. _Title_ [Data
  set]. Publisher. _Title_ (Version 2.1) [Computer software]. Publisher.
- References without an author start with the title, then the date: _Title_. (2020).
- Pages: a range joined by an en dash (412–430); no "pp." for journal articles.
- DOI: written as a link, https://doi.org/10.xxxx/yyyy, with no "doi:" label and no period at
  the end. Use a URL only when there is no DOI; no "Retrieved from" unless a retrieval date is
  needed.
- Punctuation: every element ends with a period, except a DOI or URL.
)";

constexpr absl::string_view kMla9Rules = R"(MLA 9 WORKS-CITED RULES (the main ones)
- Authors: the first author inverted with the full given name, "Surname, Given Name." Two
  authors: Surname, Given, and Given Surname. Three or more: the first author followed by
  ", et al."
- Titles: title case. The title of the source goes in quotation marks when it is part of a
  larger work (articles, chapters, poems, webpages: "How Readers Judge Sources.") and in italics
  when it stands alone (books, reports, films, whole websites).
- Container (journal, magazine, book of a chapter, website): title case, in italics, followed by
  a comma: _Journal of Modern Literature_,
- Then, when they apply, in this order and separated by commas: other contributors (edited by
  ...), version (2nd ed.), number (vol. 12, no. 3), publisher, date, location.
- Dates: day month year with abbreviated months (4 Mar. 2021); a year alone is fine for
  journals.
- Pages: "p." for one page, "pp." for a range: pp. 45-67.
- Chapters: "Chapter Title." _Book Title_, edited by Given Surname, Publisher, 2021, pp. 15-38.
  Editors of a whole book: "Surname, Given, editor." with the role in words, never
  abbreviated in parentheses.
- DOI: preferred over a URL, written https://doi.org/10.xxxx/yyyy; a URL may keep its
  "https://". The entry ends with a period.
- Publisher: omitted for journals, magazines, newspapers and websites whose name is the
  publisher's; "University Press" is written "UP".
- Punctuation: a period after the author and after the title;
commas between the elements of a container; a period at the end of each container.
)";

constexpr absl::string_view kChicago17Rules =
    R"(CHICAGO 17 AUTHOR-DATE REFERENCE-LIST RULES (the main ones)
- Authors: the first author inverted, "Surname, Given Name"; the others in normal order, with
  "and" before the last: Surname, Given, and Given Surname. Particles follow the given names of
  the inverted first author when the surname is alphabetized without them ("Berg, Sophie van
  der"). Editors of a whole book: "Doe, Rachel, ed." / "eds.". Up to ten authors are listed;
  with more than ten, the first seven followed by "et al."
- Date: the year follows the authors as an element of its own, without parentheses:
  "Smith, John. 2021." or "n.d." when there is none; never after the publisher.
- Titles: headline-style title case (major words capitalized). Articles, chapters and web pages
  go in quotation marks; books and journal names go in italics.
- Journal articles: Surname, Given. 2021. "Title of the Article." _Journal Name_ 12, no. 3:
  45–67. https://doi.org/10.xxxx/yyyy. (The form 12 (3): 45–67 is also accepted.)
- Books: Surname, Given. 2021. _Title of the Book_. 2nd ed. Place: Publisher. The place of
  publication comes before the publisher.
- Book chapters: Surname, Given. 2021. "Chapter Title." In _Book Title_, edited by Given
  Surname, 15–38. Place: Publisher.
- Web pages: Surname, Given (or the owner). 2021. "Page Title." Site Name. Month Day, Year, or
  Accessed Month Day, Year. URL.
- Pages: a range joined by an en dash (45–67); no "pp.".
- DOI: preferred over a URL, written https://doi.org/10.xxxx/yyyy, followed by a period.
- Punctuation: elements separated by periods; the entry ends with a period.
)";

// The shared part: `style_name` is e.g. "APA 7", `what` "reference-list entries".
std::string BuildPrompt(absl::string_view style_name, absl::string_view what,
                        absl::string_view rules, absl::string_view success_line) {
  return absl::StrCat("You check ", what, " against the ", style_name,
                      R"( style and report every formatting error you find. You
only check and correct formatting: you never add facts that the citation does not contain.

)",
                      rules, R"(
THE CITATIONS
The user message holds the citations to check, numbered from 1 in the form "1. <citation>", one
citation per number, separated by blank lines. The number is not part of the citation. Italics in
the input are written with underscores: _x_ means x is in italics.

NEVER INVENT DATA
Do not guess, look up or make up anything a citation does not contain: no DOI, page numbers,
year, volume, issue, publisher, place, editor or name. When an element the style requires is
missing, report it as an error and write a placeholder for it, both in "Should be:" and in the
corrected citation: [MISSING: element], for example [MISSING: DOI], [MISSING: pages],
[MISSING: year], [MISSING: publisher]. Keep every fact that is present exactly as it is
(spelling of names, numbers, words of titles); only change its form.

ANSWER FORMAT
Answer with exactly one block per numbered citation, in the order given, and nothing else: no
introduction, no summary, no notes, no code fences. Each block is exactly:

CITATION #<n>
ORIGINAL:
<the citation exactly as given, without its number>
SOURCE TYPE: <journal article | book | edited book | book chapter | conference paper | webpage | report | thesis | dataset | software | other>
VALIDATION RESULTS:
<either the single line below, when the citation has no errors:>
)",
                      success_line, R"(
<or, for each error, these two lines:>
❌ <Component>: <what is wrong>
   Should be: <the correct form of that component>
CORRECTED CITATION:
<the full corrected citation on one line>

Rules for the blocks:
- <n> is the citation's number from the user message; leave one blank line between blocks.
- Write the success line exactly as shown, and only when there are no errors at all.
- <Component> is a short name of the part at fault: Authors, Date, Title, Journal, Container,
  Volume, Issue, Pages, DOI, URL, Publisher, Edition, Editors, Punctuation, Capitalization or
  Italics.
- In "Should be:" and in the corrected citation write italics as _x_ and bold as **x**; use no
  other markup.
- The corrected citation is the whole citation with every error fixed and [MISSING: element] in
  place of each missing element. When there are no errors, repeat the original unchanged.
- Report only real departures from )",
                      style_name, R"( rules, each problem once; matters of taste are not errors.
)");
}

}  // namespace

absl::string_view SystemPrompt(v1::Style style) {
  switch (style) {
    case v1::STYLE_MLA9: {
      static const std::string* const kPrompt = new std::string(BuildPrompt(
          StyleDisplayName(style), "works-cited entries", kMla9Rules, SuccessLine(style)));
      return *kPrompt;
    }
    case v1::STYLE_CHICAGO17: {
      static const std::string* const kPrompt =
          new std::string(BuildPrompt(StyleDisplayName(style), "author-date reference-list entries",
                                      kChicago17Rules, SuccessLine(style)));
      return *kPrompt;
    }
    default: {
      static const std::string* const kPrompt =
          new std::string(BuildPrompt(StyleDisplayName(v1::STYLE_APA7), "reference-list entries",
                                      kApa7Rules, SuccessLine(v1::STYLE_APA7)));
      return *kPrompt;
    }
  }
}

std::string SuccessLine(v1::Style style) {
  return absl::StrCat("✓ No ", StyleDisplayName(style), " formatting errors detected");
}

std::string NumberedCitations(const std::vector<std::string>& citations) {
  std::string message;
  for (size_t i = 0; i < citations.size(); ++i) {
    if (i > 0) message += "\n\n";
    absl::StrAppend(&message, i + 1, ". ", citations[i]);
  }
  return message;
}

}  // namespace citecheck

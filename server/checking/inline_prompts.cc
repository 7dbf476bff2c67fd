#include "server/checking/inline_prompts.h"

#include "absl/strings/str_cat.h"
#include "server/checking/prompts.h"
#include "server/checking/unicode_text.h"
#include "server/common/style_name.h"

namespace citecheck {
namespace {

constexpr absl::string_view kApa7Rules = R"(APA 7 IN-TEXT CITATION RULES (author-date)
- Parenthetical: (Surname, 2020); two authors joined by "&": (Surname & Surname, 2020); three or
  more authors: the first author and "et al." from the first citation on: (Surname et al., 2020).
- Narrative: Surname (2020), Surname and Surname (2020) ("and", not "&"), Surname et al. (2020).
- Group authors are written in full, or abbreviated once the abbreviation has been given:
  (World Health Organization [WHO], 2020), then (WHO, 2020).
- A work without an author is cited by its title: ("Title of Article," 2020), (_Book Title_, 2020).
- Works by the same author(s) in the same year carry the suffixes a, b, ... in the reference
  list and in the text: (Surname, 2020a). No date: (Surname, n.d.).
- Page numbers follow the year: (Surname, 2020, p. 4), (Surname, 2020, pp. 4-6). Several works
  in one parenthesis are separated by semicolons.
)";

constexpr absl::string_view kMla9Rules = R"(MLA 9 IN-TEXT CITATION RULES (author-page)
- (Surname 45); two authors joined by "and": (Surname and Surname 45-46); three or more authors:
  the first author and "et al.": (Surname et al. 12). No comma between author and page, no year.
- When the list holds several works by the same author, a short title tells them apart:
  (Surname, "Short Title" 45) or (Surname, _Short Title_ 45).
- A work without an author is cited by a short title: ("Short Title" 45).
- Several works in one parenthesis are separated by semicolons.
)";

constexpr absl::string_view kChicago17Rules =
    R"(CHICAGO 17 IN-TEXT CITATION RULES (author-date system)
- (Surname 2020, 45): no comma between author and year, a comma before the page.
- Two or three authors are all named: (Surname and Surname 2020), (Surname, Surname, and
  Surname 2020); four or more: the first author and "et al.": (Surname et al. 2020).
- Narrative: Surname (2020, 45).
- Works by the same author(s) in the same year carry the suffixes a, b, ...: (Surname 2020a).
  No date: (Surname n.d.).
- Several works in one parenthesis are separated by semicolons.
)";

std::string BuildPrompt(absl::string_view style_name, absl::string_view rules) {
  return absl::StrCat(
      "You check the in-text citations of a paper against its reference list, following the ",
      style_name, R"( style. You only compare them: you never invent references, authors,
years or pages.

)",
      rules, R"prompt(
HOW TO JUDGE EACH IN-TEXT CITATION
- "matched": exactly one reference fits (its first author's surname, and the year where the
  style has one) and nothing else disagrees.
- "mismatch": a reference by that first author exists but something disagrees: the year (or its
  a/b suffix), the second author missing or wrong, or the et-al. rule of the style. Give that one
  reference, say in "problem" what differs, and write in "correction" the in-text citation as it
  should be (the same form, parenthetical or narrative, keeping its page numbers).
- "not_found": no reference by that author (or with that title).
- "ambiguous": several references fit equally, e.g. two by the same author and year. List every
  candidate and say in "problem" what is missing (for example the year suffix).
Compare names ignoring case and accents ("Müller" is "Muller").

THE INPUT
The user message holds "REFERENCES:" with the reference list numbered from 1 ("1. <reference>"),
then "IN-TEXT CITATIONS:" with one in-text citation per line as "<id>: <citation>", for example
"c3: (Smith, 2020, p. 4)". Italics in references are written _x_.

ANSWER FORMAT
Answer with exactly one JSON object and nothing else:
{"results": [{"id": "c3", "match": "mismatch", "references": [2], "problem": "the year is 2019 in the reference", "correction": "(Smith, 2019, p. 4)"}]}
- One entry per in-text citation of the message, with its id exactly as given.
- "match" is one of "matched", "mismatch", "not_found", "ambiguous".
- "references" holds numbers of the reference list (1-based): exactly one for "matched" and
  "mismatch", every candidate for "ambiguous", none ([]) for "not_found".
- "problem" and "correction" are "" when they do not apply.
)prompt");
}

}  // namespace

absl::string_view InlineSystemPrompt(v1::Style style) {
  switch (style) {
    case v1::STYLE_MLA9: {
      static const std::string* const kPrompt =
          new std::string(BuildPrompt(StyleDisplayName(style), kMla9Rules));
      return *kPrompt;
    }
    case v1::STYLE_CHICAGO17: {
      static const std::string* const kPrompt =
          new std::string(BuildPrompt(StyleDisplayName(style), kChicago17Rules));
      return *kPrompt;
    }
    default: {
      static const std::string* const kPrompt =
          new std::string(BuildPrompt(StyleDisplayName(v1::STYLE_APA7), kApa7Rules));
      return *kPrompt;
    }
  }
}

std::string InlineCitationId(int index) { return absl::StrCat("c", index + 1); }

std::string InlineUserMessage(const std::vector<std::string>& references,
                              const std::vector<InlineQuery>& citations) {
  std::string message = "REFERENCES:\n";
  for (size_t i = 0; i < references.size(); ++i) {
    absl::StrAppend(&message, i + 1, ". ", CollapseWhitespace(references[i]), "\n");
  }
  absl::StrAppend(&message, "\nIN-TEXT CITATIONS:");
  for (const InlineQuery& citation : citations) {
    absl::StrAppend(&message, "\n", InlineCitationId(citation.index), ": ",
                    CollapseWhitespace(citation.text));
  }
  return message;
}

}  // namespace citecheck

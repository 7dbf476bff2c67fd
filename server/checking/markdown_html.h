#ifndef CITECHECK_SERVER_CHECKING_MARKDOWN_HTML_H_
#define CITECHECK_SERVER_CHECKING_MARKDOWN_HTML_H_

// The one conversion from the markdown citations and LLM answers carry to the HTML of the API's
// rich fields (CitationResult.original and corrected_citation, CitationError.correction), used
// by the LLM answer parser and the heuristic rules alike. Pure functions.

#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// `**x**` → <strong>x</strong>, then `_x_` → <em>x</em>, then `*x*` → <em>x</em>; x is non-empty
// and neither starts nor ends with a space. A `_` only delimits italics at a word edge: the code
// point outside it is the text's end, whitespace or punctuation (ASCII or typographic: quotes,
// dashes, guillemets), so snake_case and DOIs like "10.1000/abc_def" stay as they are.
// Whitespace-free tokens that look like links ("https://…", "www.…", "doi:…") are never touched.
// A marker without a partner is kept as is; whitespace is kept.
std::string MarkdownToHtml(absl::string_view text);

// `text` with its italic underscores (those at a word edge, as above) removed:
// "_Journal_" → "Journal", "snake_case" unchanged.
std::string WithoutItalicMarkers(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_MARKDOWN_HTML_H_

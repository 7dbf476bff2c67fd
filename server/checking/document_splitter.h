#ifndef CITECHECK_SERVER_CHECKING_DOCUMENT_SPLITTER_H_
#define CITECHECK_SERVER_CHECKING_DOCUMENT_SPLITTER_H_

// Splits a whole paper (SubmitBatchRequest.document) into its body and its reference list.
// Pure functions; no limits are applied here.
//
// The reference section starts at the LAST heading whose whole text — trimmed, whitespace runs
// as one space, case-insensitive, a trailing colon ignored — is one of References, Reference
// list, Bibliography, Works cited, Literature cited, Sources, Sources cited, References cited.
// A heading is:
//   - in text: a line of its own (markdown decoration is tolerated: "## References",
//     "**References**");
//   - in HTML: an <h1>..<h6> element, or a <p> whose only content is one <strong>/<b> element
//     (whitespace, <br> and <span>/<font> wrappers around it are allowed; anything inside it).
// Everything after the heading is the reference list, split exactly as `text`/`html` input is
// (input_parser.h). Everything before it is the body, kept as plain text for in-text
// extraction: "\r\n" (and a lone "\r") become "\n" first; HTML is converted by
// HtmlToPlainText (html_text.h). In-text citation offsets index into DocumentParts::body.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.pb.h"

namespace citecheck {

struct DocumentParts {
  // The body's plain text, before the reference heading.
  std::string body;
  // The references after the heading (may be empty), in order: reference i is the job's
  // citation i.
  std::vector<std::string> references;
};

// INVALID_ARGUMENT NO_REFERENCE_SECTION (BadRequest field "document") when there is no heading.
absl::StatusOr<DocumentParts> SplitDocumentText(absl::string_view text);
absl::StatusOr<DocumentParts> SplitDocumentHtml(absl::string_view html);
// Dispatches on the body's kind; a document with neither body is NO_REFERENCE_SECTION too.
absl::StatusOr<DocumentParts> SplitDocument(const v1::Document& document);

// True when `heading` (a heading's text, entities already decoded) names a reference section.
bool IsReferenceHeading(absl::string_view heading);

// `text` with "\r\n" and lone "\r" turned into "\n" (byte offsets after it are what the
// document's in-text citations report).
std::string NormalizeLineEnds(absl::string_view text);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_CHECKING_DOCUMENT_SPLITTER_H_

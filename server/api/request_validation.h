#ifndef CITECHECK_SERVER_API_REQUEST_VALIDATION_H_
#define CITECHECK_SERVER_API_REQUEST_VALIDATION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/api/submit_batch_wire.pb.h"
#include "server/checking/checker.h"
#include "server/jobs/job_manager.h"

namespace citecheck {

// Limits on one SubmitBatch request (flags --max_batch_citations, --max_request_bytes).
struct SubmitLimits {
  int max_batch_citations = 1000;
  size_t max_citation_bytes = 4096;            // UTF-8 bytes per citation, after conversion
  size_t max_request_bytes = 4 * 1024 * 1024;  // the serialized request
  int max_inline_citations = 1000;             // in-text citations per document
};

// Checks a serialized SubmitBatchRequest and turns it into a BatchSpec, in this order:
// REQUEST_TOO_LARGE (bytes), then field by field INVALID_REQUEST_ID, UNSUPPORTED_STYLE,
// UNSUPPORTED_MODEL, INVALID_UTF8, EMPTY_BATCH, TOO_MANY_CITATIONS, CITATION_TOO_LONG — each an
// INVALID_ARGUMENT with a BadRequest naming the field ("request_id", "style", "model", "text",
// "html", "citations.items[3]"). Bytes that do not parse as a request at all are
// INVALID_ARGUMENT with reason MALFORMED_REQUEST.
// A `document` is split at its reference heading (NO_REFERENCE_SECTION without one); its
// references are the citations, limited as above; its body's in-text citations are extracted
// (TOO_MANY_INLINE_CITATIONS beyond max_inline_citations). Document errors name "document".
// `checker` answers which model names are allowed.
absl::StatusOr<BatchSpec> ValidateSubmitBatch(absl::string_view serialized_request,
                                              const SubmitLimits& limits,
                                              const Checker& checker);

// The same for an already-parsed wire request (used by the function above and by tests).
absl::StatusOr<BatchSpec> ValidateSubmitBatch(const internal::SubmitBatchWire& request,
                                              size_t request_bytes, const SubmitLimits& limits,
                                              const Checker& checker);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_REQUEST_VALIDATION_H_

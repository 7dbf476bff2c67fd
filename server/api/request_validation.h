#ifndef CITECHECK_SERVER_API_REQUEST_VALIDATION_H_
#define CITECHECK_SERVER_API_REQUEST_VALIDATION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
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

// Bytes per request of every RPC but SubmitBatch (whose limit is SubmitLimits::max_request_bytes):
// their requests are a job id, a page token or a grant, far below this.
inline constexpr size_t kMaxSmallRequestBytes = 64 * 1024;

// Parses the request bytes `bytes` into its wire twin `out`: INVALID_ARGUMENT REQUEST_TOO_LARGE
// (ErrorInfo metadata "max_request_bytes") when longer than `max_bytes`, INVALID_ARGUMENT
// MALFORMED_REQUEST when they are not a `out`. `what` names the request in the message
// ("a GetJobRequest").
absl::Status ParseRequest(absl::string_view bytes, size_t max_bytes, absl::string_view what,
                          google::protobuf::MessageLite* out);

// OK when `value` is strict UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF); else INVALID_ARGUMENT INVALID_UTF8 with a BadRequest naming `field`.
absl::Status CheckUtf8(absl::string_view value, absl::string_view field);

// Checks a serialized SubmitBatchRequest and turns it into a BatchSpec, in this order:
// REQUEST_TOO_LARGE (bytes), INVALID_UTF8 of request_id or model, then field by field
// INVALID_REQUEST_ID, UNSUPPORTED_STYLE, UNSUPPORTED_MODEL, INVALID_UTF8 of the input,
// EMPTY_BATCH, TOO_MANY_CITATIONS, CITATION_TOO_LONG — each an INVALID_ARGUMENT with a BadRequest
// naming the field ("request_id", "style", "model", "text", "html", "citations.items[3]"). Bytes
// that do not parse as a request at all are INVALID_ARGUMENT with reason MALFORMED_REQUEST. A
// `document` is split at its reference heading (NO_REFERENCE_SECTION without one); its references
// are the citations, limited as above; its body's in-text citations are extracted
// (TOO_MANY_INLINE_CITATIONS beyond max_inline_citations). Document errors name "document".
// `checker` answers which model names are allowed.
absl::StatusOr<BatchSpec> ValidateSubmitBatch(absl::string_view serialized_request,
                                              const SubmitLimits& limits, const Checker& checker);

// The same for an already-parsed wire request (used by the function above and by tests).
absl::StatusOr<BatchSpec> ValidateSubmitBatch(const internal::SubmitBatchWire& request,
                                              size_t request_bytes, const SubmitLimits& limits,
                                              const Checker& checker);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_REQUEST_VALIDATION_H_

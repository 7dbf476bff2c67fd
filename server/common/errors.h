#ifndef CITECHECK_SERVER_COMMON_ERRORS_H_
#define CITECHECK_SERVER_COMMON_ERRORS_H_

// Errors inside citecheck are absl::Status values. Each error the API can return carries a
// machine-readable reason (google.rpc.ErrorInfo, domain "citecheck.v1") and, where it helps the
// caller, a BadRequest field violation, a QuotaFailure or a RetryInfo. They travel as absl
// payloads keyed by their type URL and become google.rpc.Status details at the API border
// (ToRpcStatus), so code between the border and the error's origin never needs to know gRPC.

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/rpc/status.pb.h"

namespace citecheck {

inline constexpr absl::string_view kErrorDomain = "citecheck.v1";

// The reasons of DESIGN §1, as constants so that a typo is a compile error.
namespace reason {
inline constexpr absl::string_view kEmptyBatch = "EMPTY_BATCH";
inline constexpr absl::string_view kTooManyCitations = "TOO_MANY_CITATIONS";
inline constexpr absl::string_view kCitationTooLong = "CITATION_TOO_LONG";
inline constexpr absl::string_view kRequestTooLarge = "REQUEST_TOO_LARGE";
inline constexpr absl::string_view kInvalidUtf8 = "INVALID_UTF8";
inline constexpr absl::string_view kUnsupportedStyle = "UNSUPPORTED_STYLE";
inline constexpr absl::string_view kUnsupportedModel = "UNSUPPORTED_MODEL";
inline constexpr absl::string_view kInvalidRequestId = "INVALID_REQUEST_ID";
inline constexpr absl::string_view kRequestIdReused = "REQUEST_ID_REUSED";
inline constexpr absl::string_view kInvalidGrant = "INVALID_GRANT";
inline constexpr absl::string_view kOrderIdReused = "ORDER_ID_REUSED";
inline constexpr absl::string_view kMalformedRequest = "MALFORMED_REQUEST";
inline constexpr absl::string_view kNoReferenceSection = "NO_REFERENCE_SECTION";
inline constexpr absl::string_view kTooManyInlineCitations = "TOO_MANY_INLINE_CITATIONS";
inline constexpr absl::string_view kInvalidPageToken = "INVALID_PAGE_TOKEN";
inline constexpr absl::string_view kJobNotFound = "JOB_NOT_FOUND";
inline constexpr absl::string_view kSequenceOutOfRange = "SEQUENCE_OUT_OF_RANGE";
inline constexpr absl::string_view kDailyLimitReached = "DAILY_LIMIT_REACHED";
inline constexpr absl::string_view kQueueFull = "QUEUE_FULL";
inline constexpr absl::string_view kTooManyStreams = "TOO_MANY_STREAMS";
inline constexpr absl::string_view kAdminKeyRequired = "ADMIN_KEY_REQUIRED";
inline constexpr absl::string_view kTooManyAdminAttempts = "TOO_MANY_ADMIN_ATTEMPTS";
inline constexpr absl::string_view kServerShuttingDown = "SERVER_SHUTTING_DOWN";
inline constexpr absl::string_view kDatabaseUnavailable = "DATABASE_UNAVAILABLE";
inline constexpr absl::string_view kInternal = "INTERNAL";
// Item failures.
inline constexpr absl::string_view kLlmUnavailable = "LLM_UNAVAILABLE";
inline constexpr absl::string_view kLlmRateLimited = "LLM_RATE_LIMITED";
inline constexpr absl::string_view kLlmQuotaExhausted = "LLM_QUOTA_EXHAUSTED";
inline constexpr absl::string_view kLlmRejected = "LLM_REJECTED";
inline constexpr absl::string_view kLlmBadAnswer = "LLM_BAD_ANSWER";
inline constexpr absl::string_view kJobDeadlineExceeded = "JOB_DEADLINE_EXCEEDED";
inline constexpr absl::string_view kWorkerLost = "WORKER_LOST";
}  // namespace reason

// Returns a status with `code`, `message` and an ErrorInfo carrying `reason`.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message);

// Shorthand for an INVALID_ARGUMENT error about one field: ErrorInfo `reason` plus a BadRequest
// field violation naming `field` (e.g. "citations.items[3]").
absl::Status FieldError(absl::string_view reason, absl::string_view field,
                        absl::string_view description);

// Adds one ErrorInfo metadata entry. REQUIRES: `status` was made by MakeError or FieldError.
void AddErrorMetadata(absl::Status& status, absl::string_view key, absl::string_view value);
// Adds a QuotaFailure violation.
void AddQuotaFailure(absl::Status& status, absl::string_view subject,
                     absl::string_view description);
// Adds a RetryInfo with `delay` (rounded to milliseconds).
void AddRetryInfo(absl::Status& status, absl::Duration delay);

// The ErrorInfo reason of `status`, or "" when it carries none.
std::string ErrorReason(const absl::Status& status);
// The ErrorInfo metadata of `status` (empty when none).
std::map<std::string, std::string> ErrorMetadata(const absl::Status& status);

// Converts to a google.rpc.Status holding every detail of `status`. An error without a reason
// gets reason INTERNAL and a generic message, so that no internal text leaks to clients.
google::rpc::Status ToRpcStatus(const absl::Status& status);
// The inverse of ToRpcStatus (used by clients and tests).
absl::Status FromRpcStatus(const google::rpc::Status& status);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_ERRORS_H_

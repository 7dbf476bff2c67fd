#ifndef CITECHECK_CLIENT_ERROR_DETAILS_H_
#define CITECHECK_CLIENT_ERROR_DETAILS_H_

// Decoding of the rich error model citecheck uses: every non-OK status carries a google.rpc.Status
// in `grpc-status-details-bin` (grpc::Status::error_details()) whose details hold an ErrorInfo
// (domain "citecheck.v1") and optionally a BadRequest, QuotaFailure and RetryInfo. The same
// google.rpc.Status also appears inside messages (Job.error, ItemFailure.status), hence the
// overloads taking the proto directly.
//
// Every helper is total: missing or undecodable details give an empty result, never an error.

#include <grpcpp/support/status.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "google/rpc/status.pb.h"

namespace citecheck::client {

inline constexpr char kErrorDomain[] = "citecheck.v1";

// The google.rpc.Status in `status.error_details()`, or nullopt when the status is OK, carries no
// details or they do not parse.
std::optional<google::rpc::Status> DecodeStatusDetails(const grpc::Status& status);

// The reason of the first ErrorInfo, or "" when there is none.
std::string ErrorReason(const grpc::Status& status);
std::string ErrorReason(const google::rpc::Status& status);

// The metadata of the first ErrorInfo (empty when there is none).
std::map<std::string, std::string> ErrorMetadata(const grpc::Status& status);
std::map<std::string, std::string> ErrorMetadata(const google::rpc::Status& status);

// Every BadRequest field violation as (field, description), in order.
std::vector<std::pair<std::string, std::string>> FieldViolations(const grpc::Status& status);
std::vector<std::pair<std::string, std::string>> FieldViolations(const google::rpc::Status& status);

// Every QuotaFailure violation as (subject, description), in order.
std::vector<std::pair<std::string, std::string>> QuotaViolations(const grpc::Status& status);
std::vector<std::pair<std::string, std::string>> QuotaViolations(const google::rpc::Status& status);

// The RetryInfo delay, or nullopt when there is no RetryInfo.
std::optional<absl::Duration> RetryDelay(const grpc::Status& status);
std::optional<absl::Duration> RetryDelay(const google::rpc::Status& status);

// The canonical name of a status code, e.g. "NOT_FOUND"; "CODE_<n>" for unknown numbers.
std::string StatusCodeName(int code);

}  // namespace citecheck::client

#endif  // CITECHECK_CLIENT_ERROR_DETAILS_H_

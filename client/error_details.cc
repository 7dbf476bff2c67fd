#include "client/error_details.h"

#include "google/rpc/error_details.pb.h"
#include "server/common/proto_time.h"

namespace citecheck::client {
namespace {

// The first detail of type T, or nullopt.
template <typename T>
std::optional<T> FirstDetail(const google::rpc::Status& status) {
  for (const google::protobuf::Any& any : status.details()) {
    if (!any.Is<T>()) continue;
    T detail;
    if (any.UnpackTo(&detail)) return detail;
  }
  return std::nullopt;
}

template <typename T>
std::vector<T> AllDetails(const google::rpc::Status& status) {
  std::vector<T> out;
  for (const google::protobuf::Any& any : status.details()) {
    if (!any.Is<T>()) continue;
    T detail;
    if (any.UnpackTo(&detail)) out.push_back(std::move(detail));
  }
  return out;
}

}  // namespace

std::optional<google::rpc::Status> DecodeStatusDetails(const grpc::Status& status) {
  if (status.ok() || status.error_details().empty()) return std::nullopt;
  google::rpc::Status decoded;
  if (!decoded.ParseFromString(status.error_details())) return std::nullopt;
  return decoded;
}

std::string ErrorReason(const google::rpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = FirstDetail<google::rpc::ErrorInfo>(status);
  return info ? info->reason() : std::string();
}

std::string ErrorReason(const grpc::Status& status) {
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  return decoded ? ErrorReason(*decoded) : std::string();
}

std::map<std::string, std::string> ErrorMetadata(const google::rpc::Status& status) {
  std::optional<google::rpc::ErrorInfo> info = FirstDetail<google::rpc::ErrorInfo>(status);
  if (!info) return {};
  return std::map<std::string, std::string>(info->metadata().begin(), info->metadata().end());
}

std::map<std::string, std::string> ErrorMetadata(const grpc::Status& status) {
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  return decoded ? ErrorMetadata(*decoded) : std::map<std::string, std::string>();
}

std::vector<std::pair<std::string, std::string>> FieldViolations(
    const google::rpc::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const google::rpc::BadRequest& bad : AllDetails<google::rpc::BadRequest>(status)) {
    for (const auto& violation : bad.field_violations()) {
      out.emplace_back(violation.field(), violation.description());
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> FieldViolations(const grpc::Status& status) {
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  return decoded ? FieldViolations(*decoded) : std::vector<std::pair<std::string, std::string>>();
}

std::vector<std::pair<std::string, std::string>> QuotaViolations(
    const google::rpc::Status& status) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const google::rpc::QuotaFailure& quota : AllDetails<google::rpc::QuotaFailure>(status)) {
    for (const auto& violation : quota.violations()) {
      out.emplace_back(violation.subject(), violation.description());
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> QuotaViolations(const grpc::Status& status) {
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  return decoded ? QuotaViolations(*decoded) : std::vector<std::pair<std::string, std::string>>();
}

std::optional<absl::Duration> RetryDelay(const google::rpc::Status& status) {
  std::optional<google::rpc::RetryInfo> info = FirstDetail<google::rpc::RetryInfo>(status);
  if (!info) return std::nullopt;
  return FromDuration(info->retry_delay());
}

std::optional<absl::Duration> RetryDelay(const grpc::Status& status) {
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  return decoded ? RetryDelay(*decoded) : std::nullopt;
}

std::string StatusCodeName(int code) {
  switch (code) {
    case 0:
      return "OK";
    case 1:
      return "CANCELLED";
    case 2:
      return "UNKNOWN";
    case 3:
      return "INVALID_ARGUMENT";
    case 4:
      return "DEADLINE_EXCEEDED";
    case 5:
      return "NOT_FOUND";
    case 6:
      return "ALREADY_EXISTS";
    case 7:
      return "PERMISSION_DENIED";
    case 8:
      return "RESOURCE_EXHAUSTED";
    case 9:
      return "FAILED_PRECONDITION";
    case 10:
      return "ABORTED";
    case 11:
      return "OUT_OF_RANGE";
    case 12:
      return "UNIMPLEMENTED";
    case 13:
      return "INTERNAL";
    case 14:
      return "UNAVAILABLE";
    case 15:
      return "DATA_LOSS";
    case 16:
      return "UNAUTHENTICATED";
    default:
      return "CODE_" + std::to_string(code);
  }
}

}  // namespace citecheck::client

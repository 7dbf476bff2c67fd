#include "server/common/errors.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/error_details.pb.h"
#include "server/common/proto_time.h"

namespace citecheck {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com/";

std::string TypeUrl(const google::protobuf::Message& m) {
  return absl::StrCat(kTypeUrlPrefix, m.GetDescriptor()->full_name());
}

template <typename T>
bool GetDetail(const absl::Status& status, T* out) {
  auto payload = status.GetPayload(TypeUrl(*out));
  return payload.has_value() && out->ParseFromString(std::string(*payload));
}

template <typename T>
void SetDetail(absl::Status& status, const T& detail) {
  status.SetPayload(TypeUrl(detail), absl::Cord(detail.SerializeAsString()));
}

}  // namespace

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message) {
  absl::Status status(code, message);
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(kErrorDomain));
  SetDetail(status, info);
  return status;
}

absl::Status FieldError(absl::string_view reason, absl::string_view field,
                        absl::string_view description) {
  absl::Status status =
      MakeError(absl::StatusCode::kInvalidArgument, reason, absl::StrCat(field, ": ", description));
  google::rpc::BadRequest bad;
  auto* violation = bad.add_field_violations();
  violation->set_field(std::string(field));
  violation->set_description(std::string(description));
  SetDetail(status, bad);
  return status;
}

void AddErrorMetadata(absl::Status& status, absl::string_view key, absl::string_view value) {
  google::rpc::ErrorInfo info;
  if (!GetDetail(status, &info)) return;
  (*info.mutable_metadata())[std::string(key)] = std::string(value);
  SetDetail(status, info);
}

void AddQuotaFailure(absl::Status& status, absl::string_view subject,
                     absl::string_view description) {
  google::rpc::QuotaFailure quota;
  GetDetail(status, &quota);
  auto* violation = quota.add_violations();
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(description));
  SetDetail(status, quota);
}

void AddRetryInfo(absl::Status& status, absl::Duration delay) {
  google::rpc::RetryInfo retry;
  SetDuration(absl::Trunc(delay, absl::Milliseconds(1)), retry.mutable_retry_delay());
  SetDetail(status, retry);
}

std::string ErrorReason(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  return GetDetail(status, &info) ? info.reason() : "";
}

std::map<std::string, std::string> ErrorMetadata(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  if (!GetDetail(status, &info)) return {};
  return {info.metadata().begin(), info.metadata().end()};
}

google::rpc::Status ToRpcStatus(const absl::Status& status) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(status.code()));
  if (status.ok()) return out;
  if (ErrorReason(status).empty()) {
    // An error nobody classified: do not leak its text (it may hold SQL or a URL).
    absl::Status internal = MakeError(status.code(), reason::kInternal, "internal error");
    return ToRpcStatus(internal);
  }
  out.set_message(std::string(status.message()));
  status.ForEachPayload([&out](absl::string_view type_url, const absl::Cord& payload) {
    auto* any = out.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  return out;
}

absl::Status FromRpcStatus(const google::rpc::Status& rpc) {
  absl::Status status(static_cast<absl::StatusCode>(rpc.code()), rpc.message());
  if (status.ok()) return status;
  for (const auto& any : rpc.details()) {
    status.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return status;
}

}  // namespace citecheck

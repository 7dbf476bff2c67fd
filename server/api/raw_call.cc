#include "server/api/raw_call.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/slice.h"
#include "server/api/grpc_status.h"
#include "server/api/request_validation.h"
#include "server/common/errors.h"

namespace citecheck {

std::string FlattenByteBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

grpc::ByteBuffer SerializeToByteBuffer(const google::protobuf::MessageLite& message) {
  grpc::Slice slice(message.SerializeAsString());
  return grpc::ByteBuffer(&slice, 1);
}

size_t MetadataBytes(const grpc::ServerContextBase& context) {
  size_t bytes = 0;
  for (const auto& [key, value] : context.client_metadata())
    bytes += key.size() + value.size() + 32;
  return bytes;
}

absl::Status CheckMetadataSize(const grpc::ServerContextBase& context, size_t max_bytes) {
  const size_t bytes = MetadataBytes(context);
  if (bytes <= max_bytes) return absl::OkStatus();
  absl::Status status = MakeError(
      absl::StatusCode::kInvalidArgument, reason::kRequestTooLarge,
      absl::StrCat("the request's metadata are ", bytes, " bytes; the limit is ", max_bytes));
  AddErrorMetadata(status, "max_metadata_bytes", absl::StrCat(max_bytes));
  return status;
}

int TransportMetadataLimit(size_t max_bytes) {
  return static_cast<int>(std::clamp<size_t>(8 * max_bytes, 64 * 1024, 16 * 1024 * 1024));
}

absl::Status ParseCall(const grpc::ServerContextBase& context, const grpc::ByteBuffer& request,
                       const CallPolicy& policy, absl::string_view what,
                       google::protobuf::MessageLite* wire) {
  if (absl::Status metadata = CheckMetadataSize(context, policy.max_metadata_bytes);
      !metadata.ok()) {
    return metadata;
  }
  return ParseRequest(FlattenByteBuffer(request), kMaxSmallRequestBytes, what, wire);
}

int TransportMessageLimit(size_t max_request_bytes) {
  return static_cast<int>(std::min<size_t>(4 * max_request_bytes + (1 << 20), 1 << 30));
}

void FinishUnary(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* out,
                 const absl::StatusOr<const google::protobuf::MessageLite*>& response) {
  if (!response.ok()) {
    reactor->Finish(ToGrpcStatus(response.status()));
    return;
  }
  *out = SerializeToByteBuffer(**response);
  reactor->Finish(grpc::Status::OK);
}

absl::Status CallsQueueFullError() {
  absl::Status busy = MakeError(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                                "too many calls in progress; retry later");
  AddRetryInfo(busy, absl::Seconds(1));
  return busy;
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace citecheck

#include "server/api/raw_call.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/support/slice.h"
#include "server/api/grpc_status.h"
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

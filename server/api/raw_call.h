#ifndef CITECHECK_SERVER_API_RAW_CALL_H_
#define CITECHECK_SERVER_API_RAW_CALL_H_

// The plumbing of citecheck's raw (ByteBuffer) RPC methods. Every RPC parses its request itself,
// into a wire twin with `bytes` for `string` (server/api/*_wire.proto), so that a body that is
// not the request, or a string that is not UTF-8, gets citecheck's own INVALID_ARGUMENT
// (MALFORMED_REQUEST, or INVALID_UTF8 naming the field) rather than gRPC's bare INTERNAL or
// UNIMPLEMENTED and a libprotobuf log line per request.

#include <cstddef>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/api/blocking_call_pool.h"
#include "server/api/client_address.h"

namespace citecheck {

// What every RPC applies to its call before its own work. main() fills it from flags.
struct CallPolicy {
  // A request's metadata (MetadataBytes) beyond this: INVALID_ARGUMENT REQUEST_TOO_LARGE. The
  // transport's limit is TransportMetadataLimit() of it.
  size_t max_metadata_bytes = 8 * 1024;
  // Whose x-forwarded-for names the client (api/client_address.h); none by default.
  TrustedProxies trusted_proxies;
};

// The bytes of a received message, in one string.
std::string FlattenByteBuffer(const grpc::ByteBuffer& buffer);

// `message` serialized into a ByteBuffer.
grpc::ByteBuffer SerializeToByteBuffer(const google::protobuf::MessageLite& message);

// A request's metadata as gRPC counts it against GRPC_ARG_MAX_METADATA_SIZE: per entry, the key,
// the value and 32 bytes (RFC 7541 section 4.1).
size_t MetadataBytes(const grpc::ServerContextBase& context);

// OK, or INVALID_ARGUMENT REQUEST_TOO_LARGE (ErrorInfo metadata "max_metadata_bytes") when the
// call's metadata exceed `max_bytes` (MetadataBytes). Every RPC checks this first, so that a
// request with oversized metadata fails alone: the transport's own limit, which gRPC 1.51
// enforces by ending the whole connection, is set far above it (TransportMetadataLimit).
absl::Status CheckMetadataSize(const grpc::ServerContextBase& context, size_t max_bytes);

// The transport's limit on a request's metadata (GRPC_ARG_MAX_METADATA_SIZE) for an API limit
// of `max_bytes`: 8 times it, at least 64 KiB. Beyond it gRPC 1.51 answers RESOURCE_EXHAUSTED
// "received initial metadata size exceeds limit" and closes the connection with every call on
// it; a proxy in front should refuse such requests first (docs/OPERATIONS.md).
int TransportMetadataLimit(size_t max_bytes);

// The first checks of every RPC but SubmitBatch (which parses its larger request itself): the
// call's metadata against policy.max_metadata_bytes (CheckMetadataSize), then the request body
// parsed into its wire twin `wire` (ParseRequest, at most kMaxSmallRequestBytes).
absl::Status ParseCall(const grpc::ServerContextBase& context, const grpc::ByteBuffer& request,
                       const CallPolicy& policy, absl::string_view what,
                       google::protobuf::MessageLite* wire);

// The transport's limit on one request message (gRPC's max receive message size) for a
// SubmitBatch limit of `max_request_bytes`: 4 times it plus 1 MiB (17 MiB by default), at most
// 1 GiB. Up to it an oversized request gets citecheck's INVALID_ARGUMENT REQUEST_TOO_LARGE;
// beyond it gRPC's own RESOURCE_EXHAUSTED "Received message larger than max", without details.
int TransportMessageLimit(size_t max_request_bytes);

// Finishes a unary call: OK with `response` serialized into `*out`, or the error through
// ToGrpcStatus.
void FinishUnary(grpc::ServerUnaryReactor* reactor, grpc::ByteBuffer* out,
                 const absl::StatusOr<const google::protobuf::MessageLite*>& response);

// RESOURCE_EXHAUSTED QUEUE_FULL with a RetryInfo: what a call gets when its pool is full.
absl::Status CallsQueueFullError();

// Runs `call` on `pool` (it may block, e.g. on the database) and finishes the RPC with its
// result; a full pool finishes it at once with CallsQueueFullError(). The returned reactor is the
// call's default reactor. `out` is the method's response buffer.
template <typename Response>
grpc::ServerUnaryReactor* FinishOnPool(grpc::CallbackServerContext* context, grpc::ByteBuffer* out,
                                       BlockingCallPool& pool,
                                       absl::AnyInvocable<absl::StatusOr<Response>() &&> call) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool scheduled = pool.Schedule([reactor, out, call = std::move(call)]() mutable {
    absl::StatusOr<Response> result = std::move(call)();
    if (result.ok()) {
      FinishUnary(reactor, out, &*result);
    } else {
      FinishUnary(reactor, out, result.status());
    }
  });
  if (!scheduled) FinishUnary(reactor, out, CallsQueueFullError());
  return reactor;
}

// Finishes the RPC at once with `status` (an error found before any work).
grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                    const absl::Status& status);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_RAW_CALL_H_

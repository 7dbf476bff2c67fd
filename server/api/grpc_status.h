#ifndef CITECHECK_SERVER_API_GRPC_STATUS_H_
#define CITECHECK_SERVER_API_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace citecheck {

// The one place where an absl::Status becomes a grpc::Status: same code and message, with a
// google.rpc.Status holding every detail (ErrorInfo, BadRequest, ...) in
// grpc-status-details-bin. An error without a reason becomes INTERNAL text-free (ToRpcStatus).
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_GRPC_STATUS_H_

#ifndef CITECHECK_SERVER_API_METRICS_INTERCEPTOR_H_
#define CITECHECK_SERVER_API_METRICS_INTERCEPTOR_H_

// A gRPC server interceptor that records the go-grpc-prometheus families for every call of
// every method (those added to the proto later included) and logs each call:
//   grpc_server_started_total{grpc_service,grpc_method,grpc_type}
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_type,grpc_code}
//   grpc_server_handling_seconds{grpc_service,grpc_method,grpc_type}  (histogram)
// grpc_type is unary, client_stream, server_stream or bidi_stream; grpc_code the code's name as
// go-grpc-prometheus writes it (OK, Canceled, InvalidArgument, ...). A call is started when the
// server creates it and handled when its status is sent; a call that ends without sending one
// counts as Canceled. The handling time runs from start to status.
//
// Log line per call (LogWithFields, msg "rpc"): method, code, duration_ms and the ErrorInfo
// reason when the status carries one; at debug level, or warn for INTERNAL, UNKNOWN and
// DATA_LOSS.
//
// Thread-safe; recording is lock-free (server/common/metrics.h).

#include <memory>
#include <string>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "server/common/metrics.h"

namespace citecheck {

// The grpc_server_* families.
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(MetricsRegistry& registry);
  // The process-wide instance, on MetricsRegistry::Global().
  static GrpcServerMetrics& Get();

  // Creates the children of every method of these services (full names, looked up in the
  // generated descriptor pool; unknown names are skipped) with zero values, all codes included,
  // as go-grpc-prometheus's InitializeMetrics does.
  void PreRegister(const std::vector<std::string>& service_names);

  CounterFamily& started() { return started_; }
  CounterFamily& handled() { return handled_; }
  HistogramFamily& handling_seconds() { return handling_seconds_; }

 private:
  CounterFamily& started_;
  CounterFamily& handled_;
  HistogramFamily& handling_seconds_;
};

// The code's name as go-grpc-prometheus writes it ("OK", "Canceled", "InvalidArgument", ...).
const char* GrpcCodeLabel(int code);

// The factory to hand to ServerBuilder::experimental().SetInterceptorCreators; records into
// `metrics` (which must outlive the server).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(GrpcServerMetrics* metrics = &GrpcServerMetrics::Get());

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_METRICS_INTERCEPTOR_H_

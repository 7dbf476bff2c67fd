#include "server/api/metrics_interceptor.h"

#include <google/protobuf/descriptor.h>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "server/common/logging.h"

namespace citecheck {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

constexpr int kCodeCount = 17;  // OK .. UNAUTHENTICATED

const char* TypeLabel(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY:
      return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING:
      return "bidi_stream";
  }
  return "unary";
}

// "/pkg.Service/Method" -> {"pkg.Service", "Method"}.
std::pair<absl::string_view, absl::string_view> SplitMethod(absl::string_view full) {
  if (!full.empty() && full[0] == '/') full.remove_prefix(1);
  const size_t slash = full.find('/');
  if (slash == absl::string_view::npos) return {"unknown", full};
  return {full.substr(0, slash), full.substr(slash + 1)};
}

// The ErrorInfo reason of a status's details, or "".
std::string ErrorReason(const grpc::Status& status) {
  if (status.error_details().empty()) return "";
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return "";
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) return info.reason();
  }
  return "";
}

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics* metrics, ServerRpcInfo* info)
      : metrics_(metrics),
        full_method_(info->method() == nullptr ? "" : info->method()),
        type_(TypeLabel(info->type())),
        start_(absl::Now()) {
    std::tie(service_, method_) = SplitMethod(full_method_);
    metrics_->started().Labels(LabelValues()).Increment();
  }

  ~MetricsInterceptor() override {
    if (!handled_) Handled(grpc::Status(grpc::StatusCode::CANCELLED, ""));
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!handled_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Handled(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void Handled(const grpc::Status& status) {
    handled_ = true;
    const absl::Duration took = absl::Now() - start_;
    const int code = static_cast<int>(status.error_code());
    const char* code_label = GrpcCodeLabel(code);
    std::vector<std::string> labels = LabelValues();
    metrics_->handling_seconds().Labels(labels).ObserveDuration(took);
    labels.emplace_back(code_label);
    metrics_->handled().Labels(labels).Increment();
    const bool server_fault = status.error_code() == grpc::StatusCode::INTERNAL ||
                              status.error_code() == grpc::StatusCode::UNKNOWN ||
                              status.error_code() == grpc::StatusCode::DATA_LOSS;
    const spdlog::level::level_enum level =
        server_fault ? spdlog::level::warn : spdlog::level::debug;
    if (!spdlog::default_logger()->should_log(level)) return;
    const std::string reason = ErrorReason(status);
    const double duration_ms = absl::ToDoubleMilliseconds(took);
    if (reason.empty()) {
      LogWithFields(level, "rpc",
                    {{"method", std::string(full_method_)},
                     {"code", code_label},
                     {"duration_ms", duration_ms}});
    } else {
      LogWithFields(level, "rpc",
                    {{"method", std::string(full_method_)},
                     {"code", code_label},
                     {"duration_ms", duration_ms},
                     {"reason", reason}});
    }
  }

  std::vector<std::string> LabelValues() const {
    return {std::string(service_), std::string(method_), type_};
  }

  GrpcServerMetrics* const metrics_;
  // Views of the call's method name, which gRPC keeps while the call (and so this interceptor)
  // lives: nothing is copied per call, so an idle stream holds no strings here.
  const absl::string_view full_method_;
  const char* const type_;
  const absl::Time start_;
  absl::string_view service_;
  absl::string_view method_;
  bool handled_ = false;  // interceptions of one call are serialised by gRPC
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  GrpcServerMetrics* const metrics_;
};

}  // namespace

const char* GrpcCodeLabel(int code) {
  static const char* const kNames[kCodeCount] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  return code >= 0 && code < kCodeCount ? kNames[code] : "Unknown";
}

GrpcServerMetrics::GrpcServerMetrics(MetricsRegistry& registry)
    : started_(registry.AddCounter("grpc_server_started_total",
                                   "Total number of RPCs started on the server.",
                                   {"grpc_service", "grpc_method", "grpc_type"})),
      handled_(registry.AddCounter(
          "grpc_server_handled_total",
          "Total number of RPCs completed on the server, regardless of success or failure.",
          {"grpc_service", "grpc_method", "grpc_type", "grpc_code"})),
      handling_seconds_(registry.AddHistogram(
          "grpc_server_handling_seconds",
          "Histogram of response latency (seconds) of gRPC that had been application-level "
          "handled by the server.",
          {"grpc_service", "grpc_method", "grpc_type"}, buckets::RpcSeconds())) {}

GrpcServerMetrics& GrpcServerMetrics::Get() {
  static GrpcServerMetrics* const metrics = new GrpcServerMetrics(MetricsRegistry::Global());
  return *metrics;
}

void GrpcServerMetrics::PreRegister(const std::vector<std::string>& service_names) {
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : service_names) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const ServerRpcInfo::Type type =
          method->client_streaming()
              ? (method->server_streaming() ? ServerRpcInfo::Type::BIDI_STREAMING
                                            : ServerRpcInfo::Type::CLIENT_STREAMING)
              : (method->server_streaming() ? ServerRpcInfo::Type::SERVER_STREAMING
                                            : ServerRpcInfo::Type::UNARY);
      const std::string type_label = TypeLabel(type);
      started_.Labels({name, method->name(), type_label});
      handling_seconds_.Labels({name, method->name(), type_label});
      for (int code = 0; code < kCodeCount; ++code) {
        handled_.Labels({name, method->name(), type_label, GrpcCodeLabel(code)});
      }
    }
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeMetricsInterceptorFactory(GrpcServerMetrics* metrics) {
  return std::make_unique<MetricsInterceptorFactory>(metrics);
}

}  // namespace citecheck

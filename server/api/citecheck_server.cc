#include "server/api/citecheck_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/api/metrics_interceptor.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

// The services the health service reports SERVING while the server runs.
constexpr const char* kServiceNames[] = {"citecheck.v1.CitationService",
                                         "citecheck.v1.AccountService"};

}  // namespace

CitecheckServer::CitecheckServer(ServerOptions options, ServerParts parts)
    : options_(std::move(options)), parts_(std::move(parts)) {}

absl::StatusOr<std::unique_ptr<CitecheckServer>> CitecheckServer::Start(ServerOptions options,
                                                                        ServerParts parts) {
  std::unique_ptr<CitecheckServer> server(new CitecheckServer(std::move(options),
                                                              std::move(parts)));
  CitecheckServer& s = *server;
  s.manager_ = std::make_unique<JobManager>(s.options_.jobs, s.parts_.jobs.get(),
                                            s.parts_.accounts.get(), s.parts_.checker.get(),
                                            s.parts_.clock);
  s.hub_ = std::make_unique<WatchHub>(s.options_.watch_heartbeat, s.parts_.clock);
  s.citation_service_ = std::make_unique<CitationServiceImpl>(
      s.manager_.get(), s.parts_.checker.get(), s.hub_.get(), s.options_.limits);
  s.account_service_ = std::make_unique<AccountServiceImpl>(
      s.parts_.accounts.get(), s.parts_.clock, s.options_.admin_key);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(s.options_.listen,
                           s.options_.credentials != nullptr ? s.options_.credentials
                                                             : grpc::InsecureServerCredentials(),
                           &port);
  GrpcServerMetrics::Get().PreRegister(
      {std::begin(kServiceNames), std::end(kServiceNames)});
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeMetricsInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // Above our own request limit, so that an oversized batch gets REQUEST_TOO_LARGE from us.
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<size_t>(4 * s.options_.limits.max_request_bytes + (1 << 20),
                                        1 << 30)));
  builder.RegisterService(s.citation_service_.get());
  builder.RegisterService(s.account_service_.get());
  s.server_ = builder.BuildAndStart();
  if (s.server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", s.options_.listen));
  }
  const std::string& listen = s.options_.listen;
  s.address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  s.manager_->Start();
  s.hub_->Start();
  auto* health = s.server_->GetHealthCheckService();
  health->SetServingStatus("", true);
  for (const char* name : kServiceNames) health->SetServingStatus(name, true);
  s.serving_.store(true);
  return server;
}

CitecheckServer::~CitecheckServer() { Shutdown(); }

void CitecheckServer::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_ || server_ == nullptr) return;
    shut_down_ = true;
  }
  serving_.store(false);
  spdlog::info("shutting down: ending watch streams, draining calls");
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->GetHealthCheckService()->Shutdown();
  hub_->Stop();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.shutdown_grace));
  spdlog::debug("gRPC server stopped; stopping the workers");
  manager_->Shutdown();
  spdlog::info("shutdown complete");
}

void CitecheckServer::Wait() { server_->Wait(); }

}  // namespace citecheck

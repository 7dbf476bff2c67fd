#include "server/api/citecheck_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/resource_quota.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "server/accounts/memory_account_store.h"
#include "server/accounts/mysql_account_store.h"
#include "server/api/metrics_interceptor.h"
#include "server/api/raw_call.h"
#include "server/jobs/memory_job_store.h"
#include "server/jobs/mysql_job_store.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

// The services the health service reports (besides "", the whole server).
constexpr const char* kServiceNames[] = {"citecheck.v1.CitationService",
                                         "citecheck.v1.AccountService"};

}  // namespace

absl::StatusOr<ServerParts> BuildServerParts(const StoreSetup& setup,
                                             std::unique_ptr<Checker> checker) {
  ServerParts parts;
  parts.checker = std::move(checker);
  parts.events = std::make_unique<EventHub>();
  if (setup.kind == "memory") {
    auto accounts = std::make_unique<MemoryAccountStore>(setup.quota);
    parts.jobs = std::make_unique<MemoryJobStore>(setup.jobs, accounts.get(), parts.events.get());
    parts.accounts = std::move(accounts);
    return parts;
  }
  if (setup.kind != "mysql") {
    return absl::InvalidArgumentError(
        absl::StrCat("the store must be mysql or memory, not '", setup.kind, "'"));
  }
  if (!setup.mysql.has_value()) {
    return absl::InvalidArgumentError("the mysql store needs a database URL");
  }
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(*setup.mysql, setup.pool);
  if (!database.ok()) return database.status();
  parts.database = *std::move(database);
  auto accounts = std::make_unique<MysqlAccountStore>(&parts.database->pool(), setup.quota);
  MysqlJobStoreOptions job_options;
  job_options.store = setup.jobs;
  parts.jobs = std::make_unique<MysqlJobStore>(job_options, &parts.database->pool(), accounts.get(),
                                               parts.events.get());
  parts.accounts = std::move(accounts);
  return parts;
}

CitecheckServer::CitecheckServer(ServerOptions options, ServerParts parts)
    : options_(std::move(options)), parts_(std::move(parts)) {}

absl::StatusOr<std::unique_ptr<CitecheckServer>> CitecheckServer::Start(ServerOptions options,
                                                                        ServerParts parts) {
  std::unique_ptr<CitecheckServer> server(
      new CitecheckServer(std::move(options), std::move(parts)));
  CitecheckServer& s = *server;
  s.manager_ = std::make_unique<JobManager>(s.options_.jobs, s.parts_.jobs.get(),
                                            s.parts_.checker.get(), s.parts_.clock);
  s.poller_ = std::make_unique<EventPoller>(s.parts_.jobs.get(), s.parts_.events.get(),
                                            s.options_.watch_poll);
  s.hub_ = std::make_unique<WatchHub>(s.options_.watch, s.parts_.jobs.get(), s.parts_.events.get(),
                                      s.parts_.clock);
  s.citation_service_ = std::make_unique<CitationServiceImpl>(
      s.manager_.get(), s.parts_.checker.get(), s.hub_.get(), s.options_.limits, s.options_.calls);
  s.account_service_ = std::make_unique<AccountServiceImpl>(s.parts_.accounts.get(), s.parts_.clock,
                                                            s.options_.admin_key, s.options_.calls,
                                                            s.options_.admin_attempts);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(s.options_.listen,
                           s.options_.credentials != nullptr ? s.options_.credentials
                                                             : grpc::InsecureServerCredentials(),
                           &port);
  GrpcServerMetrics::Get().PreRegister({std::begin(kServiceNames), std::end(kServiceNames)});
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(MakeMetricsInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  // Above our own request limit, so that an oversized batch gets REQUEST_TOO_LARGE from us.
  builder.SetMaxReceiveMessageSize(TransportMessageLimit(s.options_.limits.max_request_bytes));
  // gRPC 1.51 assembles a whole message before it checks its size: only the memory quota bounds
  // what oversized requests in transit hold.
  grpc::ResourceQuota quota("citecheck");
  quota.Resize(s.options_.max_transport_memory);
  builder.SetResourceQuota(quota);
  // Far above the API's own limit, so that oversized metadata fail their call alone (gRPC 1.51
  // ends the whole connection at this one).
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             TransportMetadataLimit(s.options_.calls.max_metadata_bytes));
  builder.RegisterService(s.citation_service_.get());
  builder.RegisterService(s.account_service_.get());
  s.server_ = builder.BuildAndStart();
  if (s.server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", s.options_.listen));
  }
  const std::string& listen = s.options_.listen;
  s.address_ = absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port);
  s.SetServing(false);  // until the replica is registered and recovered
  CitecheckServer* raw = server.get();
  s.manager_->OnReadyChange([raw](bool ready) { raw->SetServing(ready); });
  if (absl::Status started = s.manager_->Start(); !started.ok()) return started;
  s.poller_->Start();
  s.hub_->Start();
  return server;
}

void CitecheckServer::SetServing(bool serving) {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_ && serving) return;  // never SERVING again once shutting down
    serving_.store(serving);
  }
  auto* health = server_->GetHealthCheckService();
  health->SetServingStatus("", serving);
  for (const char* name : kServiceNames) health->SetServingStatus(name, serving);
  spdlog::info("health: {}", serving ? "SERVING" : "NOT_SERVING");
}

CitecheckServer::~CitecheckServer() { Shutdown(); }

void CitecheckServer::Shutdown() {
  {
    absl::MutexLock lock(&shutdown_mu_);
    if (shut_down_ || server_ == nullptr) return;
    shut_down_ = true;
    serving_.store(false);
  }
  spdlog::info("shutting down: draining the replica");
  const absl::Time lame_duck_until = absl::Now() + options_.lame_duck;
  server_->GetHealthCheckService()->SetServingStatus(false);
  manager_->Shutdown();
  spdlog::info("drained; ending watch streams and calls");
  hub_->Stop();
  poller_->Stop();
  // Calls already on their way (clients that have not seen the drain) still get the handlers'
  // SERVER_SHUTTING_DOWN rather than gRPC's bare CANCELLED.
  absl::SleepFor(lame_duck_until - absl::Now());
  server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + options_.rpc_grace));
  spdlog::info("shutdown complete");
}

void CitecheckServer::Wait() { server_->Wait(); }

}  // namespace citecheck

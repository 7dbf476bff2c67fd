#ifndef CITECHECK_SERVER_API_CITECHECK_SERVER_H_
#define CITECHECK_SERVER_API_CITECHECK_SERVER_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "server/accounts/account_store.h"
#include "server/api/account_service.h"
#include "server/api/citation_service.h"
#include "server/api/raw_call.h"
#include "server/api/request_validation.h"
#include "server/api/watch_job_reactor.h"
#include "server/checking/checker.h"
#include "server/common/clock.h"
#include "server/jobs/event_hub.h"
#include "server/jobs/event_poller.h"
#include "server/jobs/job_manager.h"
#include "server/jobs/job_store.h"
#include "server/storage/database.h"
#include "server/storage/mysql_url.h"

namespace citecheck {

// Where jobs and accounts live. main() fills it from flags.
struct StoreSetup {
  std::string kind = "mysql";     // "mysql" (durable, shared by replicas) or "memory"
  std::optional<MysqlUrl> mysql;  // REQUIRED for "mysql"
  MysqlPoolOptions pool;
  QuotaRules quota;
  JobStoreOptions jobs;
};

// The parts the server runs on; the server owns them. Declared in dependency order (members are
// destroyed in reverse): the stores use the database and the event hub.
struct ServerParts {
  std::unique_ptr<Database> database;  // null for the memory store
  std::unique_ptr<EventHub> events;
  std::unique_ptr<AccountStore> accounts;
  std::unique_ptr<JobStore> jobs;
  std::unique_ptr<Checker> checker;
  Clock* clock = RealClock::Get();  // not owned
};

// Opens the stores `setup` names (for MySQL: connects and migrates the schema) around
// `checker`. Errors from Database::Open; INVALID_ARGUMENT for an unknown kind or a missing URL.
absl::StatusOr<ServerParts> BuildServerParts(const StoreSetup& setup,
                                             std::unique_ptr<Checker> checker);

// Everything the server is configured with. main() fills it from flags; every default here is
// the flag's default.
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // gRPC address; port 0 picks a free port
  JobManagerOptions jobs;
  SubmitLimits limits;
  WatchHubOptions watch;
  absl::Duration watch_poll = absl::Milliseconds(100);  // other replicas' events, for watchers
  // After the drain, in-flight unary RPCs get this long before they are cancelled.
  absl::Duration rpc_grace = absl::Seconds(2);
  // Calls keep being answered by the handlers (SubmitBatch and WatchJob refused with
  // UNAVAILABLE SERVER_SHUTTING_DOWN) for at least this long after Shutdown() began, before the
  // gRPC server shuts down: gRPC cancels calls that arrive after that with a bare CANCELLED.
  absl::Duration lame_duck = absl::Milliseconds(250);
  std::string admin_key;               // empty = admin RPCs refused
  AdminAttemptOptions admin_attempts;  // wrong admin keys: throttled per address, logged
  CallPolicy calls;  // what every RPC applies first: metadata limit, trusted proxies
  // Memory gRPC may hold for connections and messages in transit, whole server (its resource
  // quota). Under it, calls that need more are reset (RESOURCE_EXHAUSTED) instead of the process
  // growing without bound.
  size_t max_transport_memory = size_t{1} << 30;
  // Transport security of the gRPC port (server/api/tls_credentials.h); null = plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

// The assembled service: gRPC server (CitationService, AccountService, health, reflection),
// job manager (this replica), event poller and watch hub. Thread-safe.
class CitecheckServer {
 public:
  // Builds everything, listens on options.listen and registers the replica. The health status
  // is SERVING once the replica is registered and recovered, and NOT_SERVING while its store
  // is unreachable. Errors: UNAVAILABLE (cannot listen), the registration's error (e.g.
  // FAILED_PRECONDITION: a live process holds the replica name).
  static absl::StatusOr<std::unique_ptr<CitecheckServer>> Start(ServerOptions options,
                                                                ServerParts parts);
  ~CitecheckServer();  // Shutdown()

  // The address actually bound, e.g. "127.0.0.1:43211".
  const std::string& address() const { return address_; }

  // Graceful stop (SIGTERM): health NOT_SERVING; new submits refused (UNAVAILABLE
  // SERVER_SHUTTING_DOWN); the replica drains (running chunks finish or are handed back within
  // jobs.shutdown_grace, their events reach the watchers); then open WatchJob streams end with
  // UNAVAILABLE SERVER_SHUTTING_DOWN (clients resume on another replica); new calls are still
  // answered until lame_duck has passed since the start; then unary calls get rpc_grace.
  // Idempotent; safe from any thread but a gRPC handler.
  void Shutdown();
  // Blocks until the gRPC server has shut down.
  void Wait();

  JobManager& manager() { return *manager_; }

  // True while the health service reports SERVING (never again once Shutdown() began); what
  // /readyz answers.
  bool serving() const { return serving_.load(); }

 private:
  CitecheckServer(ServerOptions options, ServerParts parts);
  void SetServing(bool serving);

  const ServerOptions options_;
  ServerParts parts_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<EventPoller> poller_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<CitationServiceImpl> citation_service_;
  std::unique_ptr<AccountServiceImpl> account_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Mutex shutdown_mu_;
  std::atomic<bool> serving_{false};  // written under shutdown_mu_
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_CITECHECK_SERVER_H_

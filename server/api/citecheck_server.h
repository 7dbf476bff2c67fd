#ifndef CITECHECK_SERVER_API_CITECHECK_SERVER_H_
#define CITECHECK_SERVER_API_CITECHECK_SERVER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "server/accounts/account_store.h"
#include "server/api/account_service.h"
#include "server/api/citation_service.h"
#include "server/api/request_validation.h"
#include "server/api/watch_job_reactor.h"
#include "server/checking/checker.h"
#include "server/common/clock.h"
#include "server/jobs/job_manager.h"
#include "server/jobs/job_store.h"

namespace citecheck {

// Everything the server is configured with. main() fills it from flags; every default here is
// the flag's default.
struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // gRPC address; port 0 picks a free port
  JobManagerOptions jobs;
  SubmitLimits limits;
  absl::Duration watch_heartbeat = absl::Seconds(5);  // heartbeat on idle WatchJob streams
  absl::Duration shutdown_grace = absl::Seconds(5);   // in-flight unary RPCs get this long
  std::string admin_key;  // empty = admin RPCs refused
  // Transport security of the gRPC port (server/api/tls_credentials.h); null = plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

// The parts the server runs on; the server owns them.
struct ServerParts {
  std::unique_ptr<Checker> checker;
  std::unique_ptr<AccountStore> accounts;
  std::unique_ptr<JobStore> jobs;
  Clock* clock = RealClock::Get();  // not owned
};

// The assembled service: gRPC server (CitationService, AccountService, health, reflection), job
// manager and watch hub. Thread-safe.
class CitecheckServer {
 public:
  // Builds and starts everything, listening on options.listen.
  static absl::StatusOr<std::unique_ptr<CitecheckServer>> Start(ServerOptions options,
                                                                ServerParts parts);
  ~CitecheckServer();  // Shutdown()

  // The address actually bound, e.g. "127.0.0.1:43211".
  const std::string& address() const { return address_; }

  // Graceful stop: health NOT_SERVING, open WatchJob streams end with UNAVAILABLE (clients
  // resume), no new calls accepted, in-flight unary calls get shutdown_grace, then the workers
  // finish the chunks they run. Idempotent; safe from any thread but a gRPC handler.
  void Shutdown();
  // Blocks until the gRPC server has shut down.
  void Wait();

  JobManager& manager() { return *manager_; }

  // True while the health service reports SERVING (from the end of Start() to the beginning of
  // Shutdown()); what /readyz answers.
  bool serving() const { return serving_.load(); }

 private:
  CitecheckServer(ServerOptions options, ServerParts parts);

  const ServerOptions options_;
  ServerParts parts_;
  std::unique_ptr<JobManager> manager_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<CitationServiceImpl> citation_service_;
  std::unique_ptr<AccountServiceImpl> account_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::atomic<bool> serving_{false};
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_CITECHECK_SERVER_H_

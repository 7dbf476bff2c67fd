#ifndef CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "client/citecheck_client.h"

namespace citecheck::testing {

// The real citecheck-server binary, started on a free loopback port for one test (suite).
// Its stdout announces the address; its stderr (the log) goes to a file kept for debugging.
class ServerProcess {
 public:
  // Starts `citecheck-server --listen 127.0.0.1:0 --store=memory <flags>` and waits until it
  // listens. Aborts the test (ADD_FAILURE + nullptr) when it does not start within 20 s.
  static std::unique_ptr<ServerProcess> Start(std::vector<std::string> flags);
  ~ServerProcess();  // Kill() if still running

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

  // A client for this server with the given identity options (server address filled in).
  std::unique_ptr<client::CitecheckClient> Client(client::ClientOptions options = {}) const;
  // Shorthands for the usual identities.
  std::unique_ptr<client::CitecheckClient> FreeUser(const std::string& id) const;
  std::unique_ptr<client::CitecheckClient> Account(const std::string& token) const;

  // Sends SIGTERM and waits up to `timeout` for the exit; returns the exit code, or -1 when it
  // did not exit normally (killed by a signal, or still running: then it is killed).
  int Terminate(absl::Duration timeout = absl::Seconds(20));
  void Kill();

  // The server's log so far (its stderr).
  std::string Log() const;

 private:
  ServerProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::string log_path_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_

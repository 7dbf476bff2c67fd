#ifndef CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/citecheck_client.h"

namespace citecheck::testing {

// A child process that announces "listening on HOST:PORT" on stdout once it is ready (the
// server and the fake OpenAI server both do). Its stderr goes to a log file kept for debugging
// when a test fails (or always, with KEEP_SERVER_LOGS set).
//
// Not thread-safe: one thread controls the process (signals and waits).
class ListeningProcess {
 public:
  // Starts `argv` with `env` ("NAME=VALUE" entries) added to the test's environment, and waits
  // up to 20 s for the announcement. Returns nullptr (with a test failure holding the process's
  // log) when it does not come.
  static std::unique_ptr<ListeningProcess> Start(std::vector<std::string> argv,
                                                 const std::vector<std::string>& env = {});
  ~ListeningProcess();  // Kill() if still running

  const std::string& address() const { return address_; }
  // The value of another "PREFIX VALUE" line announced together with "listening on" (in the same
  // write), e.g. Announced("metrics on"); "" when there is none.
  std::string Announced(const std::string& prefix) const;
  // "http://HOST:PORT", for HTTP servers.
  std::string url() const { return "http://" + address_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits up to `timeout`; returns the exit code, or -1 when it did not exit
  // normally (killed by a signal, or still running: then it is killed).
  int Terminate(absl::Duration timeout = absl::Seconds(20));
  // Sends `signal` (e.g. SIGTERM, SIGSTOP, SIGCONT) and returns at once.
  void Signal(int signal);
  // Waits up to `timeout` for the process to exit: its exit code, -1 when a signal ended it,
  // nullopt when it still runs.
  std::optional<int> WaitExit(absl::Duration timeout);
  // SIGKILL (also when stopped) and reap.
  void Kill();
  // True until the process has exited (and been reaped).
  bool Running();
  std::string Log() const;

 private:
  ListeningProcess() = default;
  pid_t pid_ = -1;
  std::string address_;
  std::string banner_;  // what stdout said up to the announcement
  std::string log_path_;
};

// What a process that ran to its end did.
struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal, or still running at the timeout (then killed)
  std::string output;  // stdout and stderr, interleaved
};

// Runs `argv` (argv[0] a path) with stdin from /dev/null until it exits or `timeout` passes.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         absl::Duration timeout = absl::Seconds(30));

// The real citecheck-server binary, started on a free loopback port for one test (suite).
// Its stdout announces the address; its stderr (the log) goes to a file kept for debugging.
class ServerProcess {
 public:
  // Starts `citecheck-server --listen 127.0.0.1:0 --store=memory --free_address_daily_limit=0
  // <flags>` (a later flag wins, e.g. --store=mysql) with `env` added to its environment, and
  // waits until it listens. Aborts the test (ADD_FAILURE + nullptr) when it does not start
  // within 20 s.
  static std::unique_ptr<ServerProcess> Start(std::vector<std::string> flags,
                                              const std::vector<std::string>& env = {});

  const std::string& address() const { return process_->address(); }
  // The --metrics_listen address it announced ("metrics on ADDR"); "" without the flag.
  std::string metrics_address() const { return process_->Announced("metrics on"); }

  // A client for this server with the given identity options (server address filled in).
  std::unique_ptr<client::CitecheckClient> Client(client::ClientOptions options = {}) const;
  // Shorthands for the usual identities.
  std::unique_ptr<client::CitecheckClient> FreeUser(const std::string& id) const;
  std::unique_ptr<client::CitecheckClient> Account(const std::string& token) const;

  // See ListeningProcess.
  int Terminate(absl::Duration timeout = absl::Seconds(20)) { return process_->Terminate(timeout); }
  std::string Log() const { return process_->Log(); }
  ListeningProcess& process() { return *process_; }

 private:
  explicit ServerProcess(std::unique_ptr<ListeningProcess> process)
      : process_(std::move(process)) {}
  std::unique_ptr<ListeningProcess> process_;
};

// A client of the server at `address` with the given identity options and a 10 s deadline on
// unary calls.
std::unique_ptr<client::CitecheckClient> ClientOf(const std::string& address,
                                                  client::ClientOptions options = {});

// Polls `condition` every `poll` until it holds or `timeout` passes; returns its last value. The
// way tests wait for something to happen (never a bare sleep before an assertion).
bool WaitUntil(absl::Duration timeout, const std::function<bool()>& condition,
               absl::Duration poll = absl::Milliseconds(20));

// Calls unary `method` (e.g. "/grpc.health.v1.Health/Check") on `address` with serialized
// `request_bytes`, without stubs; the serialized answer goes to *response when OK.
grpc::Status RawUnaryCall(const std::string& address, const std::string& method,
                          const std::string& request_bytes, std::string* response = nullptr,
                          absl::Duration timeout = absl::Seconds(10));

// What grpc.health.v1.Health/Check says about `service` ("" = the whole server) on `address`.
enum class Health { kUnreachable, kServing, kNotServing, kOther };
Health CheckHealth(const std::string& address, const std::string& service = "",
                   absl::Duration timeout = absl::Seconds(2));

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_SERVER_PROCESS_H_

#ifndef CITECHECK_TESTS_INTEGRATION_REPLICA_H_
#define CITECHECK_TESTS_INTEGRATION_REPLICA_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/citecheck_client.h"
#include "server/storage/mysql_url.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {

// The admin key every replica of ReplicaFlags() accepts.
inline constexpr char kReplicaAdminKey[] = "replica-test-admin-key";

// "mysql://USER:PASSWORD@HOST:PORT/DATABASE" for a TCP URL (the form --mysql_url takes).
std::string MysqlUrlText(const MysqlUrl& url);

// The flags of a replica on `mysql_url` checking with the fake OpenAI server at `llm_base_url`,
// with the small timing knobs of the failure tests (heartbeat 200 ms, dead after 1.5 s, watch
// poll 100 ms, shutdown grace 5 s, 1 citation per call). Append flags to override (the last
// one wins).
std::vector<std::string> ReplicaFlags(const std::string& mysql_url,
                                      const std::string& llm_base_url);

// One citecheck-server replica under a fixed --replica_name and fixed flags, which a test kills,
// freezes, terminates and starts again: a restart keeps the name and the flags (the port
// changes). Its LLM key (OPENAI_API_KEY) is "key-<name>", so the fake OpenAI server's log tells
// which replica asked ("Bearer key-<name>"). The logs of every incarnation are kept while the
// test runs, and written to one file when it fails (its path is printed).
//
// Not thread-safe: one test thread controls it; address() may be read from others while the
// controlling thread does not restart it.
class Replica {
 public:
  Replica(std::string name, std::vector<std::string> flags);
  ~Replica();  // kills a running process

  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Starts a process and waits until its health service says SERVING for "" (at most
  // `timeout`); false, with a test failure holding the log, when it does not.
  bool Start(absl::Duration timeout = absl::Seconds(20));
  // Starts a process and returns once it listens, without waiting for SERVING.
  bool Launch();
  // Waits until the health service says SERVING; records serving_at().
  bool WaitServing(absl::Duration timeout = absl::Seconds(20));

  void Kill();                                                // SIGKILL (kill -9) and reap
  void Freeze();                                              // SIGSTOP
  void Thaw();                                                // SIGCONT
  void SendTerm();                                            // SIGTERM, without waiting
  std::optional<int> WaitExit(absl::Duration timeout);        // see ListeningProcess::WaitExit
  int Terminate(absl::Duration timeout = absl::Seconds(20));  // SIGTERM, wait: exit code
  bool running();

  const std::string& name() const { return name_; }
  // "Bearer key-<name>": how the fake OpenAI server logs this replica's requests.
  std::string authorization() const { return "Bearer key-" + name_; }
  // The address of the current (or last) process.
  const std::string& address() const { return address_; }
  // When the last WaitServing() saw SERVING.
  absl::Time serving_at() const { return serving_at_; }
  Health health() const { return CheckHealth(address_); }

  // Clients of the current process.
  std::unique_ptr<client::CitecheckClient> Client(client::ClientOptions options = {}) const;
  std::unique_ptr<client::CitecheckClient> Account(const std::string& token) const;
  std::unique_ptr<client::CitecheckClient> Admin() const;

  // The logs of every incarnation so far, oldest first.
  std::string Logs() const;
  // How many processes were started.
  int incarnations() const { return incarnations_; }

 private:
  void Retire();  // keeps the current process's log and drops the process

  const std::string name_;
  const std::vector<std::string> flags_;
  std::unique_ptr<ServerProcess> process_;
  std::string address_;
  absl::Time serving_at_;
  int incarnations_ = 0;
  std::vector<std::string> old_logs_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_REPLICA_H_

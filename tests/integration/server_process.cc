#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "grpc/grpc.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_calls.h"

namespace citecheck::testing {
namespace {

// gRPC stays initialized for the whole test program. Otherwise a test whose last gRPC object
// goes away (say, the channel of a one-off raw call) shuts the library down on the spot, and
// gRPC's shutdown waits up to 10 s for the sockets still closing: the oversized-request test
// took 10 s in about half its runs for that alone (its call took 20 ms).
[[maybe_unused]] const bool kGrpcInitialized = (grpc_init(), true);

}  // namespace

std::unique_ptr<ListeningProcess> ListeningProcess::Start(std::vector<std::string> args,
                                                          const std::vector<std::string>& env) {
  std::unique_ptr<ListeningProcess> server(new ListeningProcess());
  char log_template[] = "/tmp/citecheck-process-XXXXXX";
  int log_fd = mkstemp(log_template);
  server->log_path_ = log_template;
  int out[2];
  if (log_fd < 0 || pipe(out) != 0) {
    ADD_FAILURE() << "cannot create the server's log or pipe";
    return nullptr;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close(out[0]);
    for (const std::string& entry : env) putenv(const_cast<char*>(entry.c_str()));
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(log_fd);
  server->pid_ = pid;

  // Read stdout until "listening on ADDR\n".
  std::string line;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  while (absl::Now() < deadline && !absl::StrContains(line, "\n")) {
    char buf[256];
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n > 0) {
      line.append(buf, n);
    } else if (n == 0) {
      break;  // exited
    } else {
      absl::SleepFor(absl::Milliseconds(10));
    }
  }
  close(out[0]);
  server->banner_ = line;
  const std::string kPrefix = "listening on ";
  size_t at = line.find(kPrefix);
  if (at == std::string::npos) {
    ADD_FAILURE() << args[0] << " did not start; its log:\n" << server->Log();
    server->Kill();
    return nullptr;
  }
  server->address_ = line.substr(at + kPrefix.size());
  server->address_ = server->address_.substr(0, server->address_.find('\n'));
  return server;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(std::vector<std::string> flags,
                                                    const std::vector<std::string>& env) {
  // Every test client calls from 127.0.0.1, so the free allowance per client address is off
  // unless a test sets it (a later flag wins).
  std::vector<std::string> args = {CITECHECK_SERVER_PATH, "--listen=127.0.0.1:0",
                                   "--log_level=debug", "--store=memory",
                                   "--free_address_daily_limit=0"};
  args.insert(args.end(), flags.begin(), flags.end());
  std::unique_ptr<ListeningProcess> process = ListeningProcess::Start(std::move(args), env);
  if (process == nullptr) return nullptr;
  return std::unique_ptr<ServerProcess>(new ServerProcess(std::move(process)));
}

ProcessResult RunProcess(const std::vector<std::string>& args, absl::Duration timeout) {
  ProcessResult result;
  int out[2];
  if (pipe(out) != 0) {
    ADD_FAILURE() << "pipe failed";
    return result;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY);
    dup2(null, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    close(out[0]);
    // Only 1 and 2 may hold the pipe: a daemon the command leaves running (deploy/mariadb.sh
    // start) would otherwise keep it open, and the read below would never see its end.
    close(out[1]);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& arg : copy) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  bool exited = false;
  while (true) {
    char buf[4096];
    ssize_t n = read(out[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, n);
      continue;
    }
    if (!exited && waitpid(pid, &status, WNOHANG) == pid) exited = true;
    if (exited && n == 0) break;  // exited and everything read
    if (absl::Now() >= deadline) {
      if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
      }
      close(out[0]);
      return result;
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  close(out[0]);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ListeningProcess::Announced(const std::string& prefix) const {
  const std::string wanted = prefix + " ";
  size_t at = banner_.find(wanted);
  if (at == std::string::npos) return "";
  std::string value = banner_.substr(at + wanted.size());
  return value.substr(0, value.find('\n'));
}

ListeningProcess::~ListeningProcess() {
  Kill();
  if (!log_path_.empty() && !::testing::Test::HasFailure() &&
      getenv("KEEP_SERVER_LOGS") == nullptr) {
    unlink(log_path_.c_str());
  }
}

std::unique_ptr<client::CitecheckClient> ClientOf(const std::string& address,
                                                  client::ClientOptions options) {
  options.server = address;
  options.rpc_timeout = absl::Seconds(10);
  return std::make_unique<client::CitecheckClient>(std::move(options));
}

std::unique_ptr<client::CitecheckClient> ServerProcess::Client(
    client::ClientOptions options) const {
  return ClientOf(address(), std::move(options));
}

std::unique_ptr<client::CitecheckClient> ServerProcess::FreeUser(const std::string& id) const {
  client::ClientOptions options;
  options.free_user_id = id;
  return Client(options);
}

std::unique_ptr<client::CitecheckClient> ServerProcess::Account(const std::string& token) const {
  client::ClientOptions options;
  options.token = token;
  return Client(options);
}

int ListeningProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  std::optional<int> code = WaitExit(timeout);
  if (code.has_value()) return *code;
  Kill();
  return -1;
}

void ListeningProcess::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::optional<int> ListeningProcess::WaitExit(absl::Duration timeout) {
  if (pid_ <= 0) return -1;
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(5));
  }
}

bool ListeningProcess::Running() { return pid_ > 0 && !WaitExit(absl::ZeroDuration()); }

void ListeningProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string ListeningProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WaitUntil(absl::Duration timeout, const std::function<bool()>& condition,
               absl::Duration poll) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(poll);
  }
}

grpc::Status RawUnaryCall(const std::string& address, const std::string& method,
                          const std::string& request_bytes, std::string* response,
                          absl::Duration timeout) {
  return RawUnaryCall(*NewChannel(address), method, request_bytes, {}, response, timeout);
}

Health CheckHealth(const std::string& address, const std::string& service, absl::Duration timeout) {
  // grpc.health.v1.HealthCheckRequest {service = 1} and HealthCheckResponse {status = 1}
  // (SERVING = 1, NOT_SERVING = 2) in raw bytes: no health stubs needed.
  std::string request;
  if (!service.empty()) {
    request = std::string("\x0a") + static_cast<char>(service.size()) + service;
  }
  std::string response;
  const grpc::Status status =
      RawUnaryCall(address, "/grpc.health.v1.Health/Check", request, &response, timeout);
  if (!status.ok()) return Health::kUnreachable;
  if (response == std::string("\x08\x01", 2)) return Health::kServing;
  if (response == std::string("\x08\x02", 2)) return Health::kNotServing;
  return Health::kOther;
}

}  // namespace citecheck::testing

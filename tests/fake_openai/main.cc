// fake_openai: the fake OpenAI-compatible server of the integration tests (see
// fake_openai_server.h for its API). Prints "listening on 127.0.0.1:PORT" on stdout once it
// accepts connections; exits 0 on SIGTERM or SIGINT after stopping cleanly, 1 when it cannot
// start, 2 on bad flags.

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "tests/fake_openai/canned_server.h"
#include "tests/fake_openai/fake_openai_server.h"

ABSL_FLAG(std::string, host, "127.0.0.1",
          "Address to listen on (0.0.0.0 in a container that other containers reach).");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 picks a free one.");
ABSL_FLAG(int, latency_ms, 0, "Default latency of every completion request, in ms.");
ABSL_FLAG(int, threads, 128, "Connections served at once.");
ABSL_FLAG(bool, canned, false,
          "Canned mode for benchmarks (canned_server.h): one epoll thread, reference checks "
          "answered with every citation valid without checking them, so that the fake's own CPU "
          "stays small next to the server's.");

namespace citecheck::fake_openai {
namespace {

// SIGINT/SIGTERM → one byte on this pipe (the only async-signal-safe thing the handler does);
// the main thread reads it and stops the server.
int g_signal_pipe[2] = {-1, -1};

void OnSignal(int signal) {
  const char byte = static_cast<char>(signal);
  ssize_t ignored = write(g_signal_pipe[1], &byte, 1);
  (void)ignored;
}

bool InstallSignalHandlers() {
  if (pipe(g_signal_pipe) != 0) return false;
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

int Run() {
  Options options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.default_latency_ms = absl::GetFlag(FLAGS_latency_ms);
  options.threads = absl::GetFlag(FLAGS_threads);
  if (options.port < 0 || options.port > 65535 || options.default_latency_ms < 0 ||
      options.threads < 1) {
    std::fprintf(stderr,
                 "fake_openai: --port must be 0..65535, --latency_ms >= 0, "
                 "--threads >= 1\n");
    return 2;
  }
  if (!InstallSignalHandlers()) {
    std::fprintf(stderr, "fake_openai: cannot install signal handlers\n");
    return 1;
  }
  std::string error;
  std::unique_ptr<FakeOpenAiServer> server;
  std::unique_ptr<CannedServer> canned;
  if (absl::GetFlag(FLAGS_canned)) {
    canned = CannedServer::Start(options, &error);
  } else {
    server = FakeOpenAiServer::Start(options, &error);
  }
  if (server == nullptr && canned == nullptr) {
    std::fprintf(stderr, "fake_openai: %s\n", error.c_str());
    return 1;
  }
  std::printf("listening on %s\n",
              canned != nullptr ? canned->address().c_str() : server->address().c_str());
  std::fflush(stdout);

  char signal = 0;
  while (read(g_signal_pipe[0], &signal, 1) < 0 && errno == EINTR) {
  }
  std::fprintf(stderr, "fake_openai: signal %d; stopping\n", static_cast<int>(signal));
  if (canned != nullptr) canned->Stop();
  if (server != nullptr) server->Stop();
  return 0;
}

}  // namespace
}  // namespace citecheck::fake_openai

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("A fake OpenAI-compatible server for citecheck's tests.");
  absl::ParseCommandLine(argc, argv);
  return citecheck::fake_openai::Run();
}

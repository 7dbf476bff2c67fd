// citecheck-server: flags in, CitecheckServer out. The only code the tests don't link.
//
// Every flag can also come from the environment as CITECHECK_<FLAG NAME IN UPPER CASE>; a flag
// given on the command line wins.

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "server/accounts/memory_account_store.h"
#include "server/api/citecheck_server.h"
#include "server/checking/delayed_checker.h"
#include "server/checking/heuristic_checker.h"
#include "server/common/logging.h"
#include "server/jobs/memory_job_store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address (port 0 = any free port)");
ABSL_FLAG(std::string, store, "mysql", "account store: mysql or memory (development only)");
ABSL_FLAG(std::string, mysql_url, "",
          "mysql://USER[:PASS]@HOST:PORT/DB or mysql://USER[:PASS]@localhost/DB?socket=PATH");
ABSL_FLAG(std::string, llm_base_url, "",
          "OpenAI-compatible base URL; empty = the built-in heuristic checker");
ABSL_FLAG(absl::Duration, checker_delay, absl::ZeroDuration(),
          "development: makes every checker call take at least this long, like a remote LLM");
ABSL_FLAG(int, llm_max_inflight, 16, "checker calls in flight at once, whole server");
ABSL_FLAG(int, citations_per_call, 5, "citations per checker call");
ABSL_FLAG(int, max_queued_chunks, 10000, "chunks waiting for a worker; more = QUEUE_FULL");
ABSL_FLAG(absl::Duration, job_deadline, absl::Minutes(30), "a job's whole time budget");
ABSL_FLAG(absl::Duration, job_retention, absl::Hours(168),
          "how long finished jobs and their request ids are kept");
ABSL_FLAG(absl::Duration, watch_heartbeat, absl::Seconds(5), "heartbeat on idle WatchJob streams");
ABSL_FLAG(int, free_limit, 5, "free citations per free user");
ABSL_FLAG(int, pass_daily_limit, 1000, "citations per UTC day on a pass");
ABSL_FLAG(int, max_batch_citations, 1000, "citations per batch");
ABSL_FLAG(int64_t, max_request_bytes, 4 * 1024 * 1024, "bytes per SubmitBatch request");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn or error");

namespace citecheck {
namespace {

// Applies CITECHECK_<NAME> environment variables to the flags they name.
bool ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const char* value = std::getenv(absl::StrCat("CITECHECK_", absl::AsciiStrToUpper(name)).c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::fprintf(stderr, "CITECHECK_%s: %s\n", absl::AsciiStrToUpper(name).c_str(),
                   error.c_str());
      return false;
    }
  }
  return true;
}

// SIGINT/SIGTERM → one byte on this pipe (the only async-signal-safe thing the handler does);
// a thread reads it and shuts the server down. A handler, rather than sigwait(), because gRPC
// may start threads before main() that would otherwise take the signal's default action.
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
  InitLogging(absl::GetFlag(FLAGS_log_level));
  if (!InstallSignalHandlers()) {
    spdlog::error("cannot install signal handlers");
    return 1;
  }

  ServerParts parts;
  if (!absl::GetFlag(FLAGS_llm_base_url).empty()) {
    spdlog::error("--llm_base_url: the HTTP LLM checker is not part of this build yet; "
                  "leave it empty to use the built-in heuristic checker");
    return 2;
  }
  parts.checker = std::make_unique<HeuristicChecker>();
  if (absl::GetFlag(FLAGS_checker_delay) > absl::ZeroDuration()) {
    parts.checker = std::make_unique<DelayedChecker>(std::move(parts.checker),
                                                     absl::GetFlag(FLAGS_checker_delay));
  }

  QuotaRules quota;
  quota.free_limit = absl::GetFlag(FLAGS_free_limit);
  quota.pass_daily_limit = absl::GetFlag(FLAGS_pass_daily_limit);
  const std::string store = absl::GetFlag(FLAGS_store);
  if (store == "memory") {
    spdlog::warn("--store=memory: accounts and jobs live in this process only and are lost when "
                 "it exits. For development only; never in production.");
    parts.accounts = std::make_unique<MemoryAccountStore>(quota);
  } else if (store == "mysql") {
    spdlog::error("--store=mysql: the MySQL account store is not part of this build yet; "
                  "run with --store=memory for development");
    return 2;
  } else {
    spdlog::error("--store must be mysql or memory, not '{}'", store);
    return 2;
  }
  parts.jobs = std::make_unique<MemoryJobStore>(parts.accounts.get());

  ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.jobs.citations_per_call = absl::GetFlag(FLAGS_citations_per_call);
  options.jobs.max_inflight = absl::GetFlag(FLAGS_llm_max_inflight);
  options.jobs.max_queued_chunks = absl::GetFlag(FLAGS_max_queued_chunks);
  options.jobs.job_deadline = absl::GetFlag(FLAGS_job_deadline);
  options.jobs.job_retention = absl::GetFlag(FLAGS_job_retention);
  options.limits.max_batch_citations = absl::GetFlag(FLAGS_max_batch_citations);
  options.limits.max_request_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_request_bytes));
  options.watch_heartbeat = absl::GetFlag(FLAGS_watch_heartbeat);
  if (options.jobs.citations_per_call < 1 || options.jobs.max_inflight < 1 ||
      options.limits.max_batch_citations < 1 || quota.free_limit < 0) {
    spdlog::error("--citations_per_call, --llm_max_inflight and --max_batch_citations must be "
                  "positive, --free_limit not negative");
    return 2;
  }

  absl::StatusOr<std::unique_ptr<CitecheckServer>> server =
      CitecheckServer::Start(options, std::move(parts));
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  spdlog::info("citecheck-server listening on {} (checker: heuristic, store: {})",
               (*server)->address(), store);
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);

  std::thread signal_waiter([&server] {
    char signal = 0;
    while (read(g_signal_pipe[0], &signal, 1) < 0 && errno == EINTR) {
    }
    spdlog::info("received signal {}; shutting down", static_cast<int>(signal));
    (*server)->Shutdown();
  });
  (*server)->Wait();
  signal_waiter.join();
  server->reset();
  return 0;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("citecheck-server: checks reference lists over gRPC");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  if (!citecheck::ApplyEnvironment()) return 2;
  absl::ParseCommandLine(argc, argv);
  return citecheck::Run();
}

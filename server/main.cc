// citecheck-server: flags in, CitecheckServer out. The only code the tests don't link.
//
// Every flag can also come from the environment as CITECHECK_<FLAG NAME IN UPPER CASE>; a flag
// given on the command line wins.

#include <curl/curl.h>
#include <unistd.h>

#include <atomic>
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
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/api/citecheck_server.h"
#include "server/api/http_endpoint.h"
#include "server/api/tls_credentials.h"
#include "server/checking/delayed_checker.h"
#include "server/checking/heuristic_checker.h"
#include "server/checking/llm_checker_setup.h"
#include "server/common/logging.h"
#include "server/common/stop_signal.h"
#include "server/storage/mysql_url.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address (port 0 = any free port)");
ABSL_FLAG(std::string, store, "mysql",
          "where jobs and accounts live: mysql (durable, shared by replicas) or memory "
          "(development only: one process, lost when it exits)");
ABSL_FLAG(std::string, mysql_url, "",
          "mysql://USER[:PASS]@HOST:PORT/DB or mysql://USER[:PASS]@localhost/DB?socket=PATH");
ABSL_FLAG(std::string, llm_base_url, "",
          "OpenAI-compatible base URL (e.g. https://api.openai.com/v1); empty = the built-in "
          "heuristic checker");
ABSL_FLAG(std::string, llm_api, "chat",
          "chat (POST {base}/chat/completions) or responses (POST {base}/responses)");
ABSL_FLAG(std::string, llm_model, "gpt-4o-mini", "the LLM model asked by default");
ABSL_FLAG(std::string, llm_api_key_env, "OPENAI_API_KEY",
          "NAME of the environment variable holding the LLM API key (empty value = no key)");
ABSL_FLAG(int, llm_max_attempts, 3, "attempts per citation and endpoint, the first included");
ABSL_FLAG(absl::Duration, llm_attempt_timeout, absl::Seconds(60),
          "the longest single LLM request (also capped by the job's deadline)");
ABSL_FLAG(int, llm_retry_budget_tokens, 100,
          "retry throttling per endpoint (gRFC A6 max_tokens); 0 = off");
ABSL_FLAG(double, llm_retry_budget_ratio, 0.1,
          "retry throttling: tokens earned per successful request");
ABSL_FLAG(int64_t, llm_rpm, 0,
          "client-side limit on LLM requests per minute per endpoint; 0 = off");
ABSL_FLAG(int64_t, llm_tpm, 0,
          "client-side limit on (estimated) LLM tokens per minute per endpoint; 0 = off");
ABSL_FLAG(std::string, llm_fallback_base_url, "",
          "base URL asked when the primary's attempts run out for a retryable reason; empty = "
          "the primary's endpoint when --llm_fallback_model is set, else no fallback");
ABSL_FLAG(std::string, llm_fallback_model, "",
          "the fallback's model; empty = --llm_model (needs --llm_fallback_base_url then)");
ABSL_FLAG(std::string, llm_fallback_api_key_env, "",
          "NAME of the environment variable holding the fallback's API key; empty = the "
          "primary's key if the fallback has the primary's host, else no key");
ABSL_FLAG(absl::Duration, checker_delay, absl::ZeroDuration(),
          "development: makes every checker call take at least this long, like a remote LLM");
ABSL_FLAG(int, llm_max_inflight, 16, "checker calls in flight at once, whole server");
ABSL_FLAG(int, citations_per_call, 5, "citations per checker call");
ABSL_FLAG(int, inline_per_call, 10,
          "in-text citations per checker call (each call carries the whole reference list)");
ABSL_FLAG(int, max_inline_citations, 1000, "in-text citations per document");
ABSL_FLAG(int, max_queued_chunks, 100000,
          "unfinished chunks in the whole queue (all replicas); more = QUEUE_FULL");
ABSL_FLAG(int, submit_threads, 8,
          "SubmitBatch calls reserving quota and storing their job at once (each may wait on "
          "the database)");
ABSL_FLAG(int, max_queued_submits, 1024,
          "SubmitBatch calls waiting for one of --submit_threads; more = QUEUE_FULL");
ABSL_FLAG(absl::Duration, claim_poll_max, absl::Seconds(1),
          "the longest an idle replica waits before looking for queued work again (work "
          "submitted to this replica is claimed at once)");
ABSL_FLAG(std::string, replica_name, "",
          "this replica's name in the database; a restart under the same name takes its "
          "unfinished chunks back at once (default: the host name)");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(5), "replica heartbeat interval");
ABSL_FLAG(absl::Duration, replica_dead_after, absl::Seconds(30),
          "a replica silent this long is dead: its chunks return to the queue");
ABSL_FLAG(absl::Duration, watch_poll, absl::Milliseconds(100),
          "how often this replica reads other replicas' new events for its watchers");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "SIGTERM: stop claiming, finish or hand back running chunks within this, then exit");
ABSL_FLAG(absl::Duration, job_deadline, absl::Minutes(30), "a job's whole time budget");
ABSL_FLAG(absl::Duration, job_retention, absl::Hours(168),
          "how long finished jobs and their request ids are kept (with --store=memory also their "
          "quota reservations and ledger entries, whose charges fold into one balance-forward "
          "entry per quota; the MySQL ledger is kept for good)");
ABSL_FLAG(absl::Duration, watch_heartbeat, absl::Seconds(5), "heartbeat on idle WatchJob streams");
ABSL_FLAG(int, free_limit, 5, "free citations per free user");
ABSL_FLAG(int, free_address_daily_limit, 50,
          "free citations per client address per UTC day, across all free user ids (stops "
          "rotating x-free-user-id); 0 = no cap");
ABSL_FLAG(std::string, trusted_proxies, "",
          "comma-separated CIDRs of reverse proxies whose x-forwarded-for names the client "
          "address (e.g. 10.0.0.0/8); empty = the peer's address always");
ABSL_FLAG(int, max_watch_streams_per_caller, 100,
          "open WatchJob streams per caller (token, free user id or anonymous address); more = "
          "RESOURCE_EXHAUSTED TOO_MANY_STREAMS; 0 = no limit");
ABSL_FLAG(int, pass_daily_limit, 1000, "citations per UTC day on a pass");
ABSL_FLAG(int, max_batch_citations, 1000, "citations per batch");
ABSL_FLAG(int64_t, max_request_bytes, 4 * 1024 * 1024, "bytes per SubmitBatch request");
ABSL_FLAG(int64_t, max_metadata_bytes, 8 * 1024,
          "bytes of metadata per request (keys and values, plus 32 per entry); more = "
          "INVALID_ARGUMENT REQUEST_TOO_LARGE. The transport closes the connection of a request "
          "with 8 times this (at least 64 KiB): keep a proxy's header limit below that");
ABSL_FLAG(int64_t, max_transport_memory, int64_t{1} << 30,
          "bytes gRPC may hold for connections and messages in transit, whole server; beyond it "
          "calls are reset with RESOURCE_EXHAUSTED instead of the process growing");
ABSL_FLAG(std::string, admin_key, "",
          "key for the admin RPCs (empty = admin RPCs refused); prefer CITECHECK_ADMIN_KEY in "
          "the environment over the command line");
ABSL_FLAG(int, admin_failures_per_minute, 10,
          "wrong or missing x-admin-key attempts allowed per client address per minute; beyond "
          "it admin calls from that address get RESOURCE_EXHAUSTED TOO_MANY_ADMIN_ATTEMPTS "
          "without the key being compared; 0 = no limit");
ABSL_FLAG(absl::Duration, admin_failure_log_interval, absl::Minutes(1),
          "refused admin calls are logged in one warning line per interval, not one per call");
ABSL_FLAG(std::string, log_level, "info", "trace, debug, info, warn or error");
ABSL_FLAG(std::string, log_format, "text",
          "text, or json: one JSON object per line (ts, level, msg and context fields)");
ABSL_FLAG(std::string, metrics_listen, "",
          "HTTP address serving /metrics (Prometheus text), /healthz and /readyz, e.g. "
          "0.0.0.0:9090; empty = off");
ABSL_FLAG(std::string, tls_cert_file, "",
          "serve gRPC over TLS with this PEM certificate chain (with --tls_key_file); empty = "
          "plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "the PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "require client certificates signed by this PEM CA (mTLS); needs --tls_cert_file");

namespace citecheck {
namespace {

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "citecheck";
  return name;
}

// Applies CITECHECK_<NAME> environment variables to the flags they name.
bool ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const char* value =
        std::getenv(absl::StrCat("CITECHECK_", absl::AsciiStrToUpper(name)).c_str());
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

int Run() {
  // Debian builds Abseil without NDEBUG, so absl::Mutex defaults to deadlock detection: a
  // process-wide lock-order graph updated on every lock (measured: 3-5% of the server's CPU on
  // the LLM path). The tests keep it on; the server runs as an NDEBUG Abseil would.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<LogFormat> log_format = ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!log_format.ok()) {
    std::fprintf(stderr, "--log_format: %s\n", std::string(log_format.status().message()).c_str());
    return 2;
  }
  InitLogging(absl::GetFlag(FLAGS_log_level), *log_format);
  // On every JSON log line from here on.
  SetProcessLogField("replica", absl::GetFlag(FLAGS_replica_name).empty()
                                    ? HostName()
                                    : absl::GetFlag(FLAGS_replica_name));
  if (!InstallStopSignalHandlers()) {
    spdlog::error("cannot install signal handlers");
    return 1;
  }

  std::unique_ptr<Checker> checker;
  std::string checker_name = "heuristic";
  if (!absl::GetFlag(FLAGS_llm_base_url).empty()) {
    LlmSetup llm;
    llm.base_url = absl::GetFlag(FLAGS_llm_base_url);
    llm.api = absl::GetFlag(FLAGS_llm_api);
    llm.model = absl::GetFlag(FLAGS_llm_model);
    llm.api_key_env = absl::GetFlag(FLAGS_llm_api_key_env);
    llm.max_attempts = absl::GetFlag(FLAGS_llm_max_attempts);
    llm.attempt_timeout = absl::GetFlag(FLAGS_llm_attempt_timeout);
    llm.retry_budget_tokens = absl::GetFlag(FLAGS_llm_retry_budget_tokens);
    llm.retry_budget_ratio = absl::GetFlag(FLAGS_llm_retry_budget_ratio);
    llm.rpm = absl::GetFlag(FLAGS_llm_rpm);
    llm.tpm = absl::GetFlag(FLAGS_llm_tpm);
    llm.fallback_base_url = absl::GetFlag(FLAGS_llm_fallback_base_url);
    llm.fallback_model = absl::GetFlag(FLAGS_llm_fallback_model);
    llm.fallback_api_key_env = absl::GetFlag(FLAGS_llm_fallback_api_key_env);
    absl::StatusOr<std::unique_ptr<Checker>> built_checker = BuildLlmChecker(llm);
    if (!built_checker.ok()) {
      spdlog::error("{}", std::string(built_checker.status().message()));
      return 2;
    }
    checker = *std::move(built_checker);
    checker_name = absl::StrCat("llm ", checker->ModelName());
    if (absl::GetFlag(FLAGS_checker_delay) > absl::ZeroDuration()) {
      spdlog::warn("--checker_delay applies to the heuristic checker only; ignored");
    }
  } else {
    if (!absl::GetFlag(FLAGS_llm_fallback_base_url).empty()) {
      spdlog::warn("--llm_fallback_base_url is ignored without --llm_base_url");
    }
    checker = std::make_unique<HeuristicChecker>();
    if (absl::GetFlag(FLAGS_checker_delay) > absl::ZeroDuration()) {
      checker =
          std::make_unique<DelayedChecker>(std::move(checker), absl::GetFlag(FLAGS_checker_delay));
    }
  }

  StoreSetup setup;
  setup.kind = absl::GetFlag(FLAGS_store);
  setup.quota.free_limit = absl::GetFlag(FLAGS_free_limit);
  setup.quota.pass_daily_limit = absl::GetFlag(FLAGS_pass_daily_limit);
  setup.quota.free_address_daily_limit = absl::GetFlag(FLAGS_free_address_daily_limit);
  setup.jobs.max_queued_chunks = absl::GetFlag(FLAGS_max_queued_chunks);
  setup.pool.connect_timeout = absl::Seconds(2);
  if (setup.kind == "memory") {
    spdlog::warn(
        "--store=memory: accounts and jobs live in this process only and are lost when "
        "it exits. For development only; never in production.");
  } else if (setup.kind == "mysql") {
    const std::string url_text = absl::GetFlag(FLAGS_mysql_url);
    if (url_text.empty()) {
      spdlog::error(
          "--store=mysql needs --mysql_url (or CITECHECK_MYSQL_URL); use "
          "--store=memory for development without a database");
      return 2;
    }
    absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(url_text);
    if (!url.ok()) {
      spdlog::error("--mysql_url: {}", std::string(url.status().message()));
      return 2;
    }
    setup.mysql = *url;
  } else {
    spdlog::error("--store must be mysql or memory, not '{}'", setup.kind);
    return 2;
  }
  ServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.jobs.citations_per_call = absl::GetFlag(FLAGS_citations_per_call);
  options.jobs.inline_per_call = absl::GetFlag(FLAGS_inline_per_call);
  options.limits.max_inline_citations = absl::GetFlag(FLAGS_max_inline_citations);
  options.jobs.max_inflight = absl::GetFlag(FLAGS_llm_max_inflight);
  options.jobs.job_deadline = absl::GetFlag(FLAGS_job_deadline);
  options.jobs.job_retention = absl::GetFlag(FLAGS_job_retention);
  options.jobs.replica_name = absl::GetFlag(FLAGS_replica_name);
  if (options.jobs.replica_name.empty()) options.jobs.replica_name = HostName();
  options.jobs.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  options.jobs.replica_dead_after = absl::GetFlag(FLAGS_replica_dead_after);
  options.jobs.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  options.watch_poll = absl::GetFlag(FLAGS_watch_poll);
  options.jobs.claim_poll_max = absl::GetFlag(FLAGS_claim_poll_max);
  options.submit_pool.threads = absl::GetFlag(FLAGS_submit_threads);
  options.submit_pool.max_queued = absl::GetFlag(FLAGS_max_queued_submits);
  options.limits.max_batch_citations = absl::GetFlag(FLAGS_max_batch_citations);
  options.limits.max_request_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_request_bytes));
  options.watch.heartbeat = absl::GetFlag(FLAGS_watch_heartbeat);
  options.watch.max_streams_per_caller = absl::GetFlag(FLAGS_max_watch_streams_per_caller);
  options.admin_key = absl::GetFlag(FLAGS_admin_key);
  options.admin_attempts.max_failures_per_minute = absl::GetFlag(FLAGS_admin_failures_per_minute);
  options.admin_attempts.log_interval = absl::GetFlag(FLAGS_admin_failure_log_interval);
  if (absl::GetFlag(FLAGS_max_metadata_bytes) < 1024 ||
      absl::GetFlag(FLAGS_max_metadata_bytes) > 1024 * 1024) {
    spdlog::error("--max_metadata_bytes must be between 1024 and 1048576");
    return 2;
  }
  options.calls.max_metadata_bytes = static_cast<size_t>(absl::GetFlag(FLAGS_max_metadata_bytes));
  absl::StatusOr<TrustedProxies> proxies =
      TrustedProxies::Parse(absl::GetFlag(FLAGS_trusted_proxies));
  if (!proxies.ok()) {
    spdlog::error("--trusted_proxies: {}", std::string(proxies.status().message()));
    return 2;
  }
  options.calls.trusted_proxies = *std::move(proxies);
  if (absl::GetFlag(FLAGS_max_transport_memory) < 64 * 1024 * 1024) {
    spdlog::error("--max_transport_memory must be at least 64 MiB");
    return 2;
  }
  options.max_transport_memory = static_cast<size_t>(absl::GetFlag(FLAGS_max_transport_memory));
  spdlog::info("admin RPCs: {}",
               options.admin_key.empty() ? "refused (no --admin_key)" : "enabled (admin key set)");
  if (options.jobs.citations_per_call < 1 || options.jobs.max_inflight < 1 ||
      options.jobs.inline_per_call < 1 || options.limits.max_inline_citations < 0 ||
      options.limits.max_batch_citations < 1 || setup.quota.free_limit < 0 ||
      options.watch.max_streams_per_caller < 0 || setup.quota.free_address_daily_limit < 0 ||
      options.admin_attempts.max_failures_per_minute < 0 ||
      options.admin_attempts.log_interval <= absl::ZeroDuration() ||
      options.jobs.heartbeat_interval <= absl::ZeroDuration() ||
      options.jobs.replica_dead_after <= 2 * options.jobs.heartbeat_interval ||
      options.watch_poll <= absl::ZeroDuration() ||
      options.jobs.claim_poll_max < options.jobs.claim_poll_min ||
      options.submit_pool.threads < 1 || options.submit_pool.max_queued < 0 ||
      options.jobs.shutdown_grace < absl::ZeroDuration()) {
    spdlog::error(
        "--citations_per_call, --llm_max_inflight, --max_batch_citations, --submit_threads, "
        "--heartbeat_interval, --watch_poll and --admin_failure_log_interval must be positive, "
        "--claim_poll_max at least {}, --free_limit, --free_address_daily_limit, "
        "--max_watch_streams_per_caller, --admin_failures_per_minute, --max_queued_submits and "
        "--shutdown_grace not negative, and --replica_dead_after more than twice "
        "--heartbeat_interval",
        absl::FormatDuration(options.jobs.claim_poll_min));
    return 2;
  }

  const TlsFiles tls{absl::GetFlag(FLAGS_tls_cert_file), absl::GetFlag(FLAGS_tls_key_file),
                     absl::GetFlag(FLAGS_tls_client_ca_file)};
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials = ServerCredentialsFor(tls);
  if (!credentials.ok()) {
    spdlog::error("{}", std::string(credentials.status().message()));
    return 2;
  }
  options.credentials = *std::move(credentials);

  // Up before the gRPC server so that /healthz answers during start-up (/readyz says 503).
  std::atomic<CitecheckServer*> running{nullptr};
  std::unique_ptr<HttpEndpoint> http;
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    HttpEndpointOptions http_options;
    http_options.listen = absl::GetFlag(FLAGS_metrics_listen);
    http_options.ready = [&running] {
      CitecheckServer* server = running.load();
      return server != nullptr && server->serving();
    };
    absl::StatusOr<std::unique_ptr<HttpEndpoint>> started = HttpEndpoint::Start(http_options);
    if (!started.ok()) {
      spdlog::error("--metrics_listen: {}", std::string(started.status().message()));
      return 2;
    }
    http = *std::move(started);
  }

  absl::StatusOr<ServerParts> built = BuildServerParts(setup, std::move(checker));
  if (!built.ok()) {
    spdlog::error("cannot open the {} store{}: {}", setup.kind,
                  setup.mysql.has_value() ? absl::StrCat(" at ", setup.mysql->Redacted()) : "",
                  built.status().ToString());
    return 1;
  }
  if (setup.mysql.has_value()) {
    spdlog::info("jobs and accounts in MySQL at {} (schema version {})", setup.mysql->Redacted(),
                 built->database->schema_version());
  }
  ServerParts parts = *std::move(built);

  absl::StatusOr<std::unique_ptr<CitecheckServer>> server =
      CitecheckServer::Start(options, std::move(parts));
  if (!server.ok()) {
    spdlog::error("cannot start: {}", server.status().ToString());
    return 1;
  }
  running.store(server->get());
  spdlog::info("citecheck-server listening on {} ({}; replica: {}, checker: {}, store: {})",
               (*server)->address(), TransportSecurityName(tls), options.jobs.replica_name,
               checker_name, setup.kind);
  if (http != nullptr) spdlog::info("metrics, /healthz and /readyz on http://{}", http->address());
  // One write, so that a reader of the first line gets the second with it.
  std::printf("listening on %s\n%s", (*server)->address().c_str(),
              http == nullptr ? "" : absl::StrCat("metrics on ", http->address(), "\n").c_str());
  std::fflush(stdout);

  // SIGINT/SIGTERM shut the server down from this thread.
  std::thread signal_waiter([&server] {
    spdlog::info("received signal {}; shutting down", WaitForStopSignal());
    (*server)->Shutdown();
  });
  (*server)->Wait();
  signal_waiter.join();
  running.store(nullptr);
  server->reset();
  if (http != nullptr) http->Stop();
  return 0;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  // Before any thread exists (gRPC's included); the HTTP LLM client relies on it.
  if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
    std::fprintf(stderr, "curl_global_init failed\n");
    return 1;
  }
  absl::SetProgramUsageMessage("citecheck-server: checks reference lists over gRPC");
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "server/main.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  if (!citecheck::ApplyEnvironment()) return 2;
  absl::ParseCommandLine(argc, argv);
  const int status = citecheck::Run();
  curl_global_cleanup();
  return status;
}

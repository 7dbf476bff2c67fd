// Benchmark (a program, not a test): SubmitBatch at fixed request rates against the MySQL store.
//
//   build/bench/submit_rate_bench [--rates=500] [--duration=60s] [--citations=10]
//       [--accounts=200] [--connections=8] [--mysql_url=...] [--server_flags=a,b]
//
// Starts a MariaDB of its own (deploy/mariadb.sh; or uses --mysql_url) and the real
// citecheck-server on it (--store=mysql, the heuristic checker: every submitted citation is
// checked, recorded, charged and its events written), grants --accounts accounts credits, then
// for each rate sends SubmitBatch requests of --citations citations open-loop: request i is due
// at start + i / rate whatever happened to the earlier ones, and its latency is measured from
// that due time (a slow answer delays no later request, so queueing shows in the figures). After
// each rate it waits for the server to finish every job it accepted (the drain) before the next.
//
// Reported per rate: requests sent and answered OK, errors by code and reason (every error is
// unexpected), latency p50/p90/p99/p999/max, how late the sender was (its own lag), citations
// checked per second during the sending and in all (sending + drain), the queue left at the end
// of the sending, and the CPU of the server, mariadbd and this client as a share of one core.

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/load_support.h"
#include "bench/process_stats.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "client/citecheck_client.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(std::string, rates, "500", "request rates to run, comma-separated (requests/s)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(60), "how long each rate is sent");
ABSL_FLAG(int, citations, 10, "citations per SubmitBatch");
ABSL_FLAG(int, accounts, 200, "accounts the requests are spread over (round robin)");
ABSL_FLAG(int, connections, 8, "client connections");
ABSL_FLAG(std::string, mysql_url, "", "use this database (default: a MariaDB of its own)");
ABSL_FLAG(std::string, server_flags, "", "extra server flags, comma-separated");
ABSL_FLAG(absl::Duration, drain_timeout, absl::Minutes(10),
          "longest wait for the server to finish the jobs of one rate");

namespace citecheck::bench {
namespace {

constexpr char kAdminKey[] = "submit-bench-admin";

struct RateResult {
  int rate = 0;
  int sent = 0;
  int ok = 0;
  std::map<std::string, int> errors;  // "CODE REASON" -> count
  LatencySummary latency;
  LatencySummary lag;
  double checked_per_s_sending = 0;
  double checked_per_s_overall = 0;
  double queue_at_end = 0;
  absl::Duration drain;
  double server_cores = 0, mariadb_cores = 0, client_cores = 0;
};

// The answers of one rate's requests.
struct Answers {
  absl::Mutex mu;
  std::vector<absl::Duration> latencies ABSL_GUARDED_BY(mu);
  std::map<std::string, int> errors ABSL_GUARDED_BY(mu);
  int answered ABSL_GUARDED_BY(mu) = 0;
};

// One SubmitBatch in flight; deletes itself when answered.
struct Call {
  grpc::ClientContext context;
  v1::SubmitBatchRequest request;
  v1::Job response;
  absl::Time due;
};

class RateRunner {
 public:
  RateRunner(testing::ServerProcess& server, pid_t mariadb_pid, std::vector<std::string> tokens)
      : server_(server), mariadb_pid_(mariadb_pid), tokens_(std::move(tokens)) {
    for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_connections)); ++c) {
      stubs_.push_back(v1::CitationService::NewStub(OwnConnection(server.address())));
    }
  }

  RateResult Run(int rate) {
    RateResult result;
    result.rate = rate;
    const absl::Duration duration = absl::GetFlag(FLAGS_duration);
    const int total = static_cast<int>(rate * absl::ToDoubleSeconds(duration));
    const int citations = absl::GetFlag(FLAGS_citations);
    const pid_t server_pid = server_.process().pid();
    Answers answers;
    std::vector<absl::Duration> lag;
    lag.reserve(total);

    const double checked0 = Checked();
    const absl::Duration server_cpu0 = ProcessCpu(server_pid);
    const absl::Duration mariadb_cpu0 = ProcessCpu(mariadb_pid_);
    const absl::Duration client_cpu0 = OwnCpu();
    const absl::Time start = absl::Now() + absl::Milliseconds(50);
    for (int i = 0; i < total; ++i) {
      auto* call = new Call;
      call->due = start + absl::Seconds(1) * i / rate;
      const absl::Duration wait = call->due - absl::Now();
      if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
      const int64_t serial = next_serial_++;
      for (int c = 0; c < citations; ++c) {
        call->request.mutable_citations()->add_items(
            absl::StrCat("Author", serial, ", A. B. (2020). A study of things, part ", c,
                         ". _Journal of Studies_, _", c + 1, "_(2), 10–20."));
      }
      AddToken(&call->context, tokens_[serial % tokens_.size()]);
      call->context.set_deadline(absl::ToChronoTime(call->due + absl::Seconds(30)));
      const absl::Time sent = absl::Now();
      lag.push_back(sent - call->due);
      stubs_[serial % stubs_.size()]->async()->SubmitBatch(
          &call->context, &call->request, &call->response, [call, &answers](grpc::Status status) {
            const absl::Duration took = absl::Now() - call->due;
            {
              absl::MutexLock lock(&answers.mu);
              ++answers.answered;
              if (status.ok()) {
                answers.latencies.push_back(took);
              } else {
                answers.errors[absl::StrCat(client::StatusCodeName(status.error_code()), " ",
                                            client::ErrorReason(status))]++;
              }
            }
            delete call;
          });
    }
    {
      absl::MutexLock lock(&answers.mu);
      auto all = [&answers, total]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(answers.mu) {
        return answers.answered >= total;
      };
      answers.mu.Await(absl::Condition(&all));
    }
    const absl::Duration sending = absl::Now() - start;
    result.checked_per_s_sending = (Checked() - checked0) / absl::ToDoubleSeconds(sending);
    testing::PrometheusText metrics = testing::ScrapeMetrics(server_.metrics_address());
    result.queue_at_end = metrics.Value("citecheck_queue_chunks");

    // The drain: every accepted job finishes.
    const absl::Time drain_start = absl::Now();
    int ok = 0;
    {
      absl::MutexLock lock(&answers.mu);
      ok = static_cast<int>(answers.latencies.size());
    }
    const double finished_target = finished_ + ok;
    Eventually([&] { return Finished() >= finished_target; }, absl::GetFlag(FLAGS_drain_timeout));
    finished_ = Finished();
    result.drain = absl::Now() - drain_start;
    const absl::Duration all_time = absl::Now() - start;
    result.checked_per_s_overall = (Checked() - checked0) / absl::ToDoubleSeconds(all_time);
    result.server_cores = absl::ToDoubleSeconds(ProcessCpu(server_pid) - server_cpu0) /
                          absl::ToDoubleSeconds(all_time);
    result.mariadb_cores = absl::ToDoubleSeconds(ProcessCpu(mariadb_pid_) - mariadb_cpu0) /
                           absl::ToDoubleSeconds(all_time);
    result.client_cores =
        absl::ToDoubleSeconds(OwnCpu() - client_cpu0) / absl::ToDoubleSeconds(all_time);

    absl::MutexLock lock(&answers.mu);
    result.sent = total;
    result.ok = ok;
    result.errors = answers.errors;
    result.latency = Summarize(answers.latencies);
    result.lag = Summarize(std::move(lag));
    return result;
  }

 private:
  double Checked() {
    return testing::ScrapeMetrics(server_.metrics_address())
        .Value("citecheck_citations_total", {{"outcome", "checked"}});
  }
  double Finished() {
    return testing::ScrapeMetrics(server_.metrics_address()).Sum("citecheck_jobs_finished_total");
  }

  testing::ServerProcess& server_;
  const pid_t mariadb_pid_;
  const std::vector<std::string> tokens_;
  std::vector<std::unique_ptr<v1::CitationService::Stub>> stubs_;
  int64_t next_serial_ = 0;
  double finished_ = 0;
};

void Print(const RateResult& r) {
  auto ms = [](absl::Duration d) { return absl::ToDoubleMilliseconds(d); };
  std::vector<std::string> errors;
  for (const auto& [what, count] : r.errors) errors.push_back(absl::StrCat(count, " ", what));
  std::printf(
      "| %d/s | %d | %d | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.2f | %.0f | %.0f | %.0f | %.1f "
      "| %.2f | %.2f | %.2f |\n",
      r.rate, r.sent, r.ok, errors.empty() ? "0" : absl::StrJoin(errors, "; ").c_str(),
      ms(r.latency.p50), ms(r.latency.p90), ms(r.latency.p99), ms(r.latency.p999),
      ms(r.latency.max), ms(r.lag.p99), r.checked_per_s_sending, r.checked_per_s_overall,
      r.queue_at_end, absl::ToDoubleSeconds(r.drain), r.server_cores, r.mariadb_cores,
      r.client_cores);
  std::fflush(stdout);
}

int Run() {
  std::unique_ptr<BenchMariaDb> own_db;
  const absl::StatusOr<std::string> url = LoadDatabaseUrl(absl::GetFlag(FLAGS_mysql_url), &own_db);
  if (!url.ok()) {
    std::fprintf(stderr, "%s\n", url.status().ToString().c_str());
    return 1;
  }
  const pid_t mariadb_pid = own_db != nullptr ? own_db->pid() : -1;
  std::vector<std::string> flags = {"--store=mysql", "--mysql_url=" + *url, "--log_level=warn",
                                    absl::StrCat("--admin_key=", kAdminKey),
                                    "--metrics_listen=127.0.0.1:0"};
  for (absl::string_view flag :
       absl::StrSplit(absl::GetFlag(FLAGS_server_flags), ',', absl::SkipEmpty())) {
    flags.emplace_back(flag);
  }
  auto server = testing::ServerProcess::Start(flags);
  if (server == nullptr) return 1;
  std::fprintf(stderr, "server pid %d, mariadbd pid %d\n",
               static_cast<int>(server->process().pid()), static_cast<int>(mariadb_pid));

  const absl::StatusOr<std::vector<std::string>> granted =
      GrantedAccounts(server->address(), kAdminKey, "submit-bench", absl::GetFlag(FLAGS_accounts),
                      int64_t{1} << 40);
  if (!granted.ok()) {
    std::fprintf(stderr, "%s\n", granted.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string>& tokens = *granted;

  std::printf(
      "SubmitBatch of %d citations, open loop, %s per rate, %d accounts, %d connections, store "
      "mysql, load average %.2f\n\n",
      absl::GetFlag(FLAGS_citations), absl::FormatDuration(absl::GetFlag(FLAGS_duration)).c_str(),
      absl::GetFlag(FLAGS_accounts), absl::GetFlag(FLAGS_connections), LoadAverage1());
  std::printf(
      "| rate | sent | OK | errors | p50 ms | p90 ms | p99 ms | p999 ms | max ms | sender lag "
      "p99 ms | checked/s while sending | checked/s with drain | queue left (chunks) | drain s "
      "| server cores | mariadbd cores | client cores |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  RateRunner runner(*server, mariadb_pid, tokens);
  bool clean = true;
  for (absl::string_view text :
       absl::StrSplit(absl::GetFlag(FLAGS_rates), ',', absl::SkipEmpty())) {
    int rate = 0;
    if (!absl::SimpleAtoi(text, &rate) || rate <= 0) {
      std::fprintf(stderr, "bad rate '%s'\n", std::string(text).c_str());
      return 2;
    }
    RateResult result = runner.Run(rate);
    Print(result);
    clean = clean && result.errors.empty();
  }
  server->Terminate();
  return clean ? 0 : 1;
}

}  // namespace
}  // namespace citecheck::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::bench::Run();
}

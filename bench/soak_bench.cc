// Benchmark (a program, not a test): a mixed soak of every RPC from many clients.
//
//   build/bench/soak_bench [--clients=200] [--duration=10m] [--warmup=2m] [--sample=10s]
//       [--mysql_url=...] [--server_flags=a,b]
//
// Starts a MariaDB of its own (deploy/mariadb.sh; or uses --mysql_url) and the real
// citecheck-server on it (--store=mysql; the heuristic checker behind --checker_delay, one
// citation per call, so that jobs run long enough to be watched, resumed and cancelled). Each of
// --clients clients (its own account, granted credits) loops for --duration over a mix of
//   submit + watch to the end (20%), submit + cancel (10%), get (20%), list (15%),
//   balance (15%), resume a watch from a random sequence of one of its jobs (10%),
//   watch, drop the stream after the first event and resume it after the last one seen (10%),
// with a random pause of 100-500 ms between operations. Every --sample it prints the server's
// RSS, open descriptors, threads and CPU, and the operations and errors so far. At the end:
// operations and latency by kind, every error (all are unexpected: a client never does
// anything the server should refuse), the RSS slope after --warmup (least squares over the
// samples), and descriptors and threads at the end of the warm-up and at the end.

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/load_support.h"
#include "bench/process_stats.h"
#include "client/citecheck_client.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(int, clients, 200, "concurrent clients, each with its own account");
ABSL_FLAG(absl::Duration, duration, absl::Minutes(10), "how long the clients run");
ABSL_FLAG(absl::Duration, warmup, absl::Minutes(2), "samples before this are not in the slope");
ABSL_FLAG(absl::Duration, sample, absl::Seconds(10), "sampling interval");
ABSL_FLAG(int, connections, 20, "client connections the clients share");
ABSL_FLAG(std::string, mysql_url, "", "use this database (default: a MariaDB of its own)");
ABSL_FLAG(std::string, server_flags, "", "extra server flags, comma-separated");

namespace citecheck::bench {
namespace {

constexpr char kAdminKey[] = "soak-bench-admin";

enum Op { kSubmitWatch, kSubmitCancel, kGet, kList, kBalance, kResume, kDropResume, kOps };
constexpr const char* kOpNames[kOps] = {"submit+watch", "submit+cancel", "get",        "list",
                                        "balance",      "resume",        "drop+resume"};
constexpr int kWeights[kOps] = {20, 10, 20, 15, 15, 10, 10};

// What all clients did; thread-safe.
class Tally {
 public:
  void Record(Op op, absl::Duration took, const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    ++ops_;
    latencies_[op].push_back(took);
    if (!status.ok()) {
      ++errors_;
      error_kinds_[absl::StrCat(kOpNames[op], ": ", client::StatusCodeName(status.error_code()),
                                " ", client::ErrorReason(status), " ", status.error_message())]++;
    }
  }
  // A wrong result that is not an RPC error (e.g. a resumed watch that skipped an event).
  void Wrong(Op op, const std::string& what) {
    absl::MutexLock lock(&mu_);
    ++errors_;
    error_kinds_[absl::StrCat(kOpNames[op], ": ", what)]++;
  }
  std::pair<int64_t, int64_t> Counts() const {
    absl::MutexLock lock(&mu_);
    return {ops_, errors_};
  }
  void Print() const {
    absl::MutexLock lock(&mu_);
    std::printf("\n| operation | count | p50 ms | p99 ms | max ms |\n|---|---|---|---|---|\n");
    for (int op = 0; op < kOps; ++op) {
      const LatencySummary s = Summarize(latencies_[op]);
      std::printf("| %s | %zu | %.2f | %.2f | %.2f |\n", kOpNames[op], s.count,
                  absl::ToDoubleMilliseconds(s.p50), absl::ToDoubleMilliseconds(s.p99),
                  absl::ToDoubleMilliseconds(s.max));
    }
    std::printf("\noperations %ld, errors %ld\n", static_cast<long>(ops_),  // NOLINT
                static_cast<long>(errors_));                                // NOLINT
    for (const auto& [what, count] : error_kinds_) std::printf("  %d x %s\n", count, what.c_str());
  }

 private:
  mutable absl::Mutex mu_;
  int64_t ops_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<absl::Duration> latencies_[kOps] ABSL_GUARDED_BY(mu_);
  std::map<std::string, int> error_kinds_ ABSL_GUARDED_BY(mu_);
};

class SoakClient {
 public:
  SoakClient(std::shared_ptr<grpc::Channel> channel, const std::string& token, int seed,
             Tally* tally)
      : client_(std::move(channel), Options(token)), rng_(seed), tally_(tally) {}

  void Loop(absl::Time end) {
    std::discrete_distribution<int> pick(std::begin(kWeights), std::end(kWeights));
    std::uniform_int_distribution<int> pause_ms(100, 500);
    while (absl::Now() < end) {
      const Op op = static_cast<Op>(pick(rng_));
      const absl::Time start = absl::Now();
      const grpc::Status status = Do(op);
      tally_->Record(op, absl::Now() - start, status);
      absl::SleepFor(absl::Milliseconds(pause_ms(rng_)));
    }
  }

 private:
  static client::ClientOptions Options(const std::string& token) {
    client::ClientOptions options;
    options.token = token;
    return options;
  }

  v1::SubmitBatchRequest Batch() {
    v1::SubmitBatchRequest request;
    const int n = std::uniform_int_distribution<int>(1, 3)(rng_);
    for (int i = 0; i < n; ++i) {
      request.mutable_citations()->add_items(
          absl::StrCat("Soak, A. (2020). Work ", serial_++, ". _Journal_, _1_(2), 10–20."));
    }
    return request;
  }

  // A job of this client's (submitting one when it has none yet).
  grpc::Status SomeJob(std::string* job_id) {
    if (jobs_.empty()) {
      v1::Job job;
      grpc::Status status = client_.SubmitBatch(Batch(), &job);
      if (!status.ok()) return status;
      Remember(job.job_id());
    }
    *job_id = jobs_[std::uniform_int_distribution<size_t>(0, jobs_.size() - 1)(rng_)];
    return grpc::Status::OK;
  }
  void Remember(const std::string& job_id) {
    jobs_.push_back(job_id);
    if (jobs_.size() > 20) jobs_.erase(jobs_.begin());
  }

  // Watches `job_id` from `after` to its end, checking that sequences continue without a gap.
  grpc::Status WatchToEnd(Op op, const std::string& job_id, int64_t after) {
    int64_t last = after;
    bool gap = false;
    grpc::Status status = client_.Watch(job_id, after, [&](const v1::JobEvent& event) {
      if (event.has_heartbeat()) return true;
      if (event.sequence() != last + 1) gap = true;
      last = event.sequence();
      return true;
    });
    if (gap) tally_->Wrong(op, "a watch skipped or repeated a sequence");
    return status;
  }

  grpc::Status Do(Op op) {
    switch (op) {
      case kSubmitWatch: {
        v1::Job job;
        grpc::Status status = client_.SubmitBatch(Batch(), &job);
        if (!status.ok()) return status;
        Remember(job.job_id());
        return WatchToEnd(op, job.job_id(), 0);
      }
      case kSubmitCancel: {
        v1::Job job;
        grpc::Status status = client_.SubmitBatch(Batch(), &job);
        if (!status.ok()) return status;
        Remember(job.job_id());
        v1::Job cancelled;
        status = client_.CancelJob(job.job_id(), &cancelled);
        if (status.ok() && !client::IsTerminal(cancelled.state())) {
          tally_->Wrong(op, "CancelJob returned a job that is not finished");
        }
        return status;
      }
      case kGet: {
        std::string job_id;
        grpc::Status status = SomeJob(&job_id);
        if (!status.ok()) return status;
        v1::Job job;
        return client_.GetJob(job_id, &job);
      }
      case kList: {
        v1::ListJobsRequest request;
        request.set_page_size(10);
        v1::ListJobsResponse response;
        grpc::Status status = client_.ListJobs(request, &response);
        if (status.ok() && !response.next_page_token().empty()) {
          request.set_page_token(response.next_page_token());
          status = client_.ListJobs(request, &response);
        }
        return status;
      }
      case kBalance: {
        v1::Balance balance;
        return client_.GetBalance(&balance);
      }
      case kResume: {
        std::string job_id;
        grpc::Status status = SomeJob(&job_id);
        if (!status.ok()) return status;
        v1::Job job;
        status = client_.GetJob(job_id, &job);
        if (!status.ok()) return status;
        const int64_t after = std::uniform_int_distribution<int64_t>(0, job.last_sequence())(rng_);
        return WatchToEnd(op, job_id, after);
      }
      case kDropResume: {
        v1::Job job;
        grpc::Status status = client_.SubmitBatch(Batch(), &job);
        if (!status.ok()) return status;
        Remember(job.job_id());
        int64_t last = 0;
        status = client_.Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
          if (!event.has_heartbeat()) last = event.sequence();
          return false;  // drop the stream after the first event
        });
        if (status.error_code() != grpc::StatusCode::CANCELLED && !status.ok()) return status;
        return WatchToEnd(op, job.job_id(), last);
      }
      case kOps:
        break;
    }
    return grpc::Status::OK;
  }

  client::CitecheckClient client_;
  std::mt19937 rng_;
  Tally* const tally_;
  std::vector<std::string> jobs_;
  int64_t serial_ = 0;
};

int Run() {
  std::unique_ptr<BenchMariaDb> own_db;
  const absl::StatusOr<std::string> url = LoadDatabaseUrl(absl::GetFlag(FLAGS_mysql_url), &own_db);
  if (!url.ok()) {
    std::fprintf(stderr, "%s\n", url.status().ToString().c_str());
    return 1;
  }
  std::vector<std::string> flags = {
      "--store=mysql",         "--mysql_url=" + *url,
      "--log_level=warn",      absl::StrCat("--admin_key=", kAdminKey),
      "--checker_delay=50ms",  "--citations_per_call=1",
      "--llm_max_inflight=32", "--watch_heartbeat=1s"};
  for (absl::string_view flag :
       absl::StrSplit(absl::GetFlag(FLAGS_server_flags), ',', absl::SkipEmpty())) {
    flags.emplace_back(flag);
  }
  auto server = testing::ServerProcess::Start(flags);
  if (server == nullptr) return 1;
  const pid_t pid = server->process().pid();
  std::fprintf(stderr, "server pid %d\n", static_cast<int>(pid));

  const int clients = absl::GetFlag(FLAGS_clients);
  const absl::StatusOr<std::vector<std::string>> tokens =
      GrantedAccounts(server->address(), kAdminKey, "soak", clients, int64_t{1} << 40);
  if (!tokens.ok()) {
    std::fprintf(stderr, "%s\n", tokens.status().ToString().c_str());
    return 1;
  }
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_connections)); ++c) {
    channels.push_back(OwnConnection(server->address()));
  }
  Tally tally;
  std::vector<std::unique_ptr<SoakClient>> soak_clients;
  for (int i = 0; i < clients; ++i) {
    soak_clients.push_back(
        std::make_unique<SoakClient>(channels[i % channels.size()], (*tokens)[i], i + 1, &tally));
  }

  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const absl::Duration warmup = absl::GetFlag(FLAGS_warmup);
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  std::vector<std::thread> threads;
  for (auto& soak_client : soak_clients) {
    threads.emplace_back([&soak_client, end] { soak_client->Loop(end); });
  }

  std::printf("%d clients, %s, store mysql, load average %.2f\n\n", clients,
              absl::FormatDuration(duration).c_str(), LoadAverage1());
  std::printf(
      "| t s | operations | errors | RSS MiB | fds | threads | server CPU %% of a core |\n"
      "|---|---|---|---|---|---|---|\n");
  std::vector<double> minutes, rss_mib, fd_counts, thread_counts;
  absl::Duration cpu_before = ProcessCpu(pid);
  absl::Time sampled = start;
  while (absl::Now() < end) {
    absl::SleepFor(std::min(absl::GetFlag(FLAGS_sample), end - absl::Now()));
    const absl::Time now = absl::Now();
    const absl::Duration cpu = ProcessCpu(pid);
    const double rss = ProcessRssBytes(pid) / 1048576.0;
    const int fds = OpenFds(pid);
    const int thread_count = ThreadCount(pid);
    const auto [ops, errors] = tally.Counts();
    const double t = absl::ToDoubleSeconds(now - start);
    std::printf(
        "| %.0f | %ld | %ld | %.1f | %d | %d | %.1f |\n", t, static_cast<long>(ops),
        static_cast<long>(errors), rss, fds,  // NOLINT
        thread_count,
        100 * absl::ToDoubleSeconds(cpu - cpu_before) / absl::ToDoubleSeconds(now - sampled));
    std::fflush(stdout);
    cpu_before = cpu;
    sampled = now;
    if (now - start >= warmup) {
      minutes.push_back(t / 60);
      rss_mib.push_back(rss);
      fd_counts.push_back(fds);
      thread_counts.push_back(thread_count);
    }
  }
  for (std::thread& thread : threads) thread.join();
  tally.Print();
  // After the warm-up: first -> last sample, range, and least-squares slope per minute.
  auto trend = [&minutes](const char* what, const std::vector<double>& values, const char* unit) {
    if (values.empty()) return;
    const auto [low, high] = std::minmax_element(values.begin(), values.end());
    std::printf(
        "%s after the warm-up: %.1f -> %.1f %s (range %.1f-%.1f), slope %.3f %s/min over "
        "%zu samples\n",
        what, values.front(), values.back(), unit, *low, *high, Slope(minutes, values), unit,
        values.size());
  };
  std::printf("\n");
  trend("RSS", rss_mib, "MiB");
  trend("open fds", fd_counts, "fds");
  trend("threads", thread_counts, "threads");
  server->Terminate();
  return tally.Counts().second == 0 ? 0 : 1;
}

}  // namespace
}  // namespace citecheck::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::bench::Run();
}

// Benchmark (a program, not a test): the whole pipeline against the fake OpenAI server.
//
//   build/bench/llm_pipeline_bench [--n=1000] [--inflight=64] [--latency_ms=200] [--fail_pct=5]
//                                  [--canned=true] [--perf_record=FILE]
//
// Starts the real citecheck-server (1 citation per call, --llm_max_inflight=inflight) and the
// fake (fixed latency), submits n citations as one job, watches it to the end and reports
//   makespan / ideal, where ideal = ceil(n / inflight) x latency,
//   time to first result,
//   the CPU time (user + system, from /proc) the server, the fake and this client used from the
//   submit to the terminal event, and the server's per citation (also from the scheduler's
//   per-thread nanosecond counts, with the server's context switches per citation),
// once without faults and once with fail_pct% of the calls answered 503 (retried).
//
// --canned (the default) has the fake answer every citation as valid without checking it, so
// that its own CPU stays negligible and the makespan measures the server; --canned=false lets
// it run the heuristic checker on every citation, as the integration tests do.
// --perf_record=FILE records the server's on-CPU call stacks during the fault-free run with
// `perf record -g` (perf must be on PATH; read them with `perf report -i FILE`).
// --floor (the default) then measures, in the same run, what the two transports of each
// citation cost alone (bench/transport_floor.cc): n HTTP exchanges through the server's
// HttpLlmClient against a new canned fake, and n writes of a result event the pipeline sent,
// on a gRPC callback stream at the pipeline's rate; it reports their sum against the median
// pipeline figure.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/raw_calls.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(int, n, 1000, "citations");
ABSL_FLAG(int, inflight, 64, "--llm_max_inflight");
ABSL_FLAG(int, latency_ms, 200, "fake LLM latency per call");
ABSL_FLAG(int, fail_pct, 5, "percent of calls answered 503 in the second run (0: no second run)");
ABSL_FLAG(bool, canned, true,
          "the fake answers every citation as valid without checking it (its own CPU stays "
          "negligible); false: it runs the heuristic checker per citation");
ABSL_FLAG(int, repeat, 1,
          "fault-free runs (each with a new server and fake); the table shows each and the "
          "median server CPU per citation");
ABSL_FLAG(bool, floor, true,
          "also measure the transports alone (one HTTP exchange and one stream write per "
          "citation, bench/transport_floor.cc) and report the pipeline against their sum");
ABSL_FLAG(std::string, perf_record, "",
          "record the server's call stacks during the fault-free run into this perf.data file");

namespace citecheck::testing {
namespace {

struct RunResult {
  absl::Duration makespan;
  absl::Duration first_result;
  int succeeded = 0;
  int failed = 0;
  int requests = 0;
  int max_concurrency = 0;
  absl::Duration server_cpu;
  absl::Duration fake_cpu;
  absl::Duration client_cpu;
  absl::Duration server_idle_cpu_per_s;  // before the submit: the server's background cost
  bench::ThreadTotals server_threads;    // the server's threads, from the scheduler (ns)
  std::string result_event;              // the first result event, serialized
};

// `perf record -g` of `pid` until Stop(); nothing when `path` is empty.
class PerfRecording {
 public:
  PerfRecording(const std::string& path, pid_t pid) {
    if (path.empty()) return;
    child_ = fork();
    if (child_ == 0) {
      const std::string target = absl::StrCat(pid);
      execlp("perf", "perf", "record", "-q", "--call-graph", "dwarf,32768", "-F", "999", "-p",
             target.c_str(), "-o", path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    absl::SleepFor(absl::Milliseconds(300));  // perf attaches
  }
  ~PerfRecording() { Stop(); }
  void Stop() {
    if (child_ <= 0) return;
    kill(child_, SIGINT);
    int status = 0;
    waitpid(child_, &status, 0);
    child_ = -1;
  }

 private:
  pid_t child_ = -1;
};

RunResult Run(int n, int inflight, int latency_ms, int fail_pct, const std::string& perf_path) {
  RunResult result;
  std::vector<std::string> fake_flags;
  if (absl::GetFlag(FLAGS_canned)) fake_flags.push_back("--canned");
  auto fake = FakeOpenAi::Start(fake_flags);
  if (fake == nullptr) std::exit(1);
  fake->SetDefaultLatency(latency_ms);
  if (fail_pct > 0) {
    std::mt19937 rng(42);
    std::vector<std::string> actions;
    for (int i = 0; i < n; ++i) {
      actions.push_back(static_cast<int>(rng() % 100) < fail_pct
                            ? absl::StrCat("{\"status\":503,\"latency_ms\":", latency_ms, "}")
                            : "{}");
    }
    fake->Script("[" + absl::StrJoin(actions, ",") + "]");
  }
  auto server = ServerProcess::Start(
      {"--llm_base_url=" + fake->base_url(), "--llm_model=bench-model", "--citations_per_call=1",
       absl::StrCat("--llm_max_inflight=", inflight), absl::StrCat("--free_limit=", n),
       absl::StrCat("--max_batch_citations=", n), "--log_level=warn"});
  if (server == nullptr) std::exit(1);
  const pid_t server_pid = server->process().pid();
  const pid_t fake_pid = fake->process().pid();
  std::fprintf(stderr, "server pid %d, fake pid %d\n", static_cast<int>(server_pid),
               static_cast<int>(fake_pid));
  auto client = server->FreeUser("bench");
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) {
    request.mutable_citations()->add_items(absl::StrCat(
        "Author", i, ", A. (2020). A study of things number ", i, ". _Journal_, _1_(2), 10–20."));
  }
  {
    // The server's background cost (lease, claimer, watch ticker) while it has nothing to do.
    absl::SleepFor(absl::Seconds(1));
    const absl::Duration before = bench::ProcessCpu(server_pid);
    absl::SleepFor(absl::Seconds(2));
    result.server_idle_cpu_per_s = (bench::ProcessCpu(server_pid) - before) / 2;
  }
  PerfRecording perf(perf_path, server_pid);
  const absl::Duration server_cpu0 = bench::ProcessCpu(server_pid);
  const bench::ThreadTotals server_threads0 = bench::LiveThreadTotals(server_pid);
  const absl::Duration fake_cpu0 = bench::ProcessCpu(fake_pid);
  const absl::Duration client_cpu0 = bench::OwnCpu();
  const absl::Time start = absl::Now();
  v1::Job job;
  grpc::Status submitted = client->SubmitBatch(request, &job);
  if (!submitted.ok()) {
    std::fprintf(stderr, "submit failed: %s\n", submitted.error_message().c_str());
    std::exit(1);
  }
  bool first = true;
  client->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
    if (event.has_result() && result.result_event.empty()) {
      result.result_event = event.SerializeAsString();
    }
    if ((event.has_result() || event.has_failure()) && first) {
      result.first_result = absl::Now() - start;
      first = false;
    }
    if (event.has_job_update() && client::IsTerminal(event.job_update().state())) {
      result.makespan = absl::Now() - start;
      result.succeeded = event.job_update().succeeded();
      result.failed = event.job_update().failed();
    }
    return true;
  });
  result.server_cpu = bench::ProcessCpu(server_pid) - server_cpu0;
  const bench::ThreadTotals server_threads1 = bench::LiveThreadTotals(server_pid);
  result.server_threads.cpu = server_threads1.cpu - server_threads0.cpu;
  result.server_threads.switches_in = server_threads1.switches_in - server_threads0.switches_in;
  result.fake_cpu = bench::ProcessCpu(fake_pid) - fake_cpu0;
  result.client_cpu = bench::OwnCpu() - client_cpu0;
  perf.Stop();
  FakeOpenAiStats stats = fake->Stats();
  result.requests = stats.requests;
  result.max_concurrency = stats.max_concurrency;
  server->Terminate();
  return result;
}

// What one transport cost alone: CPU (from the scheduler) and context switches, per citation.
struct FloorPart {
  double cpu_us = 0;
  double switches = 0;
};

// n HTTP exchanges through HttpLlmClient against a new canned fake (transport_floor --http_url).
FloorPart HttpFloor(int n, int inflight, int latency_ms) {
  auto fake = FakeOpenAi::Start({"--canned"});
  if (fake == nullptr) std::exit(1);
  fake->SetDefaultLatency(latency_ms);
  ProcessResult run = RunProcess({CITECHECK_TRANSPORT_FLOOR_PATH, "--http_url=" + fake->base_url(),
                                  absl::StrCat("--n=", n), absl::StrCat("--inflight=", inflight)},
                                 absl::Minutes(10));
  // "calls=N ok=K cpu_ns=C switches=S"
  int64_t ok = -1, cpu_ns = 0, switches = 0;
  for (absl::string_view field : absl::StrSplit(absl::StripAsciiWhitespace(run.output), ' ')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(field, '=');
    int64_t value = 0;
    if (!absl::SimpleAtoi(kv.second, &value)) continue;
    if (kv.first == "ok") ok = value;
    if (kv.first == "cpu_ns") cpu_ns = value;
    if (kv.first == "switches") switches = value;
  }
  if (run.exit_code != 0 || ok != n) {
    std::fprintf(stderr, "transport_floor --http_url failed (%d): %s\n", run.exit_code,
                 run.output.c_str());
    std::exit(1);
  }
  return {cpu_ns / 1000.0 / n, static_cast<double>(switches) / n};
}

// n writes of `event` on one callback-API stream at `rate` per second (transport_floor
// --serve_events); the serving process's CPU over the call.
FloorPart StreamFloor(int n, int rate, const std::string& event) {
  auto server = ListeningProcess::Start({CITECHECK_TRANSPORT_FLOOR_PATH, "--serve_events"});
  if (server == nullptr) std::exit(1);
  std::shared_ptr<grpc::Channel> channel = NewChannel(server->address());
  const bench::ThreadTotals before = bench::LiveThreadTotals(server->pid());
  int read = 0;
  // One more than sent: the stream then ends by itself, OK.
  const grpc::Status status =
      RawServerStream(*channel, "/floor.Events/Stream", event,
                      {{"x-count", absl::StrCat(n)}, {"x-rate", absl::StrCat(rate)}}, n + 1, &read,
                      absl::Seconds(30) + absl::Seconds(n) / rate);
  const bench::ThreadTotals after = bench::LiveThreadTotals(server->pid());
  server->Terminate();
  if (read != n || !status.ok()) {
    std::fprintf(stderr, "event stream: %d of %d events, %s\n", read, n,
                 status.error_message().c_str());
    std::exit(1);
  }
  return {absl::ToDoubleMicroseconds(after.cpu - before.cpu) / n,
          static_cast<double>(after.switches_in - before.switches_in) / n};
}

void Report(const char* label, const RunResult& r, absl::Duration ideal, int n) {
  std::printf(
      "| %s | %.3f s | %.3f s | %.3f | %.3f s | %d / %d | %d | %d | %.2f s = %.0f µs | %.1f µs | "
      "%.1f | %.2f s | %.2f s | %.1f ms/s |\n",
      label, absl::ToDoubleSeconds(r.makespan), absl::ToDoubleSeconds(ideal),
      absl::ToDoubleSeconds(r.makespan) / absl::ToDoubleSeconds(ideal),
      absl::ToDoubleSeconds(r.first_result), r.succeeded, r.failed, r.requests, r.max_concurrency,
      absl::ToDoubleSeconds(r.server_cpu), absl::ToDoubleMicroseconds(r.server_cpu) / n,
      absl::ToDoubleMicroseconds(r.server_threads.cpu) / n,
      static_cast<double>(r.server_threads.switches_in) / n, absl::ToDoubleSeconds(r.fake_cpu),
      absl::ToDoubleSeconds(r.client_cpu), absl::ToDoubleMilliseconds(r.server_idle_cpu_per_s));
  std::fflush(stdout);
}

}  // namespace
}  // namespace citecheck::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace citecheck::testing;  // NOLINT
  const int n = absl::GetFlag(FLAGS_n);
  const int inflight = absl::GetFlag(FLAGS_inflight);
  const int latency_ms = absl::GetFlag(FLAGS_latency_ms);
  const absl::Duration ideal =
      absl::Milliseconds(latency_ms) * static_cast<int64_t>(std::ceil(1.0 * n / inflight));
  std::printf(
      "n=%d citations, 1 per call, llm_max_inflight=%d, fake latency %d ms, %s fake, load "
      "average %.2f\n\n",
      n, inflight, latency_ms, absl::GetFlag(FLAGS_canned) ? "canned" : "checking",
      citecheck::bench::LoadAverage1());
  std::printf(
      "| run | makespan | ideal | ratio | first result | succeeded / failed | LLM requests | "
      "max concurrency seen | server CPU = per citation | same from the scheduler | server "
      "switches per citation | fake CPU | client CPU | server idle CPU |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<double> per_citation_us;
  std::vector<double> scheduler_us;
  std::vector<double> ratios;
  std::string result_event;
  for (int r = 0; r < std::max(1, absl::GetFlag(FLAGS_repeat)); ++r) {
    const RunResult result =
        Run(n, inflight, latency_ms, 0, r == 0 ? absl::GetFlag(FLAGS_perf_record) : "");
    Report("no faults", result, ideal, n);
    per_citation_us.push_back(absl::ToDoubleMicroseconds(result.server_cpu) / n);
    scheduler_us.push_back(absl::ToDoubleMicroseconds(result.server_threads.cpu) / n);
    ratios.push_back(absl::ToDoubleSeconds(result.makespan) / absl::ToDoubleSeconds(ideal));
    if (result_event.empty()) result_event = result.result_event;
  }
  if (per_citation_us.size() > 1) {
    std::sort(per_citation_us.begin(), per_citation_us.end());
    std::sort(scheduler_us.begin(), scheduler_us.end());
    std::sort(ratios.begin(), ratios.end());
    std::printf(
        "median of %zu: server CPU %.0f µs per citation (min %.0f; from the scheduler %.1f, min "
        "%.1f), ratio %.3f (min %.3f)\n",
        per_citation_us.size(), per_citation_us[per_citation_us.size() / 2],
        per_citation_us.front(), scheduler_us[scheduler_us.size() / 2], scheduler_us.front(),
        ratios[ratios.size() / 2], ratios.front());
  }
  if (absl::GetFlag(FLAGS_floor)) {
    // The pipeline's own rate: `inflight` calls per latency.
    const int rate = std::max(1, inflight * 1000 / latency_ms);
    const FloorPart http = HttpFloor(n, inflight, latency_ms);
    const FloorPart stream = StreamFloor(n, rate, result_event);
    std::sort(scheduler_us.begin(), scheduler_us.end());
    const double pipeline = scheduler_us[scheduler_us.size() / 2];
    const double floor = http.cpu_us + stream.cpu_us;
    std::printf(
        "\n| the transports alone, per citation (scheduler) | CPU | context switches |\n"
        "|---|---|---|\n"
        "| %d HTTP exchanges, HttpLlmClient, %d at a time | %.1f µs | %.2f |\n"
        "| %d writes of a %zu-byte result event on one stream, %d/s | %.1f µs | %.2f |\n"
        "| floor: both | %.1f µs | %.2f |\n"
        "| the pipeline (median above) | %.1f µs = %.2f x floor | |\n",
        n, inflight, http.cpu_us, http.switches, n, result_event.size(), rate, stream.cpu_us,
        stream.switches, floor, http.switches + stream.switches, pipeline, pipeline / floor);
  }
  const int fail_pct = absl::GetFlag(FLAGS_fail_pct);
  if (fail_pct > 0) {
    Report(absl::StrCat(fail_pct, "% 503s").c_str(), Run(n, inflight, latency_ms, fail_pct, ""),
           ideal, n);
  }
  return 0;
}

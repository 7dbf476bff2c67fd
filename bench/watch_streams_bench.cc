// Benchmark (a program, not a test): many idle WatchJob streams on running jobs.
//
//   build/bench/watch_streams_bench [--streams=10000] [--jobs=100] [--connections=10]
//       [--heartbeat=5s] [--idle=30s] [--mysql_url=mysql://...] [--server_flags=...]
//
// Starts the real citecheck-server (--store=memory, or --store=mysql with --mysql_url) whose
// checker holds every citation for --checker_delay (the heuristic checker behind a delay, like a
// slow LLM), submits --jobs jobs of 2 citations (one per call, each job from its own account, so
// that no caller holds more than streams/jobs streams), then opens --streams WatchJob streams
// (streams/jobs per job, from the job's owner) over --connections client connections, and
//   - reads the server's RSS, descriptors and threads before the streams and once every stream
//     is open and has had a heartbeat round: the growth per stream;
//   - records every heartbeat's lateness (its gap from the stream's previous event, minus
//     --heartbeat) while the streams are idle for --idle;
//   - once the checker lets the citations through, checks that every stream received every
//     event of its job (sequences 1..last without a gap, both results, the terminal job_update)
//     and ended OK, and how long the fan-out of the first result took.

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/load_support.h"
#include "bench/process_stats.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/client_callback.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(int, streams, 10000, "WatchJob streams to hold open");
ABSL_FLAG(int, jobs, 100, "running jobs the streams watch (streams/jobs each)");
ABSL_FLAG(int, connections, 10, "client connections the streams are spread over");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(5), "--watch_heartbeat of the server");
ABSL_FLAG(absl::Duration, idle, absl::Seconds(30),
          "how long every stream stays idle (heartbeats only) before the results come");
ABSL_FLAG(absl::Duration, open_budget, absl::Seconds(60),
          "time allowed to open every stream (the checker's delay is open_budget + idle)");
ABSL_FLAG(std::string, mysql_url, "", "run the server on this MariaDB (default: memory store)");
ABSL_FLAG(std::string, server_flags, "", "extra server flags, comma-separated");
ABSL_FLAG(bool, calibrate, false,
          "open grpc.health.v1.Health/Watch streams instead (gRPC's own streaming reactor, no "
          "citecheck state): the floor a stream costs in this gRPC");
ABSL_FLAG(std::string, server_wrapper, "",
          "run the server under this command, space-separated (e.g. \"heaptrack -o FILE\" or "
          "\"valgrind --tool=massif --massif-out-file=FILE\"); RSS figures are then the "
          "wrapper's");

namespace citecheck::bench {
namespace {

constexpr char kAdminKey[] = "watch-bench-admin";

// What every stream saw; guarded by one mutex (events are rare: heartbeats and a few results).
struct Observations {
  absl::Mutex mu;
  std::vector<absl::Duration> lateness ABSL_GUARDED_BY(mu);  // heartbeats in the idle window
  std::vector<absl::Time> first_result ABSL_GUARDED_BY(mu);  // per stream
  int open ABSL_GUARDED_BY(mu) = 0;                          // streams that got their replay
  int done ABSL_GUARDED_BY(mu) = 0;
  int ended_ok_complete ABSL_GUARDED_BY(mu) = 0;  // OK, every event, terminal last
  std::map<std::string, int> failures ABSL_GUARDED_BY(mu);
  bool measuring ABSL_GUARDED_BY(mu) = false;  // heartbeats count toward lateness
};

class WatchStream final : public grpc::ClientReadReactor<v1::JobEvent> {
 public:
  WatchStream(v1::CitationService::Stub* stub, const std::string& token, const std::string& job_id,
              absl::Duration heartbeat, Observations* seen)
      : heartbeat_(heartbeat), seen_(seen) {
    AddToken(&context_, token);
    request_.set_job_id(job_id);
    stub->async()->WatchJob(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows with the status
    const absl::Time now = absl::Now();
    if (event_.has_heartbeat()) {
      absl::MutexLock lock(&seen_->mu);
      if (seen_->measuring && last_event_ != absl::InfinitePast()) {
        seen_->lateness.push_back(now - last_event_ - heartbeat_);
      }
    } else {
      if (event_.sequence() != last_sequence_ + 1) gap_ = true;
      last_sequence_ = event_.sequence();
      if (event_.has_result()) ++results_;
      terminal_ = event_.has_job_update() && client::IsTerminal(event_.job_update().state());
      absl::MutexLock lock(&seen_->mu);
      if (last_sequence_ == 1) ++seen_->open;
      if (event_.has_result() && results_ == 1) seen_->first_result.push_back(now);
    }
    last_event_ = now;
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::MutexLock lock(&seen_->mu);
    ++seen_->done;
    if (status.ok() && terminal_ && !gap_ && results_ == 2) {
      ++seen_->ended_ok_complete;
    } else {
      seen_->failures[absl::StrCat("status ", status.error_code(), " ", status.error_message(),
                                   terminal_ ? "" : " (no terminal event)", gap_ ? " (gap)" : "",
                                   " results ", results_)]++;
    }
  }

 private:
  const absl::Duration heartbeat_;
  Observations* const seen_;
  grpc::ClientContext context_;
  v1::WatchJobRequest request_;
  v1::JobEvent event_;
  absl::Time last_event_ = absl::InfinitePast();
  int64_t last_sequence_ = 0;
  int results_ = 0;
  bool terminal_ = false;
  bool gap_ = false;
};

// A grpc.health.v1.Health/Watch stream of the whole server (service ""), read until it ends;
// for --calibrate. The request is the empty HealthCheckRequest (service "").
class HealthStream final : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  HealthStream(grpc::GenericStub* stub, Observations* seen) : seen_(seen) {
    grpc::Slice empty("");
    request_ = grpc::ByteBuffer(&empty, 1);
    stub->PrepareBidiStreamingCall(&context_, "/grpc.health.v1.Health/Watch", grpc::StubOptions(),
                                   this);
    StartWrite(&request_);
    StartWritesDone();
    StartRead(&response_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (!opened_) {
      opened_ = true;
      absl::MutexLock lock(&seen_->mu);
      ++seen_->open;
    }
    StartRead(&response_);
  }
  void OnDone(const grpc::Status&) override {
    absl::MutexLock lock(&seen_->mu);
    ++seen_->done;
  }

 private:
  Observations* const seen_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;  // an empty HealthCheckRequest: service ""
  grpc::ByteBuffer response_;
  bool opened_ = false;
};

// --calibrate: the server's RSS growth for `streams` Health/Watch streams.
int Calibrate(testing::ListeningProcess& server, int streams, int connections) {
  const pid_t pid = server.pid();
  absl::SleepFor(absl::Seconds(1));
  const int64_t before = ProcessRssBytes(pid);
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs;
  for (int c = 0; c < connections; ++c) {
    stubs.push_back(std::make_unique<grpc::GenericStub>(OwnConnection(server.address())));
  }
  // Outlives this function: the streams end when the server stops, after it returns.
  Observations& seen = *new Observations;
  for (int s = 0; s < streams; ++s) new HealthStream(stubs[s % connections].get(), &seen);
  {
    absl::MutexLock lock(&seen.mu);
    auto all_open = [&seen, streams]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen.mu) {
      return seen.open + seen.done >= streams;
    };
    seen.mu.AwaitWithTimeout(absl::Condition(&all_open), absl::Minutes(1));
    if (seen.open < streams) {
      std::fprintf(stderr, "only %d of %d health streams opened\n", seen.open, streams);
      return 1;
    }
  }
  absl::SleepFor(absl::Seconds(2));
  const int64_t after = ProcessRssBytes(pid);
  std::printf(
      "calibration: %d grpc.health.v1.Health/Watch streams over %d connections: server RSS "
      "+%.1f MiB = %.2f KiB per stream\n",
      streams, connections, (after - before) / 1048576.0, (after - before) / 1024.0 / streams);
  return 0;
}

struct Census {
  int64_t rss = 0;
  int fds = 0;
  int threads = 0;
};

Census Take(pid_t pid) { return {ProcessRssBytes(pid), OpenFds(pid), ThreadCount(pid)}; }

int Run() {
  const int streams = absl::GetFlag(FLAGS_streams);
  const int jobs = absl::GetFlag(FLAGS_jobs);
  const int connections = std::max(1, absl::GetFlag(FLAGS_connections));
  const absl::Duration heartbeat = absl::GetFlag(FLAGS_heartbeat);
  const absl::Duration idle = absl::GetFlag(FLAGS_idle);
  const absl::Duration delay = absl::GetFlag(FLAGS_open_budget) + idle;
  const std::string mysql_url = absl::GetFlag(FLAGS_mysql_url);

  std::vector<std::string> flags = {
      "--log_level=warn",
      absl::StrCat("--admin_key=", kAdminKey),
      absl::StrCat("--checker_delay=", absl::FormatDuration(delay)),
      "--citations_per_call=1",
      absl::StrCat("--llm_max_inflight=", 2 * jobs),
      absl::StrCat("--watch_heartbeat=", absl::FormatDuration(heartbeat))};
  if (!mysql_url.empty()) {
    flags.push_back("--store=mysql");
    flags.push_back("--mysql_url=" + mysql_url);
  }
  for (absl::string_view flag :
       absl::StrSplit(absl::GetFlag(FLAGS_server_flags), ',', absl::SkipEmpty())) {
    flags.emplace_back(flag);
  }
  std::vector<std::string> argv =
      absl::StrSplit(absl::GetFlag(FLAGS_server_wrapper), ' ', absl::SkipEmpty());
  argv.insert(argv.end(), {CITECHECK_SERVER_PATH, "--listen=127.0.0.1:0", "--store=memory"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto server = testing::ListeningProcess::Start(argv);
  if (server == nullptr) return 1;
  const pid_t pid = server->pid();
  absl::Cleanup stop_server = [&server] { server->Terminate(absl::Minutes(5)); };
  if (absl::GetFlag(FLAGS_calibrate)) return Calibrate(*server, streams, connections);

  // One account per job, so that each caller watches streams/jobs streams.
  const absl::StatusOr<std::vector<std::string>> granted =
      GrantedAccounts(server->address(), kAdminKey, "watch-bench", jobs, 10);
  if (!granted.ok()) {
    std::fprintf(stderr, "%s\n", granted.status().ToString().c_str());
    return 1;
  }
  const std::vector<std::string>& tokens = *granted;
  std::vector<std::string> job_ids;
  for (int j = 0; j < jobs; ++j) {
    client::ClientOptions owner_options;
    owner_options.server = server->address();
    owner_options.token = tokens[j];
    client::CitecheckClient owner(owner_options);
    v1::SubmitBatchRequest request;
    request.mutable_citations()->add_items(
        absl::StrCat("Author", j, ", A. (2020). First work. _Journal_, _1_(2), 10–20."));
    request.mutable_citations()->add_items(
        absl::StrCat("Author", j, ", B. (2021). Second work. _Journal_, _2_(1), 1–9."));
    v1::Job job;
    grpc::Status submitted = owner.SubmitBatch(request, &job);
    if (!submitted.ok() || job.accepted() != 2) {
      std::fprintf(stderr, "submit: %s (accepted %d)\n", submitted.error_message().c_str(),
                   job.accepted());
      return 1;
    }
    job_ids.push_back(job.job_id());
  }
  const absl::Time submitted_at = absl::Now();
  absl::SleepFor(absl::Seconds(2));  // the jobs are claimed and their checks start waiting
  const Census before = Take(pid);
  // The server's CPU without streams (the delayed checks poll for cancels every 20 ms).
  const absl::Duration baseline_cpu0 = ProcessCpu(pid);
  absl::SleepFor(absl::Seconds(4));
  const absl::Duration baseline_cpu_per_s = (ProcessCpu(pid) - baseline_cpu0) / 4;

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  std::vector<std::unique_ptr<v1::CitationService::Stub>> stubs;
  for (int c = 0; c < connections; ++c) {
    channels.push_back(OwnConnection(server->address()));
    stubs.push_back(v1::CitationService::NewStub(channels.back()));
  }
  Observations& seen = *new Observations;  // never deleted, like the streams: see main()
  std::vector<WatchStream*> watchers;
  watchers.reserve(streams);
  const absl::Time open_start = absl::Now();
  for (int s = 0; s < streams; ++s) {
    const int j = s % jobs;
    watchers.push_back(
        new WatchStream(stubs[s % connections].get(), tokens[j], job_ids[j], heartbeat, &seen));
  }
  {
    absl::MutexLock lock(&seen.mu);
    auto all_open = [&seen, streams]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen.mu) {
      return seen.open + seen.done >= streams;
    };
    seen.mu.AwaitWithDeadline(absl::Condition(&all_open), submitted_at + delay - idle / 2);
    if (seen.open < streams) {
      std::fprintf(stderr, "only %d of %d streams opened (%d ended)\n", seen.open, streams,
                   seen.done);
      for (const auto& [what, count] : seen.failures) {
        std::fprintf(stderr, "  %d x %s\n", count, what.c_str());
      }
      return 1;
    }
  }
  const absl::Duration open_time = absl::Now() - open_start;
  // A full heartbeat round, so that every stream has written since it opened.
  absl::SleepFor(heartbeat + absl::Seconds(1));
  {
    absl::MutexLock lock(&seen.mu);
    seen.measuring = true;
  }
  const Census after = Take(pid);
  const absl::Duration server_cpu0 = ProcessCpu(pid);
  const absl::Time idle_start = absl::Now();

  // The checker lets the citations through at submitted_at + delay.
  {
    absl::MutexLock lock(&seen.mu);
    auto first_result = [&seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen.mu) {
      return !seen.first_result.empty();
    };
    seen.mu.AwaitWithDeadline(absl::Condition(&first_result),
                              submitted_at + delay + absl::Minutes(1));
    seen.measuring = false;
  }
  const absl::Duration idle_time = absl::Now() - idle_start;
  const absl::Duration idle_cpu = ProcessCpu(pid) - server_cpu0;
  const Census at_results = Take(pid);
  {
    absl::MutexLock lock(&seen.mu);
    auto all_done = [&seen, streams]()
                        ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen.mu) { return seen.done >= streams; };
    seen.mu.AwaitWithTimeout(absl::Condition(&all_done), absl::Minutes(2));
  }
  absl::SleepFor(absl::Seconds(2));
  const Census closed = Take(pid);

  absl::MutexLock lock(&seen.mu);
  const LatencySummary lateness = Summarize(seen.lateness);
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (absl::Time t : seen.first_result) {
    first = std::min(first, t);
    last = std::max(last, t);
  }
  const double mib = 1024.0 * 1024.0;
  std::printf("streams %d on %d jobs over %d connections, heartbeat %s, store %s, load %.2f\n",
              streams, jobs, connections, absl::FormatDuration(heartbeat).c_str(),
              mysql_url.empty() ? "memory" : "mysql", LoadAverage1());
  std::printf("opened in %.2f s\n", absl::ToDoubleSeconds(open_time));
  std::printf(
      "server RSS %.1f MiB before, %.1f MiB with the streams idle: +%.1f MiB = %.2f KiB per "
      "stream\n",
      before.rss / mib, after.rss / mib, (after.rss - before.rss) / mib,
      (after.rss - before.rss) / 1024.0 / streams);
  std::printf("server fds %d -> %d, threads %d -> %d\n", before.fds, after.fds, before.threads,
              after.threads);
  std::printf("server RSS at the results %.1f MiB, %.1f MiB 2 s after every stream ended\n",
              at_results.rss / mib, closed.rss / mib);
  const absl::Duration streams_cpu =
      idle_cpu - baseline_cpu_per_s * absl::ToDoubleSeconds(idle_time);
  std::printf(
      "idle %.1f s: server CPU %.3f s, of which the streams' %.3f s (%.1f%% of a core; the rest "
      "is the server without streams, %.1f ms/s)\n",
      absl::ToDoubleSeconds(idle_time), absl::ToDoubleSeconds(idle_cpu),
      absl::ToDoubleSeconds(streams_cpu),
      100 * absl::ToDoubleSeconds(streams_cpu) / absl::ToDoubleSeconds(idle_time),
      absl::ToDoubleMilliseconds(baseline_cpu_per_s));
  std::printf("heartbeat lateness: %s\n", Describe(lateness).c_str());
  std::printf("first result reached %zu of %d streams, fan-out %.1f ms (first to last)\n",
              seen.first_result.size(), streams,
              seen.first_result.empty() ? 0.0 : absl::ToDoubleMilliseconds(last - first));
  std::printf("streams ended OK with every event: %d of %d\n", seen.ended_ok_complete, streams);
  for (const auto& [what, count] : seen.failures) {
    std::printf("  %d x %s\n", count, what.c_str());
  }
  return seen.ended_ok_complete == streams ? 0 : 1;
}

}  // namespace
}  // namespace citecheck::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int code = citecheck::bench::Run();
  std::fflush(stdout);
  // Streams that did not end are abandoned with the process (their reactors cannot be deleted
  // while their calls run); the server was stopped by Run().
  _exit(code);
}

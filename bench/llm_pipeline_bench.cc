// Benchmark (a program, not a test): the whole pipeline against the fake OpenAI server.
//
//   build/bench/llm_pipeline_bench [--n=1000] [--inflight=64] [--latency_ms=200] [--fail_pct=5]
//
// Starts the real citecheck-server (1 citation per call, --llm_max_inflight=inflight) and the
// fake (fixed latency), submits n citations as one job, watches it to the end and reports
//   makespan / ideal, where ideal = ceil(n / inflight) x latency,
//   time to first result,
// once without faults and once with fail_pct% of the calls answered 503 (retried).

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(int, n, 1000, "citations");
ABSL_FLAG(int, inflight, 64, "--llm_max_inflight");
ABSL_FLAG(int, latency_ms, 200, "fake LLM latency per call");
ABSL_FLAG(int, fail_pct, 5, "percent of calls answered 503 in the second run");

namespace citecheck::testing {
namespace {

struct RunResult {
  absl::Duration makespan;
  absl::Duration first_result;
  int succeeded = 0;
  int failed = 0;
  int requests = 0;
  int max_concurrency = 0;
};

RunResult Run(int n, int inflight, int latency_ms, int fail_pct) {
  RunResult result;
  auto fake = FakeOpenAi::Start();
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
  auto client = server->FreeUser("bench");
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) {
    request.mutable_citations()->add_items(absl::StrCat(
        "Author", i, ", A. (2020). A study of things number ", i, ". _Journal_, _1_(2), 10–20."));
  }
  const absl::Time start = absl::Now();
  v1::Job job;
  grpc::Status submitted = client->SubmitBatch(request, &job);
  if (!submitted.ok()) {
    std::fprintf(stderr, "submit failed: %s\n", submitted.error_message().c_str());
    std::exit(1);
  }
  bool first = true;
  client->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
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
  FakeOpenAiStats stats = fake->Stats();
  result.requests = stats.requests;
  result.max_concurrency = stats.max_concurrency;
  server->Terminate();
  return result;
}

void Report(const char* label, const RunResult& r, absl::Duration ideal) {
  std::printf("| %s | %.3f s | %.3f s | %.3f | %.3f s | %d / %d | %d | %d |\n", label,
              absl::ToDoubleSeconds(r.makespan), absl::ToDoubleSeconds(ideal),
              absl::ToDoubleSeconds(r.makespan) / absl::ToDoubleSeconds(ideal),
              absl::ToDoubleSeconds(r.first_result), r.succeeded, r.failed, r.requests,
              r.max_concurrency);
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
  std::printf("n=%d citations, 1 per call, llm_max_inflight=%d, fake latency %d ms\n\n", n,
              inflight, latency_ms);
  std::printf(
      "| run | makespan | ideal | ratio | first result | succeeded / failed | "
      "LLM requests | max concurrency seen |\n|---|---|---|---|---|---|---|---|\n");
  Report("no faults", Run(n, inflight, latency_ms, 0), ideal);
  const int fail_pct = absl::GetFlag(FLAGS_fail_pct);
  Report(absl::StrCat(fail_pct, "% 503s").c_str(), Run(n, inflight, latency_ms, fail_pct), ideal);
  return 0;
}

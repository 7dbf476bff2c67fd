// /metrics end to end: the real server (in-memory store, LLM through the fake OpenAI server) runs
// a scripted sequence of calls; then the whole exposition is parsed (strictly: HELP, TYPE,
// names, histogram invariants) and every family's values are checked against what happened.
// Also: /healthz, /readyz around SIGTERM, 404s, and a slow scraper that must not hold up gRPC.

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/eventually.h"
#include "tests/integration/fake_openai_process.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/prometheus_text.h"
#include "tests/integration/server_process.h"

namespace citecheck::testing {
namespace {

constexpr char kCitationService[] = "citecheck.v1.CitationService";
constexpr char kAccountService[] = "citecheck.v1.AccountService";

// Every family DESIGN §6 names, with its type.
const std::vector<std::pair<std::string, std::string>>& DesignFamilies() {
  static const auto* const kFamilies = new std::vector<std::pair<std::string, std::string>>{
      {"grpc_server_started_total", "counter"},
      {"grpc_server_handled_total", "counter"},
      {"grpc_server_handling_seconds", "histogram"},
      {"citecheck_jobs_submitted_total", "counter"},
      {"citecheck_jobs_finished_total", "counter"},
      {"citecheck_citations_total", "counter"},
      {"citecheck_llm_requests_total", "counter"},
      {"citecheck_llm_request_duration_seconds", "histogram"},
      {"citecheck_llm_retry_budget_tokens", "gauge"},
      {"citecheck_executor_inflight_chunks", "gauge"},
      {"citecheck_queue_chunks", "gauge"},
      {"citecheck_watch_streams", "gauge"},
      {"citecheck_watch_events_sent_total", "counter"},
      {"citecheck_ledger_entries_total", "counter"},
      {"citecheck_db_transactions_total", "counter"},
      {"citecheck_db_transaction_seconds", "histogram"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_cpu_seconds_total", "counter"},
      {"process_open_fds", "gauge"},
      {"process_start_time_seconds", "gauge"},
  };
  return *kFamilies;
}

Labels Rpc(const std::string& service, const std::string& method, const std::string& type) {
  return {{"grpc_service", service}, {"grpc_method", method}, {"grpc_type", type}};
}

Labels RpcCode(const std::string& service, const std::string& method, const std::string& type,
               const std::string& code) {
  Labels labels = Rpc(service, method, type);
  labels["grpc_code"] = code;
  return labels;
}

Labels Llm(const std::string& endpoint, const std::string& outcome) {
  return {{"endpoint", endpoint}, {"outcome", outcome}};
}

std::string Citation(int i) {
  return absl::StrCat("Metric", i, ", A. (2020). Counting things carefully, part ", i,
                      ". Journal of Tests, 1(2), 10-20.");
}

v1::SubmitBatchRequest Batch(int n, int first) {
  v1::SubmitBatchRequest request;
  for (int i = 0; i < n; ++i) request.mutable_citations()->add_items(Citation(first + i));
  return request;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = FakeOpenAi::Start();
    ASSERT_NE(fake_, nullptr);
    started_before_ = absl::Now();
    server_ = ServerProcess::Start({"--llm_base_url=" + fake_->base_url(), "--llm_model=fake",
                                    "--llm_api_key_env=", "--free_limit=1000",
                                    "--llm_max_attempts=3", "--llm_attempt_timeout=10s",
                                    "--citations_per_call=5", "--metrics_listen=127.0.0.1:0"});
    ASSERT_NE(server_, nullptr);
    started_after_ = absl::Now();
    ASSERT_FALSE(server_->metrics_address().empty());
    client_ = server_->FreeUser("metrics-user");
  }

  // Submits and watches the job to its end; returns the terminal job.
  v1::Job SubmitAndWatch(const v1::SubmitBatchRequest& request) {
    v1::Job job;
    grpc::Status status = client_->SubmitBatch(request, &job);
    EXPECT_TRUE(status.ok()) << status.error_message();
    v1::Job last;
    status = client_->Watch(job.job_id(), 0, [this, &last](const v1::JobEvent& event) {
      ++events_received_;
      if (event.has_job_update()) last = event.job_update();
      return true;
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(client_->last_watch_reconnects(), 0);
    return last;
  }

  std::unique_ptr<FakeOpenAi> fake_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<client::CitecheckClient> client_;
  absl::Time started_before_;
  absl::Time started_after_;
  int events_received_ = 0;  // by the watches, heartbeats included
};

TEST_F(MetricsTest, ExpositionMatchesAScriptedRun) {
  // 1. A 429 with a delay, then the retry succeeds: primary retryable 1, ok 1.
  fake_->Script(R"([{"status": 429, "headers": {"retry-after-ms": "50"}}])");
  EXPECT_EQ(SubmitAndWatch(Batch(3, 0)).state(), v1::JOB_STATE_SUCCEEDED);
  // 2. A 400 is final: no retry, the job fails. primary final 1.
  fake_->Script(R"([{"status": 400}])");
  EXPECT_EQ(SubmitAndWatch(Batch(2, 10)).state(), v1::JOB_STATE_FAILED);
  // 3. Cancelled while its LLM call is in flight: the call is abandoned (its connection closed,
  //    no answer read). primary cancelled 1.
  fake_->Script(R"([{"latency_ms": 1500}])");
  v1::Job slow;
  ASSERT_TRUE(client_->SubmitBatch(Batch(1, 20), &slow).ok());
  ASSERT_TRUE(Eventually([&] { return fake_->Stats().in_flight == 1; }));
  v1::Job cancelled;
  ASSERT_TRUE(client_->CancelJob(slow.job_id(), &cancelled).ok());
  EXPECT_EQ(cancelled.state(), v1::JOB_STATE_CANCELLED);
  // 4. Errors: an empty batch, an unknown job.
  v1::Job ignored;
  v1::SubmitBatchRequest empty;
  empty.set_text("");
  EXPECT_EQ(client_->SubmitBatch(empty, &ignored).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(client_->GetJob("no-such-job", &ignored).error_code(), grpc::NOT_FOUND);
  // 5. A watch of the cancelled job (replays to its terminal event) and a balance.
  int events = 0;
  ASSERT_TRUE(client_
                  ->Watch(slow.job_id(), 0,
                          [&events](const v1::JobEvent&) {
                            ++events;
                            return true;
                          })
                  .ok());
  events_received_ += events;
  EXPECT_GE(events, 2);
  v1::Balance balance;
  ASSERT_TRUE(client_->GetBalance(&balance).ok());

  // The cancelled call is abandoned within the cancel poll; wait for it to be counted.
  PrometheusText m;
  ASSERT_TRUE(Eventually([&] {
    m = ScrapeMetrics(server_->metrics_address());
    return m.Has("citecheck_llm_requests_total") &&
           m.Value("citecheck_llm_requests_total", Llm("primary", "cancelled")) == 1;
  })) << "the cancelled LLM call was never counted";

  // Every family of DESIGN §6, with HELP and the right TYPE.
  for (const auto& [name, type] : DesignFamilies()) {
    ASSERT_TRUE(m.Has(name)) << name;
    EXPECT_EQ(m.Family(name).type, type) << name;
    EXPECT_FALSE(m.Family(name).help.empty()) << name;
  }

  // gRPC families: one started and one handled per call, by code; one latency per call.
  const auto started = [&](const char* service, const char* method, const char* type) {
    return m.Value("grpc_server_started_total", Rpc(service, method, type));
  };
  const auto handled = [&](const char* service, const char* method, const char* type,
                           const char* code) {
    return m.Value("grpc_server_handled_total", RpcCode(service, method, type, code));
  };
  EXPECT_EQ(started(kCitationService, "SubmitBatch", "unary"), 4);
  EXPECT_EQ(handled(kCitationService, "SubmitBatch", "unary", "OK"), 3);
  EXPECT_EQ(handled(kCitationService, "SubmitBatch", "unary", "InvalidArgument"), 1);
  EXPECT_EQ(started(kCitationService, "WatchJob", "server_stream"), 3);
  EXPECT_EQ(handled(kCitationService, "WatchJob", "server_stream", "OK"), 3);
  EXPECT_EQ(started(kCitationService, "CancelJob", "unary"), 1);
  EXPECT_EQ(handled(kCitationService, "CancelJob", "unary", "OK"), 1);
  EXPECT_EQ(started(kCitationService, "GetJob", "unary"), 1);
  EXPECT_EQ(handled(kCitationService, "GetJob", "unary", "NotFound"), 1);
  EXPECT_EQ(handled(kCitationService, "GetJob", "unary", "OK"), 0);
  EXPECT_EQ(started(kCitationService, "ListJobs", "unary"), 0);  // pre-registered, never called
  EXPECT_EQ(started(kAccountService, "GetBalance", "unary"), 1);
  EXPECT_EQ(handled(kAccountService, "GetBalance", "unary", "OK"), 1);
  EXPECT_EQ(m.Sum("grpc_server_started_total"), 10);
  EXPECT_EQ(m.Sum("grpc_server_handled_total"), 10);
  EXPECT_EQ(
      m.Value("grpc_server_handling_seconds_count", Rpc(kCitationService, "SubmitBatch", "unary")),
      4);
  EXPECT_EQ(m.Sum("grpc_server_handling_seconds_count"), 10);
  // Watch streams last while their job runs; unary calls here are fast.
  EXPECT_GT(m.Sum("grpc_server_handling_seconds_sum"), 0);
  EXPECT_EQ(m.Value("grpc_server_handling_seconds_bucket", {{"grpc_service", kCitationService},
                                                            {"grpc_method", "GetJob"},
                                                            {"grpc_type", "unary"},
                                                            {"le", "+Inf"}}),
            1);

  // LLM families: 4 attempts on the primary, none on the fallback.
  EXPECT_EQ(m.Value("citecheck_llm_requests_total", Llm("primary", "ok")), 1);
  EXPECT_EQ(m.Value("citecheck_llm_requests_total", Llm("primary", "retryable")), 1);
  EXPECT_EQ(m.Value("citecheck_llm_requests_total", Llm("primary", "final")), 1);
  EXPECT_EQ(m.Value("citecheck_llm_requests_total", Llm("primary", "cancelled")), 1);
  EXPECT_EQ(m.Sum("citecheck_llm_requests_total", {{"endpoint", "fallback"}}), 0);
  EXPECT_EQ(fake_->Stats().requests, 4);
  // The three attempts that got an answer have a latency, all fast; the abandoned one has none
  // (it ended well before the fake's 1.5 s).
  EXPECT_EQ(m.Value("citecheck_llm_request_duration_seconds_count", {{"endpoint", "primary"}}), 3);
  EXPECT_EQ(m.Value("citecheck_llm_request_duration_seconds_bucket",
                    {{"endpoint", "primary"}, {"le", "1"}}),
            3);
  EXPECT_LT(m.Value("citecheck_llm_request_duration_seconds_sum", {{"endpoint", "primary"}}), 1.5);
  EXPECT_EQ(m.Value("citecheck_llm_request_duration_seconds_count", {{"endpoint", "fallback"}}), 0);
  // Retry budget (100 tokens, ratio 0.1): -1 for the 429, +0.1 for the usable answer after it;
  // the final 400 and the abandoned call are not reported.
  EXPECT_DOUBLE_EQ(m.Value("citecheck_llm_retry_budget_tokens", {{"endpoint", "primary"}}), 99.1);

  // Database families: --store=memory runs no transaction, but they are exposed (zero).
  EXPECT_EQ(m.Sum("citecheck_db_transactions_total"), 0);
  EXPECT_EQ(m.Value("citecheck_db_transaction_seconds_count"), 0);

  // Job pipeline families (recorded by the job pipeline; exposed with their label values).
  // Three jobs of APA 7: one succeeded (3 checked and charged), one failed (2 failed and
  // released), one cancelled (1 released); nothing locked (the free limit is high).
  EXPECT_EQ(m.Value("citecheck_jobs_submitted_total", {{"style", "apa7"}}), 3);
  EXPECT_EQ(m.Value("citecheck_jobs_submitted_total", {{"style", "mla9"}}), 0);
  EXPECT_EQ(m.Value("citecheck_jobs_submitted_total", {{"style", "chicago17"}}), 0);
  for (const char* state : {"succeeded", "failed", "cancelled"}) {
    EXPECT_EQ(m.Value("citecheck_jobs_finished_total", {{"state", state}}), 1) << state;
  }
  EXPECT_EQ(m.Value("citecheck_citations_total", {{"outcome", "checked"}}), 3);
  EXPECT_EQ(m.Value("citecheck_citations_total", {{"outcome", "failed"}}), 2);
  EXPECT_EQ(m.Value("citecheck_citations_total", {{"outcome", "locked"}}), 0);
  EXPECT_EQ(m.Value("citecheck_citations_total", {{"outcome", "released"}}), 3);
  EXPECT_EQ(m.Value("citecheck_ledger_entries_total", {{"kind", "reserve"}}), 3);
  EXPECT_EQ(m.Value("citecheck_ledger_entries_total", {{"kind", "charge"}}), 3);
  EXPECT_EQ(m.Value("citecheck_ledger_entries_total", {{"kind", "release"}}), 3);
  EXPECT_EQ(m.Value("citecheck_ledger_entries_total", {{"kind", "grant"}}), 0);
  // Every event the three watches received was counted as sent (heartbeats included).
  EXPECT_EQ(m.Value("citecheck_watch_events_sent_total"), events_received_);
  EXPECT_GE(events_received_, 14);  // 6 + 5 + 3 events at least
  // The queue gauge is refreshed by the replica's maintenance (every second).
  EXPECT_TRUE(Eventually([&] {
    return ScrapeMetrics(server_->metrics_address()).Value("citecheck_queue_chunks") == 0;
  }));
  // Nothing runs or streams any more.
  EXPECT_EQ(m.Value("citecheck_executor_inflight_chunks"), 0);
  EXPECT_EQ(m.Value("citecheck_watch_streams"), 0);

  // Process families: this very server process.
  const double start = m.Value("process_start_time_seconds");
  EXPECT_GE(start, absl::ToUnixSeconds(started_before_) - 1);
  EXPECT_LE(start, absl::ToUnixSeconds(started_after_) + 1);
  EXPECT_GT(m.Value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(m.Value("process_open_fds"), 5);  // stdio, the two listeners, epoll at least
  const double cpu = m.Value("process_cpu_seconds_total");
  EXPECT_GE(cpu, 0);
  EXPECT_GE(ScrapeMetrics(server_->metrics_address()).Value("process_cpu_seconds_total"), cpu);
}

TEST_F(MetricsTest, HealthReadinessAndUnknownPaths) {
  httplib::Client http("http://" + server_->metrics_address());
  auto healthz = http.Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);
  auto readyz = http.Get("/readyz");
  ASSERT_TRUE(readyz);
  EXPECT_EQ(readyz->status, 200);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* path : {"/", "/metric", "/metrics/x", "/healthz/../x", "/debug/pprof"}) {
    auto res = http.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
  }
  auto post = http.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 404);
}

TEST_F(MetricsTest, ReadyzTurns503WhenSigtermArrives) {
  // A watch keeps the server busy in its shutdown so /readyz can be seen while it drains.
  fake_->Script(R"([{"latency_ms": 3000}])");
  v1::Job job;
  ASSERT_TRUE(client_->SubmitBatch(Batch(1, 30), &job).ok());
  ASSERT_TRUE(Eventually([&] { return fake_->Stats().in_flight == 1; }));
  const std::string address = server_->metrics_address();
  std::thread terminate([this] { EXPECT_EQ(server_->Terminate(), 0); });
  httplib::Client http("http://" + address);
  bool saw_503 = false;
  for (int i = 0; i < 2000 && !saw_503; ++i) {
    auto res = http.Get("/readyz");
    if (!res) break;  // the process is gone
    if (res->status == 503) {
      saw_503 = true;
      auto healthz = http.Get("/healthz");  // alive while it drains
      EXPECT_TRUE(healthz && healthz->status == 200);
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  terminate.join();
  EXPECT_TRUE(saw_503);
}

TEST_F(MetricsTest, SlowScrapersDoNotHoldUpGrpc) {
  // More idle connections than the endpoint has threads, each sending half a request and then
  // nothing, and one reader that never reads its /metrics answer.
  const std::string address = server_->metrics_address();
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  std::vector<int> sockets;
  for (int i = 0; i < 16; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    const std::string partial =
        i == 0 ? "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" : "GET /metrics HTTP/1.1\r\nHost:";
    ASSERT_EQ(write(fd, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
    sockets.push_back(fd);
  }
  // gRPC answers at once, several times over.
  for (int i = 0; i < 5; ++i) {
    v1::Balance balance;
    grpc::Status status = client_->GetBalance(&balance);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(SubmitAndWatch(Batch(2, 40)).state(), v1::JOB_STATE_SUCCEEDED);
  for (int fd : sockets) close(fd);
  // And the endpoint itself recovers once they are gone (its I/O timeout frees the threads).
  EXPECT_TRUE(Eventually([&] {
    httplib::Client http("http://" + address);
    auto res = http.Get("/healthz");
    return res && res->status == 200;
  }));
}

}  // namespace
}  // namespace citecheck::testing

// The transports of the LLM path alone, without citecheck between them: the CPU floor under the
// server's CPU per citation that llm_pipeline_bench measures (it runs this program; see
// docs/PERFORMANCE.md). Per citation the server makes one HTTP exchange with the LLM and writes
// one JobEvent to the job's watch stream; this program does each of those n times with the
// server's own code and libraries, and nothing else, in one of two modes:
//
//   transport_floor --http_url=URL [--n=1000] [--inflight=64]
//     n chat-completion calls through HttpLlmClient (the server's client: one curl multi on its
//     event loop), `inflight` at a time, each with the server's APA prompt and one citation;
//     every call but the first `inflight` is started from the previous one's callback, without
//     a thread hop. Prints "calls=N ok=K cpu_ns=C switches=S": this process's CPU (from the
//     scheduler, every thread) and context switches from the first call to the last answer.
//
//   transport_floor --serve_events
//     Prints "listening on HOST:PORT" and serves /floor.Events/Stream, a callback-API stream
//     like WatchJob: the request message is a serialized v1::JobEvent, metadata "x-count" and
//     "x-rate" say how many times to send it and how many per second. A pacing thread stands in
//     for the record thread: on each tick it writes the event itself when the stream is idle
//     (as Publish does), and otherwise leaves it to the previous write's completion. Every
//     write serializes the event again, as the typed reactor does. Runs until SIGTERM.

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "citecheck/v1/citecheck.pb.h"
#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "server/checking/prompts.h"
#include "server/common/stop_signal.h"
#include "server/llm/http_llm_client.h"

ABSL_FLAG(std::string, http_url, "", "HTTP mode: the LLM's base URL (the fake's, canned)");
ABSL_FLAG(int, n, 1000, "HTTP mode: calls");
ABSL_FLAG(int, inflight, 64, "HTTP mode: calls at a time");
ABSL_FLAG(bool, serve_events, false, "serve the event stream until SIGTERM");

namespace citecheck::bench {
namespace {

constexpr char kCitation[] =
    "Author7, A. (2020). A study of things number 7. _Journal_, _1_(2), 10–20.";

int RunHttp(const std::string& url, int n, int inflight) {
  HttpLlmClientOptions options;
  options.base_url = url;
  absl::StatusOr<std::unique_ptr<HttpLlmClient>> client = HttpLlmClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 2;
  }
  LlmRequest request;
  request.model = "bench-model";
  request.system_prompt = std::string(SystemPrompt(v1::STYLE_APA7));
  request.user_message = NumberedCitations({kCitation});
  request.timeout = absl::Seconds(30);

  std::atomic<int> started{0}, ok{0}, answered{0};
  absl::Notification all_answered;
  // Starts the next call while calls remain; called again from each answer's callback.
  std::function<void()> start_next = [&] {
    if (started.fetch_add(1) >= n) return;
    (*client)->Start(request, [&](LlmResponse response) {
      if (response.outcome.kind == AttemptOutcome::Kind::kSuccess) ok.fetch_add(1);
      if (answered.fetch_add(1) + 1 == n) all_answered.Notify();
      start_next();
    });
  };
  const ThreadTotals before = LiveThreadTotals(getpid());
  for (int i = 0; i < inflight; ++i) start_next();
  all_answered.WaitForNotification();
  const ThreadTotals after = LiveThreadTotals(getpid());
  std::printf("calls=%d ok=%d cpu_ns=%lld switches=%lld\n", n, ok.load(),
              static_cast<long long>(absl::ToInt64Nanoseconds(after.cpu - before.cpu)),
              static_cast<long long>(after.switches_in - before.switches_in));
  return ok.load() == n ? 0 : 1;
}

// One /floor.Events/Stream call: reads the event, then writes it `count` times at `rate` per
// second (see the file comment).
class EventStream : public grpc::ServerGenericBidiReactor {
 public:
  explicit EventStream(grpc::GenericCallbackServerContext* context) {
    const auto& metadata = context->client_metadata();
    auto number = [&metadata](const char* key) {
      int value = 0;
      auto it = metadata.find(key);
      if (it != metadata.end()) {
        (void)absl::SimpleAtoi(absl::string_view(it->second.data(), it->second.size()), &value);
      }
      return value;
    };
    count_ = number("x-count");
    rate_ = number("x-rate");
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok || count_ <= 0 || rate_ <= 0 ||
        !grpc::SerializationTraits<v1::JobEvent>::Deserialize(&request_, &event_).ok()) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "an event, x-count and x-rate"));
      return;
    }
    pacer_ = std::thread([this] { Pace(); });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      failed_ = true;
      return;
    }
    if (due_ > written_) {
      WriteLocked();
    } else if (written_ == count_) {
      Finish(grpc::Status::OK);
    }
  }

  void OnDone() override {
    if (pacer_.joinable()) pacer_.join();
    delete this;
  }

 private:
  void Pace() {
    const absl::Time start = absl::Now();
    for (int i = 1; i <= count_; ++i) {
      absl::SleepFor(start + absl::Seconds(i) / rate_ - absl::Now());
      absl::MutexLock lock(&mu_);
      if (failed_) return;
      due_ = i;
      if (!writing_) WriteLocked();
    }
  }

  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    bool own = false;
    out_.Clear();
    (void)grpc::SerializationTraits<v1::JobEvent>::Serialize(event_, &out_, &own);
    writing_ = true;
    ++written_;
    StartWrite(&out_);
  }

  int count_ = 0;
  int rate_ = 0;
  grpc::ByteBuffer request_;
  v1::JobEvent event_;
  std::thread pacer_;
  absl::Mutex mu_;
  grpc::ByteBuffer out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  int due_ ABSL_GUARDED_BY(mu_) = 0;      // events the pacer has released
  int written_ ABSL_GUARDED_BY(mu_) = 0;  // writes started
};

class EventService : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    if (context->method() != "/floor.Events/Stream") {
      return CallbackGenericService::CreateReactor(context);  // UNIMPLEMENTED
    }
    return new EventStream(context);
  }
};

int ServeEvents() {
  if (!InstallStopSignalHandlers()) return 1;
  EventService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterCallbackGenericService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return 1;
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  WaitForStopSignal();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  return 0;
}

}  // namespace
}  // namespace citecheck::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_serve_events)) return citecheck::bench::ServeEvents();
  if (absl::GetFlag(FLAGS_http_url).empty()) {
    std::fprintf(stderr, "--http_url or --serve_events\n");
    return 2;
  }
  return citecheck::bench::RunHttp(absl::GetFlag(FLAGS_http_url), absl::GetFlag(FLAGS_n),
                                   absl::GetFlag(FLAGS_inflight));
}

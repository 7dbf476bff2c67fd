#ifndef CITECHECK_TESTS_INTEGRATION_FAKE_OPENAI_PROCESS_H_
#define CITECHECK_TESTS_INTEGRATION_FAKE_OPENAI_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/server_process.h"

namespace citecheck::testing {

// What the fake OpenAI server saw (GET /control/stats).
struct FakeOpenAiStats {
  struct Request {
    std::string path;
    std::string model;
    std::string authorization;
    std::vector<std::string> citations;
    int64_t received_ms = 0;
    std::string action;
    std::string kind;  // "references" or "inline"
    // When the client closed the connection before the answer (ms since the fake started), or
    // -1: the client waited (or the request was answered without delay).
    int64_t gone_ms = -1;
  };
  int requests = 0;
  int in_flight = 0;
  int64_t now_ms = 0;  // the fake's clock (ms since it started) when it answered
  int max_concurrency = 0;
  std::vector<Request> log;
};

// The fake OpenAI-compatible server (tests/fake_openai), started on a free loopback port and
// scripted over its control endpoints.
class FakeOpenAi {
 public:
  // `flags` are added to the fake's command line (e.g. "--canned", see tests/fake_openai/main.cc).
  static std::unique_ptr<FakeOpenAi> Start(std::vector<std::string> flags = {});

  // Base URL for --llm_base_url, e.g. "http://127.0.0.1:40123/v1".
  std::string base_url() const { return process_->url() + "/v1"; }

  // Appends scripted actions (a JSON array of objects, see tests/fake_openai) for the next
  // completion requests. ADD_FAILUREs when the fake refuses them.
  void Script(const std::string& actions_json);
  // Replaces the standing rules (a JSON array of rule objects, see tests/fake_openai): requests
  // about a marked citation get their own action.
  void Rules(const std::string& rules_json);
  void SetDefaultLatency(int latency_ms);
  FakeOpenAiStats Stats();
  ListeningProcess& process() { return *process_; }

 private:
  explicit FakeOpenAi(std::unique_ptr<ListeningProcess> process) : process_(std::move(process)) {}
  void Post(const std::string& path, const std::string& body);
  std::unique_ptr<ListeningProcess> process_;
};

// Maps the test's clock to the fake's (ms since it started, the clock of its log), measured
// once at construction (to within half a /control/stats round trip).
class FakeOpenAiClock {
 public:
  explicit FakeOpenAiClock(FakeOpenAi& fake);
  // The fake's time at `t`.
  int64_t At(absl::Time t) const { return fake_ms_ + absl::ToInt64Milliseconds(t - mark_); }

 private:
  absl::Time mark_;
  int64_t fake_ms_ = 0;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_FAKE_OPENAI_PROCESS_H_

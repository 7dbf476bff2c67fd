#ifndef CITECHECK_TESTS_FAKES_FAKE_LLM_CLIENT_H_
#define CITECHECK_TESTS_FAKES_FAKE_LLM_CLIENT_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/llm/llm_client.h"
#include "tests/fakes/call_threads.h"

namespace citecheck {

// An LlmClient with switches: scripted responses in call order; once the script is used up,
// every citation of the user message is answered as valid (every in-text citation of an
// in-text request as matched to reference 1). Records every request; `on_call` runs at the
// start of each call (e.g. to advance a fake clock). Hold() makes calls wait until Release() or
// until their request is cancelled (then they end as a connection error, as the HTTP client's
// abandoned calls do). FakeLlmClient(/*event_loop=*/true) has HasEventLoop(), and Start() runs
// the call on a thread of its own and returns at once, as the HTTP client's event loop does.
// Thread-safe. REQUIRES: no call running when destroyed (the Start threads are joined then).
class FakeLlmClient final : public LlmClient {
 public:
  explicit FakeLlmClient(bool event_loop = false) : event_loop_(event_loop) {}

  LlmResponse Complete(const LlmRequest& request) override;
  void Start(LlmRequest request, LlmDone done) override;
  bool HasEventLoop() const override { return event_loop_; }

  // Answers the next call (after those pushed before) with `response`.
  void Push(LlmResponse response);
  void PushTimes(int times, const LlmResponse& response);
  void OnCall(std::function<void()> hook);
  std::vector<LlmRequest> requests() const;
  int calls() const;
  void Hold();
  void Release();
  // Calls started and not yet returned (held ones included).
  int running() const;

 private:
  const bool event_loop_;
  mutable absl::Mutex mu_;
  std::deque<LlmResponse> script_ ABSL_GUARDED_BY(mu_);
  std::vector<LlmRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_call_ ABSL_GUARDED_BY(mu_);
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  CallThreads call_threads_;  // last: joined before the members the calls use
};

// Answers in the formats of server/checking/prompts.h and inline_prompts.h, for scripts.
namespace fake_llm {

// One answer block for citation `number`: valid, or with one error (a missing year).
std::string Block(int number, absl::string_view original, bool valid = true);

// An answer holding valid blocks for `numbers` only, with "Work <n>." as their originals.
std::string Answer(std::vector<int> numbers);

// The JSON answer to an in-text request that matches every id of its user message to
// reference 1.
std::string MatchEveryInlineId(const std::string& user_message);

// A successful response carrying `content`, and a failed one.
LlmResponse Ok(std::string content);
LlmResponse Failed(AttemptOutcome outcome);

}  // namespace fake_llm
}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_FAKE_LLM_CLIENT_H_

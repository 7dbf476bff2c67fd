#ifndef CITECHECK_SERVER_LLM_LLM_CLIENT_H_
#define CITECHECK_SERVER_LLM_LLM_CLIENT_H_

// One request to an LLM endpoint: a system prompt and one user message in, the assistant's text
// out. An LlmClient makes exactly ONE attempt per call and never retries, waits for rate limits
// or pauses: retrying is the caller's job (LlmChecker, with server/llm/retry_policy.h).

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "server/llm/attempt_outcome.h"

namespace citecheck {

struct LlmRequest {
  // The model to ask (e.g. "gpt-4o-mini").
  std::string model;
  std::string system_prompt;
  std::string user_message;
  // The whole attempt (connect, send, wait, read) must end within this; the caller has already
  // capped it by the job's deadline. Zero or negative: the attempt times out at once.
  absl::Duration timeout = absl::Seconds(60);
  // When set, the attempt is abandoned soon after *cancelled becomes true (the job was
  // cancelled, or the replica hands its work back): the connection is closed and the outcome
  // is kConnectionError. May be null.
  const std::atomic<bool>* cancelled = nullptr;
};

struct LlmResponse {
  // kSuccess only when `content` holds the assistant's (non-empty) text.
  AttemptOutcome outcome;
  // The assistant's text; empty unless outcome.kind == kSuccess.
  std::string content;
  // Usage as reported by the endpoint; 0 when it reported none.
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// Receives the response of an attempt started with LlmClient::Start.
using LlmDone = absl::AnyInvocable<void(LlmResponse) &&>;

// Thread-safe: Complete() and Start() may be called concurrently from any number of threads.
class LlmClient {
 public:
  virtual ~LlmClient() = default;

  // Makes one attempt and waits for it. Never throws; every failure is described by the
  // returned outcome.
  virtual LlmResponse Complete(const LlmRequest& request) = 0;

  // Starts one attempt and returns without waiting for it (or after it, see below); `done` is
  // called exactly once with its response, as Complete() would have returned it. `done` runs
  // either on the calling thread before Start() returns (an attempt that ends at once, or a
  // client without an event loop: this default runs Complete()) or on a thread of the
  // client's (HttpLlmClient: its event loop); it must not block, and may call Start() again.
  // request.cancelled, when set, must stay valid until `done` has run.
  virtual void Start(LlmRequest request, LlmDone done) { std::move(done)(Complete(request)); }

  // True when Start() returns without waiting for the attempt (the client runs its attempts on
  // an event loop of its own); false when Start() runs Complete() (the default).
  virtual bool HasEventLoop() const { return false; }
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_LLM_CLIENT_H_

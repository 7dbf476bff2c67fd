#ifndef CITECHECK_SERVER_LLM_HTTP_LLM_CLIENT_H_
#define CITECHECK_SERVER_LLM_HTTP_LLM_CLIENT_H_

// An LlmClient for OpenAI-compatible HTTP endpoints, on libcurl (request and response JSON with
// RapidJSON).
//
//   api kChat:      POST {base_url}/chat/completions
//                   {"model": m, "messages": [{"role": "system", ...}, {"role": "user", ...}]}
//                   answer: choices[0].message.content (a string, or an array of text parts),
//                   usage.prompt_tokens / usage.completion_tokens
//   api kResponses: POST {base_url}/responses  {"model": m, "instructions": s, "input": u}
//                   answer: output_text if present, else the text of every "output_text" part
//                   of output[*].content[*], joined; usage.input_tokens / usage.output_tokens
//
// Outcome of an attempt (AttemptOutcome):
//   curl timeout (CURLE_OPERATION_TIMEDOUT)          -> kTimeout
//   any other transport error (refused, reset, ...)  -> kConnectionError
//   HTTP status outside 2xx                          -> kHttpStatus with the response headers
//                                                       and error.code of the JSON body, if any
//   2xx whose body is not JSON or holds no text      -> kBadAnswer
//   2xx with text                                    -> kSuccess
// Response headers are captured with lower-case names (the headers of the final response only).
// Redirects are not followed. Bodies above 16 MiB are not read (kBadAnswer for a 2xx).
//
// The API key is sent as "Authorization: Bearer <key>" (no header when it is empty). It never
// appears in logs, statuses or AttemptOutcome::detail: provider messages copied into `detail`
// are scrubbed of anything resembling it.
//
// Connections are reused: each calling thread gets its own curl easy and multi handles (kept
// per client, keyed by thread; never used by two threads at once), and the multi handle keeps
// its connections open between calls. Handles are freed with the client.
//
// A request's `cancelled` flag is looked at every 20 ms while the transfer waits: once set,
// the transfer is abandoned and its connection closed (kConnectionError, "abandoned").
//
// curl_global_init(CURL_GLOBAL_ALL) should be called by main() before any thread starts; the
// constructor also calls it once per process (a reference-counted no-op if main did) so that a
// forgetful caller still works.
//
// Thread-safe. REQUIRES: no call to Complete() is running when the client is destroyed.

#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/llm/llm_client.h"

struct curl_slist;

namespace citecheck {

enum class LlmApi {
  kChat,       // /chat/completions
  kResponses,  // /responses
};

// "chat" or "responses" (case-sensitive); INVALID_ARGUMENT otherwise.
absl::StatusOr<LlmApi> ParseLlmApi(absl::string_view name);
// "chat" or "responses".
absl::string_view LlmApiName(LlmApi api);

// The host (and port) of `url` for logs: no scheme, no user name or password, no path.
// "https://u:p@api.example.com:8443/v1" -> "api.example.com:8443".
std::string UrlHostForLog(absl::string_view url);

// Replaces in `text` the whole `secret` and every whitespace-delimited word sharing six or more
// consecutive characters with it by "[redacted]". `text` unchanged when `secret` is empty.
std::string ScrubSecret(absl::string_view text, absl::string_view secret);

struct HttpLlmClientOptions {
  // E.g. "https://api.openai.com/v1"; a trailing '/' is ignored. Must be http:// or https://.
  std::string base_url;
  LlmApi api = LlmApi::kChat;
  // Sent as a bearer token; empty = no Authorization header.
  std::string api_key;
  // Limit on establishing the connection (capped by each request's timeout).
  absl::Duration connect_timeout = absl::Seconds(5);
};

class HttpLlmClient final : public LlmClient {
 public:
  // INVALID_ARGUMENT when base_url is not an http(s) URL.
  static absl::StatusOr<std::unique_ptr<HttpLlmClient>> Create(HttpLlmClientOptions options);

  ~HttpLlmClient() override;
  HttpLlmClient(const HttpLlmClient&) = delete;
  HttpLlmClient& operator=(const HttpLlmClient&) = delete;

  LlmResponse Complete(const LlmRequest& request) override;

  // The URL requests are POSTed to (no secret in it unless base_url held one).
  const std::string& endpoint_url() const { return url_; }

 private:
  struct Handle;  // a curl easy handle, the multi handle that runs it, and its error buffer

  explicit HttpLlmClient(HttpLlmClientOptions options);

  // The calling thread's handle, created on first use.
  Handle* ThreadHandle();
  // The JSON request body.
  std::string RequestBody(const LlmRequest& request) const;

  const HttpLlmClientOptions options_;
  const std::string url_;
  // Request headers ("Authorization: Bearer ...", content type); built once, only read by
  // transfers afterwards, freed with the client.
  curl_slist* headers_ = nullptr;

  absl::Mutex mu_;
  // One handle per thread that ever called Complete(). A thread id the system reuses after its
  // thread exited takes over that thread's handle, which is safe: it is never used by two
  // threads at once.
  std::unordered_map<std::thread::id, std::unique_ptr<Handle>> handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_HTTP_LLM_CLIENT_H_

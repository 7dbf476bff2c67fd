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
//   2xx whose body is not JSON (in UTF-8, nested at most kMaxJsonNesting deep) or holds no
//   text                                             -> kBadAnswer
//   2xx with text                                    -> kSuccess
// Response headers are captured with lower-case names (the headers of the final response only).
// Redirects are not followed. Bodies above 16 MiB are not read (kBadAnswer for a 2xx).
//
// The API key is sent as "Authorization: Bearer <key>" (no header when it is empty). It never
// appears in logs, statuses or AttemptOutcome::detail: provider messages copied into `detail`
// are scrubbed of anything resembling it.
//
// Thread model: every transfer runs on the client's one event-loop thread (started by the
// constructor, stopped by the destructor), on one curl multi handle whose connection cache
// all transfers share, so an idle connection is reused by the next call whatever thread made
// it. Start() builds the request body and sets up a curl easy handle (taken from a free list
// of finished ones, or created) on the calling thread, then queues it for the loop and wakes
// it (an eventfd) if the queue was empty. The loop drives curl's socket interface
// (curl_multi_socket_action): it sleeps in epoll_wait until a socket curl waits for is ready,
// curl's timer is due, or it is woken, and then hands curl only the sockets that are ready
// (curl_multi_perform + curl_multi_poll would look at every running transfer's socket, one
// poll() each, on every wake: 20 polls per call at 64 in flight). It never sleeps longer than
// 250 ms (the most a `cancelled` flag set without StopWaiters::WakeAll() goes unnoticed).
//
// `done` callbacks run on the loop thread, outside every lock of the client, one at a time.
// They may call Start() again; they must not block (no Complete(), no waiting on locks held
// for long, no I/O): every transfer of the client waits while one runs. Complete() called
// from a done callback does not deadlock: it answers kConnectionError at once.
//
// Cancellation: the client registers with StopWaiters (server/common/stop_waiters.h) for its
// whole life; every wake makes the loop look at the `cancelled` flag of each running
// transfer, and the ones set are abandoned: the easy handle is removed from the multi (which
// closes its connection) and `done` gets kConnectionError, "abandoned: the check was
// cancelled". (Over https to a server that speaks HTTP/2, curl may multiplex several transfers
// on one connection, its default for a shared multi handle; abandoning one then resets only
// its stream.)
//
// A request whose timeout is zero or negative never reaches the loop: its `done` runs on the
// calling thread before Start() returns (kTimeout, as Complete() answers it).
//
// curl_global_init(CURL_GLOBAL_ALL) should be called by main() before any thread starts; the
// constructor also calls it once per process (a reference-counted no-op if main did) so that a
// forgetful caller still works.
//
// Thread-safe: Start() and Complete() may be called from any thread. Ownership: the client
// owns the loop thread, the multi handle and every easy handle; a started request is owned by
// the client until its `done` has run. The destructor stops the loop: each transfer still
// queued or running gets `done` once, with kConnectionError ("abandoned: the client is shutting
// down"), on the loop thread, before the destructor returns; a done callback that calls
// Start() then is answered the same way on its own thread. REQUIRES: no Start() or Complete()
// from another thread is running or begins once the destructor has started.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/stop_waiters.h"
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

// ---- reading a response: pure, exposed for tests and the fuzzer (tests/fuzz) -----------------

// A response as it came off the wire, before it is read.
struct HttpResponse {
  // The status code of the final response (0 when there was none).
  int status = 0;
  // Lower-case names (see AddHeaderLine).
  HttpHeaders headers;
  std::string body;
  // The body was above the 16 MiB limit and was not read (`body` holds a prefix).
  bool body_too_large = false;
};

// Takes one raw header line as curl hands it ("Name: value\r\n"): a status line ("HTTP/...")
// starts the set afresh (so only the final response's headers remain); a line with a colon and
// a non-blank name sets headers[lower-case trimmed name] to the trimmed value (a later line of
// the same name replaces it); anything else is ignored.
void AddHeaderLine(absl::string_view line, HttpHeaders* headers);

// The LlmResponse for a transfer that ended without a transport error, as the class comment
// says: kHttpStatus outside 2xx (with the headers and the body's error.code), else kBadAnswer
// or kSuccess by the body read for `api`. Any provider text copied into outcome.detail is
// scrubbed of `api_key` and cut short.
LlmResponse InterpretHttpResponse(HttpResponse response, LlmApi api, absl::string_view api_key);

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

  // Start() and waits for its `done`.
  LlmResponse Complete(const LlmRequest& request) override;

  // See the class comment.
  void Start(LlmRequest request, LlmDone done) override;

  // True: Start() hands every attempt with time left to the loop and returns.
  bool HasEventLoop() const override { return true; }

  // The URL requests are POSTed to (no secret in it unless base_url held one).
  const std::string& endpoint_url() const { return url_; }

 private:
  // One attempt: its easy handle (set up for it), the body and what the transfer collects,
  // and whom to tell.
  struct Transfer;

  explicit HttpLlmClient(HttpLlmClientOptions options);

  // The JSON request body.
  std::string RequestBody(const LlmRequest& request) const;
  // The loop thread's body: runs until the destructor asks it to stop.
  void Loop();
  // Wakes the loop (any thread).
  void Wake();
  // Loop thread: how long the next epoll_wait may sleep.
  int WaitMillis() const;
  // Loop thread: finishes every transfer curl reports done.
  void FinishCompleted();
  // Loop thread: hands transfers queued by Start() to the multi handle.
  void AddQueued(std::vector<std::unique_ptr<Transfer>> queued);
  // Loop thread: takes the transfer off the multi handle (if it was on it), gives its easy
  // handle back to the free list and runs its `done` with `response`.
  void Finish(std::unique_ptr<Transfer> transfer, LlmResponse response);
  // Loop thread: the response of a transfer that curl reports done with `code`.
  LlmResponse ResponseOf(Transfer& transfer, int code) const;
  // Loop thread: abandons every running transfer whose `cancelled` flag is set.
  void AbandonCancelled();
  // curl's CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION (loop thread; `client` is this):
  // keep epoll_fd_ watching what curl waits for, and curl_timer_ when curl wants to be called.
  static int OnCurlSocket(void* curl, int socket, int what, void* client, void* socket_state);
  static int OnCurlTimer(void* multi, long timeout_ms, void* client);  // NOLINT(runtime/int)

  const HttpLlmClientOptions options_;
  const std::string url_;
  // Request headers ("Authorization: Bearer ...", content type); built once, only read by
  // transfers afterwards, freed with the client.
  curl_slist* headers_ = nullptr;
  // Runs every transfer (curl's socket interface); loop thread only. Null when
  // curl_multi_init failed (Create() then fails).
  void* const multi_;
  // What the loop sleeps on: the sockets curl waits for, and wake_fd_. -1 when it could not be
  // made (Create() then fails).
  const int epoll_fd_;
  // An eventfd; written by Wake(), read by the loop.
  const int wake_fd_;

  absl::Mutex mu_;
  // Set up by Start(), not yet handed to the multi handle.
  std::vector<std::unique_ptr<Transfer>> queued_ ABSL_GUARDED_BY(mu_);
  // Easy handles of finished transfers, kept for reuse (as many as were ever in flight at once).
  std::vector<void*> free_handles_ ABSL_GUARDED_BY(mu_);
  // The destructor has begun: Start() answers at once, the loop ends.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Loop thread only: the transfers on the multi handle, by easy handle; when curl wants
  // curl_multi_socket_action(CURL_SOCKET_TIMEOUT) called (none: when a socket is ready); and
  // whether a done callback queued a transfer (Start() on the loop thread does not Wake()).
  absl::flat_hash_map<void*, std::unique_ptr<Transfer>> running_;
  std::optional<std::chrono::steady_clock::time_point> curl_timer_;
  bool take_queue_now_ = false;
  // Wakes the loop when a stop flag is set; for the client's whole life.
  std::optional<StopWaiters::Registration> woken_on_stop_;
  std::thread loop_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_HTTP_LLM_CLIENT_H_

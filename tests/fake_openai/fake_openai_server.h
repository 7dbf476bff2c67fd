#ifndef CITECHECK_TESTS_FAKE_OPENAI_FAKE_OPENAI_SERVER_H_
#define CITECHECK_TESTS_FAKE_OPENAI_FAKE_OPENAI_SERVER_H_

// A fake OpenAI-compatible HTTP server for integration tests: it answers like an LLM following
// citecheck's prompts (findings from HeuristicChecker, see answer.h) and can be scripted to
// misbehave. Plain HTTP/1.1 with keep-alive, one thread per connection (up to
// Options::threads connections are served at once; more wait for a free thread).
//
// Completion endpoints. Every request counts in the stats, is logged on arrival and consumes
// the next scripted action, if any:
//   POST /v1/chat/completions  {"model", "messages":[{"role","content"}...]}: the system and
//        developer messages give the style (answer.h StyleFromPrompt), the last user message what
//        is asked: the numbered citations of a reference check (answer.h
//        ParseNumberedCitations) or, when it starts with "REFERENCES:", an in-text request
//        (answer.h ParseInlineMessage). A content is a string or an array of {"text": ...} parts.
//     → {"id":"chatcmpl-fake-N","object":"chat.completion","created":<unix s>,"model":<model>,
//        "choices":[{"index":0,"message":{"role":"assistant","content":<text>},
//        "finish_reason":"stop"}],"usage":{"prompt_tokens":P,"completion_tokens":C,
//        "total_tokens":P+C}}
//   POST /v1/responses  {"model", "instructions", "input"}: `instructions` gives the style,
//        `input` (a string, or an array of messages as above) what is asked.
//     → {"id":"resp-fake-N","object":"response","created_at":<unix s>,"status":"completed",
//        "model":<model>,"output":[{"type":"message","role":"assistant","content":[
//        {"type":"output_text","text":<text>}]}],"output_text":<text>,"usage":{
//        "input_tokens":P,"output_tokens":C,"total_tokens":P+C}}
//   <text> is answer.h RenderAnswer() for a reference check and RenderInlineAnswer() (JSON in a
//   code fence, verdicts from InlineMatcher) for an in-text request; N counts completion
//   requests since start (never reset); token counts are bytes/4 rounded up (P: system + user
//   text). A body that is not a JSON object gets 400 {"error":{...,"type":
//   "invalid_request_error"}} unless the action fails the request anyway (reset, status,
//   malformed, garbage_answer).
//
// Control endpoints (JSON in and out; a bad body is 400 {"error": "<why>"}):
//   POST /control/script   {"actions":[ACTION...]} appends to the FIFO script, all or nothing;
//        → {"queued":N} (actions now waiting). When the script is empty requests are answered
//        normally after the default latency. ACTION: every field optional, unknown ones refused:
//          "latency_ms": int>=0    sleep before answering (replaces the default latency)
//          "hang_ms": int>=0       then sleep this much more: set it above the client's timeout;
//                                  the answer is still written afterwards (harmlessly failing
//                                  when the client is gone)
//          "status": int 100..599  answer this status, body
//                                  {"error":{"message":"fake error","type":"fake","code":C}}
//          "error_code": string    C above (null when absent), e.g. "insufficient_quota"
//          "headers": {name: str}  extra response headers, e.g. {"retry-after":"1"},
//                                  {"retry-after-ms":"200"}, {"x-should-retry":"false"}
//                                  (with every outcome but a reset)
//          "reset": bool           abort the connection before a complete response (see below)
//          "reset_empty": bool     the same without any response byte (see below)
//          "malformed": bool       200, Content-Type application/json, body not JSON
//          "garbage_answer": bool  200, the normal envelope, content "I cannot help with that."
//          "omit": [int...]        leave out these citation numbers' blocks (in-text requests:
//                                  the entries of these ids' numbers, 3 for "c3")
//          "out_of_range": bool    in-text requests only: the first entry names a reference
//                                  number past the list (a bad answer for citecheck)
//        Precedence: reset/reset_empty > status > malformed > garbage_answer > out_of_range >
//        omit.
//   POST /control/rules    {"rules":[RULE...]} replaces the standing rules, all or nothing.
//        RULE: {"contains": "TEXT", "times": int>=0 (optional), ACTION fields}. A completion
//        request any of whose citations contains TEXT takes the first such rule's action
//        instead of the next scripted one (the script is not consumed); a rule with "times"
//        applies to that many requests, then no more. E.g. {"contains":"POISON",
//        "hang_ms":60000} hangs every request asking about a marked citation. → {"ok":true}
//   POST /control/default  {"latency_ms": int>=0}: the default latency. → {"ok":true}
//   GET  /control/stats    → {"requests":R,"in_flight":K,"max_concurrency":M,"queued":Q,
//        "default_latency_ms":D,"now_ms" (ms since the server started, the clock of the log),
//        "log":[{"path","model","authorization" (the header as sent, "" when absent),
//        "kind":"references|inline","citations":[text...] (the in-text citations of an
//        in-text request),"style":"APA7|MLA9|CHICAGO17","received_ms" (ms since the server
//        started),"action":"ok|hang|omit|status|reset|malformed|garbage|out_of_range|
//        bad_request","gone_ms" (ms since start when the client closed the connection while
//        the fake was still sleeping before its answer; -1 when it did not)}...]}. R counts
//        completion requests (scripted and failed ones included); K those being handled now;
//        M the most handled at once since the last reset.
//   POST /control/reset    (body optional) clears the script, the rules, the log, R and the
//        default latency (back to Options::default_latency_ms); M restarts from K.
//        → {"ok":true}
//
// How "reset" works: after the latency, the handler finds its connection's socket (the fd
// whose local port is the server's and whose peer is the request's remote address and port, by
// scanning /proc/self/fd), writes only "HTTP/1.1 200 OK\r\n", sets SO_LINGER {on, 0} and
// dup2()s a fresh unconnected socket over the fd: the kernel drops the connection with a RST,
// and httplib's own later write and close hit the dummy socket. libcurl reports
// CURLE_RECV_ERROR (56, "Recv failure: Connection reset by peer"), on a fresh or a reused
// connection alike. "reset_empty" skips the status line: on a fresh connection libcurl also
// reports CURLE_RECV_ERROR, but on a REUSED keep-alive connection it silently re-sends the
// request on a new connection (as clients do when an idle connection dies before any response
// byte), which arrives here as another request and consumes the next action.
//
// Start() ignores SIGPIPE process-wide (writes to vanished clients must not kill the process).

#include <memory>
#include <string>

namespace citecheck::fake_openai {

struct Options {
  // Address to bind; port 0 picks a free one.
  std::string host = "127.0.0.1";
  int port = 0;
  // Latency of requests without a scripted latency_ms, until /control/default changes it.
  int default_latency_ms = 0;
  // Connections served at once (httplib thread pool size).
  int threads = 128;
  // How long an idle keep-alive connection is kept open.
  int keep_alive_timeout_s = 30;
};

class FakeOpenAiServer {
 public:
  // Binds and serves on background threads. nullptr (and *error set) when it cannot bind.
  static std::unique_ptr<FakeOpenAiServer> Start(const Options& options, std::string* error);

  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  // Stop()s.
  ~FakeOpenAiServer();

  // The bound port and "host:port".
  int port() const;
  std::string address() const;

  // Stops accepting, cuts every sleeping request short (it gets a 503 if still connected),
  // closes open connections and waits for all handlers to return. Idempotent; thread-safe.
  void Stop();

  struct Impl;

 private:
  explicit FakeOpenAiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citecheck::fake_openai

#endif  // CITECHECK_TESTS_FAKE_OPENAI_FAKE_OPENAI_SERVER_H_

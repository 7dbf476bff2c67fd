#ifndef CITECHECK_TESTS_FAKE_OPENAI_CANNED_SERVER_H_
#define CITECHECK_TESTS_FAKE_OPENAI_CANNED_SERVER_H_

// The fake's canned mode (fake_openai --canned), for benchmarks: an OpenAI-compatible endpoint
// whose own CPU per request stays a small fraction of citecheck-server's, so that a benchmark on
// the same cores measures the server and not the fake. One thread serves every connection with
// epoll (HTTP/1.1 keep-alive; requests need a Content-Length; no pipelining), and the latency of
// a request is a timer, not a sleeping thread. Reference checks are answered with every citation
// valid (answer.h RenderValidAnswer: nothing is checked), in-text requests as FakeOpenAiServer
// answers them; answers are never compressed.
//
// The completion and control endpoints are FakeOpenAiServer's (fake_openai_server.h), with
// these differences: /control/script accepts only the actions' "latency_ms", "status",
// "error_code", "headers" and "omit" (others: 400, nothing queued), and /control/stats has an
// empty "log" (requests are counted, not logged).
//
// Thread-safe: Stop() may be called from any thread.

#include <memory>
#include <string>

#include "tests/fake_openai/fake_openai_server.h"

namespace citecheck::fake_openai {

class CannedServer {
 public:
  // Binds options.host:options.port (0 picks a free port) and serves on a thread of its own.
  // nullptr (and *error set) when it cannot. options.threads is ignored (one thread).
  static std::unique_ptr<CannedServer> Start(const Options& options, std::string* error);

  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  ~CannedServer();  // Stop()

  int port() const;
  std::string address() const;

  // Stops serving and closes every connection (requests still waiting get no answer).
  // Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit CannedServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace citecheck::fake_openai

#endif  // CITECHECK_TESTS_FAKE_OPENAI_CANNED_SERVER_H_

#ifndef CITECHECK_SERVER_API_HTTP_ENDPOINT_H_
#define CITECHECK_SERVER_API_HTTP_ENDPOINT_H_

// The operator's plain-HTTP endpoint (--metrics_listen), on cpp-httplib:
//   GET /metrics  200, Prometheus text format 0.0.4 (Content-Type text/plain; version=0.0.4)
//   GET /healthz  200 "ok" while the process runs
//   GET /readyz   200 "ready" while ready() says so (the gRPC health status is SERVING), else
//                 503 "not ready"
//   anything else 404
// It runs on its own small thread pool, apart from gRPC's: a slow or malicious client can tie
// up at most those threads, each for at most io_timeout per read or write, and never a gRPC
// thread. Building /metrics reads atomics only (server/common/metrics.h).
//
// Thread-safe. Stop() (or the destructor) must run before what the callbacks use is destroyed.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace citecheck {

struct HttpEndpointOptions {
  // "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces); port 0 picks a free port.
  std::string listen;
  // Whether /readyz answers 200. Required.
  std::function<bool()> ready;
  // The /metrics body; empty = MetricsRegistry::Global() with the service, gRPC and process
  // families registered.
  std::function<std::string()> metrics;
  // Requests served at once; more connections wait in a queue.
  int threads = 4;
  // Longest wait for a client to send or take data, per read or write.
  absl::Duration io_timeout = absl::Seconds(5);
};

class HttpEndpoint {
 public:
  // Binds and serves on a background thread. INVALID_ARGUMENT for an unparsable address,
  // UNAVAILABLE when it cannot bind.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(HttpEndpointOptions options);
  ~HttpEndpoint();  // Stop()

  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // The bound address, e.g. "127.0.0.1:9090".
  const std::string& address() const { return address_; }

  // Stops serving and joins the threads. Idempotent.
  void Stop();

 private:
  explicit HttpEndpoint(HttpEndpointOptions options);

  const HttpEndpointOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::string address_;
};

// "HOST:PORT" split into host and port; "[::1]:80" gives "::1"; ":80" gives "0.0.0.0".
// INVALID_ARGUMENT when there is no port or it is not 0..65535.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address);

// The body of /metrics for the process-wide registry.
std::string GlobalMetricsExposition();

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_HTTP_ENDPOINT_H_

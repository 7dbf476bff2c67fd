#include "server/api/http_endpoint.h"

#include <httplib.h>
#include <sys/socket.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/api/metrics_interceptor.h"
#include "server/common/metrics.h"
#include "server/common/service_metrics.h"

namespace citecheck {
namespace {

constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kTextContentType[] = "text/plain; charset=utf-8";

}  // namespace

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' has no :PORT"));
  }
  std::string host = address.substr(0, colon);
  int port = -1;
  if (!absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("'", address, "' has no valid port"));
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  return std::make_pair(host, port);
}

std::string GlobalMetricsExposition() {
  ServiceMetrics::Get();
  GrpcServerMetrics::Get();
  return MetricsRegistry::Global().Exposition();
}

HttpEndpoint::HttpEndpoint(HttpEndpointOptions options)
    : options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {}

absl::StatusOr<std::unique_ptr<HttpEndpoint>> HttpEndpoint::Start(HttpEndpointOptions options) {
  absl::StatusOr<std::pair<std::string, int>> host_port = SplitHostPort(options.listen);
  if (!host_port.ok()) return host_port.status();
  if (!options.metrics) options.metrics = GlobalMetricsExposition;
  std::unique_ptr<HttpEndpoint> endpoint(new HttpEndpoint(std::move(options)));
  httplib::Server& server = *endpoint->server_;
  const HttpEndpointOptions& o = endpoint->options_;
  const int threads = std::max(1, o.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  const auto timeout = absl::ToChronoMicroseconds(o.io_timeout);
  server.set_read_timeout(timeout);
  server.set_write_timeout(timeout);
  server.set_keep_alive_timeout(std::max<time_t>(1, absl::ToInt64Seconds(o.io_timeout)));
  server.set_keep_alive_max_count(100);
  server.set_payload_max_length(64 * 1024);
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a second process
  // share the port (and half of the scrapes) instead of failing to start.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  server.Get("/metrics", [&o](const httplib::Request&, httplib::Response& res) {
    res.set_content(o.metrics(), kPrometheusContentType);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", kTextContentType);
  });
  server.Get("/readyz", [&o](const httplib::Request&, httplib::Response& res) {
    const bool ready = o.ready && o.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready\n", kTextContentType);
  });
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found\n", kTextContentType);
  });

  const auto& [host, port] = *host_port;
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  const bool v6 = host.find(':') != std::string::npos;
  endpoint->address_ = absl::StrCat(v6 ? "[" : "", host, v6 ? "]" : "", ":", bound);
  endpoint->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // Stop() only stops a server that is running: wait for the loop to start.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!server.is_running() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
  return endpoint;
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

void HttpEndpoint::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace citecheck

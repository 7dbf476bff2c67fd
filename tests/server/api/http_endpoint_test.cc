#include "server/api/http_endpoint.h"

#include <httplib.h>

#include <atomic>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(SplitHostPortTest, AcceptsTheUsualForms) {
  EXPECT_EQ(*SplitHostPort("127.0.0.1:9090"), std::make_pair(std::string("127.0.0.1"), 9090));
  EXPECT_EQ(*SplitHostPort("[::1]:80"), std::make_pair(std::string("::1"), 80));
  EXPECT_EQ(*SplitHostPort(":0"), std::make_pair(std::string("0.0.0.0"), 0));
  EXPECT_EQ(SplitHostPort("localhost").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitHostPort("h:65536").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SplitHostPort("h:x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(HttpEndpointTest, ServesMetricsHealthAndReadiness) {
  std::atomic<bool> ready{false};
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.ready = [&ready] { return ready.load(); };
  options.metrics = [] { return std::string("# TYPE x_total counter\nx_total 1\n"); };
  absl::StatusOr<std::unique_ptr<HttpEndpoint>> endpoint = HttpEndpoint::Start(options);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  httplib::Client http("http://" + (*endpoint)->address());

  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->body, "# TYPE x_total counter\nx_total 1\n");
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(http.Get("/healthz")->status, 200);
  EXPECT_EQ(http.Get("/readyz")->status, 503);
  ready = true;
  EXPECT_EQ(http.Get("/readyz")->status, 200);
  EXPECT_EQ(http.Get("/other")->status, 404);
  EXPECT_EQ(http.Get("/other")->body, "not found\n");

  (*endpoint)->Stop();
  EXPECT_FALSE(http.Get("/healthz"));
}

TEST(HttpEndpointTest, RefusesBadAddressesAndTakenPorts) {
  HttpEndpointOptions options;
  options.ready = [] { return true; };
  options.listen = "nowhere";
  EXPECT_EQ(HttpEndpoint::Start(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.listen = "127.0.0.1:0";
  auto first = HttpEndpoint::Start(options);
  ASSERT_TRUE(first.ok());
  options.listen = (*first)->address();
  EXPECT_EQ(HttpEndpoint::Start(options).status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpEndpointTest, DefaultBodyIsTheProcessRegistry) {
  HttpEndpointOptions options;
  options.listen = "127.0.0.1:0";
  options.ready = [] { return true; };
  auto endpoint = HttpEndpoint::Start(options);
  ASSERT_TRUE(endpoint.ok());
  auto res = httplib::Client("http://" + (*endpoint)->address()).Get("/metrics");
  ASSERT_TRUE(res);
  for (const char* family :
       {"# TYPE grpc_server_handled_total counter", "# TYPE citecheck_llm_requests_total counter",
        "# TYPE process_cpu_seconds_total counter"}) {
    EXPECT_THAT(res->body, ::testing::HasSubstr(family));
  }
}

}  // namespace
}  // namespace citecheck

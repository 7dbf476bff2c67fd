#include "tests/integration/metrics_scrape.h"

#include <httplib.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace citecheck::testing {

PrometheusText ScrapeMetrics(const std::string& address) {
  httplib::Client http("http://" + address);
  http.set_read_timeout(10, 0);
  auto res = http.Get("/metrics");
  if (!res || res->status != 200) {
    ADD_FAILURE() << "GET http://" << address << "/metrics failed";
    return PrometheusText();
  }
  absl::StatusOr<PrometheusText> parsed = PrometheusText::Parse(res->body);
  if (!parsed.ok()) {
    ADD_FAILURE() << "bad exposition: " << parsed.status() << "\n" << res->body;
    return PrometheusText();
  }
  return *std::move(parsed);
}

}  // namespace citecheck::testing

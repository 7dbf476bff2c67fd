#ifndef CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_
#define CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_

// Helpers for tests of the operator's HTTP endpoint.

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "tests/integration/prometheus_text.h"

namespace citecheck::testing {

// GET http://ADDRESS/metrics, parsed strictly. A failed request or a parse error adds a test
// failure and returns an empty exposition.
PrometheusText ScrapeMetrics(const std::string& address);

// Polls `condition` every 20 ms until it holds (true) or `timeout` passes (false).
bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(20));

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_

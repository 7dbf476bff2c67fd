#ifndef CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_
#define CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_

// Helpers for tests of the operator's HTTP endpoint.

#include <string>

#include "tests/integration/prometheus_text.h"

namespace citecheck::testing {

// GET http://ADDRESS/metrics, parsed strictly. A failed request or a parse error adds a test
// failure and returns an empty exposition.
PrometheusText ScrapeMetrics(const std::string& address);

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_METRICS_SCRAPE_H_

#ifndef CITECHECK_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_
#define CITECHECK_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_

// A strict reader of the Prometheus text format 0.0.4 for tests: it checks the whole exposition
// (every sample under a "# TYPE" of its family, each family once, names and label syntax,
// counters named *_total, histogram buckets cumulative with le ascending, ending at +Inf equal
// to _count, and a _sum) and then answers queries about sample values.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace citecheck::testing {

using Labels = std::map<std::string, std::string>;

struct Sample {
  std::string name;  // as written, e.g. "x_bucket"
  Labels labels;
  double value = 0;
};

struct MetricFamily {
  std::string name;
  std::string help;
  std::string type;  // counter, gauge, histogram, ...
  std::vector<Sample> samples;
};

class PrometheusText {
 public:
  // INVALID_ARGUMENT naming the line and the rule when `text` breaks the format.
  static absl::StatusOr<PrometheusText> Parse(const std::string& text);

  bool Has(const std::string& family) const { return families_.count(family) > 0; }
  const MetricFamily& Family(const std::string& family) const { return families_.at(family); }
  const std::map<std::string, MetricFamily>& families() const { return families_; }

  // The value of the sample `name` whose labels equal `labels` exactly; -1 (and a test failure)
  // when there is none.
  double Value(const std::string& name, const Labels& labels = {}) const;
  // The sum of the samples `name` whose labels include `subset`.
  double Sum(const std::string& name, const Labels& subset = {}) const;

 private:
  std::map<std::string, MetricFamily> families_;
};

}  // namespace citecheck::testing

#endif  // CITECHECK_TESTS_INTEGRATION_PROMETHEUS_TEXT_H_

#include "tests/integration/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace citecheck::testing {
namespace {

const std::regex& NameRegex() {
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return kName;
}

absl::StatusOr<double> ParseValue(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return absl::InvalidArgumentError("bad value " + text);
  return value;
}

// Parses `name{a="x",b="y"} value` (labels optional) into *sample.
absl::Status ParseSample(const std::string& line, Sample* sample) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  sample->name = line.substr(0, i);
  if (!std::regex_match(sample->name, NameRegex())) {
    return absl::InvalidArgumentError("bad metric name");
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return absl::InvalidArgumentError("bad label");
      }
      const std::string label = line.substr(i, eq - i);
      if (!std::regex_match(label, std::regex("[a-zA-Z_][a-zA-Z0-9_]*"))) {
        return absl::InvalidArgumentError("bad label name " + label);
      }
      std::string value;
      size_t k = eq + 2;
      for (; k < line.size() && line[k] != '"'; ++k) {
        if (line[k] == '\\' && k + 1 < line.size()) {
          ++k;
          value += line[k] == 'n' ? '\n' : line[k];
        } else {
          value += line[k];
        }
      }
      if (k >= line.size()) return absl::InvalidArgumentError("unterminated label value");
      if (sample->labels.count(label)) return absl::InvalidArgumentError("repeated label");
      sample->labels[label] = value;
      i = k + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return absl::InvalidArgumentError("unterminated label set");
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return absl::InvalidArgumentError("no value");
  absl::StatusOr<double> value = ParseValue(line.substr(i + 1));
  if (!value.ok()) return value.status();
  sample->value = *value;
  return absl::OkStatus();
}

// The family a sample name belongs to: itself, or a histogram's base name.
std::string FamilyOf(const std::string& sample, const std::map<std::string, MetricFamily>& known) {
  if (known.count(sample)) return sample;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(sample, suffix)) {
      std::string base = sample.substr(0, sample.size() - std::strlen(suffix));
      if (known.count(base)) return base;
    }
  }
  return sample;
}

absl::Status CheckHistogram(const MetricFamily& family) {
  // Group by the labels other than le.
  std::map<Labels, std::vector<std::pair<double, double>>> buckets;
  std::map<Labels, double> counts;
  std::map<Labels, int> sums;
  for (const Sample& s : family.samples) {
    Labels rest = s.labels;
    if (s.name == family.name + "_bucket") {
      if (!rest.count("le")) return absl::InvalidArgumentError(s.name + " without le");
      absl::StatusOr<double> le = ParseValue(rest["le"]);
      if (!le.ok()) return le.status();
      rest.erase("le");
      buckets[rest].push_back({*le, s.value});
    } else if (s.name == family.name + "_count") {
      counts[rest] = s.value;
    } else if (s.name == family.name + "_sum") {
      sums[rest]++;
    } else {
      return absl::InvalidArgumentError("unexpected sample " + s.name + " in histogram");
    }
  }
  for (const auto& [labels, list] : buckets) {
    for (size_t i = 1; i < list.size(); ++i) {
      if (!(list[i].first > list[i - 1].first)) {
        return absl::InvalidArgumentError(family.name + ": le not ascending");
      }
      if (list[i].second < list[i - 1].second) {
        return absl::InvalidArgumentError(family.name + ": buckets not cumulative");
      }
    }
    if (list.empty() || !std::isinf(list.back().first)) {
      return absl::InvalidArgumentError(family.name + ": no +Inf bucket");
    }
    if (!counts.count(labels) || counts[labels] != list.back().second) {
      return absl::InvalidArgumentError(family.name + ": _count differs from the +Inf bucket");
    }
    if (sums[labels] != 1) return absl::InvalidArgumentError(family.name + ": no single _sum");
  }
  if (counts.size() != buckets.size()) {
    return absl::InvalidArgumentError(family.name + ": _count without buckets");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PrometheusText> PrometheusText::Parse(const std::string& text) {
  PrometheusText result;
  if (!text.empty() && text.back() != '\n') {
    return absl::InvalidArgumentError("the exposition must end with a newline");
  }
  std::string current;  // the family of the last TYPE line
  int number = 0;
  for (absl::string_view view : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++number;
    const std::string line(view);
    auto fail = [&](const std::string& why) {
      return absl::InvalidArgumentError(absl::StrCat("line ", number, " (", line, "): ", why));
    };
    if (absl::StartsWith(line, "# HELP ")) {
      std::vector<std::string> parts = absl::StrSplit(line.substr(7), absl::MaxSplits(' ', 1));
      if (parts.size() != 2) return fail("HELP without text");
      if (result.families_.count(parts[0]) && !result.families_[parts[0]].help.empty()) {
        return fail("second HELP for the family");
      }
      result.families_[parts[0]].name = parts[0];
      result.families_[parts[0]].help = parts[1];
      continue;
    }
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line.substr(7), ' ');
      if (parts.size() != 2) return fail("bad TYPE line");
      MetricFamily& family = result.families_[parts[0]];
      if (!family.type.empty()) return fail("second TYPE for the family");
      if (!family.samples.empty()) return fail("TYPE after samples");
      static const std::vector<std::string> kTypes = {"counter", "gauge", "histogram", "summary",
                                                      "untyped"};
      if (std::find(kTypes.begin(), kTypes.end(), parts[1]) == kTypes.end()) {
        return fail("unknown type");
      }
      if (parts[1] == "counter" && !absl::EndsWith(parts[0], "_total")) {
        return fail("a counter's name must end in _total");
      }
      family.name = parts[0];
      family.type = parts[1];
      current = parts[0];
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;  // comment
    Sample sample;
    if (absl::Status status = ParseSample(line, &sample); !status.ok()) {
      return fail(std::string(status.message()));
    }
    const std::string family = FamilyOf(sample.name, result.families_);
    if (family != current) return fail("sample outside its family's block (no TYPE before it)");
    result.families_[family].samples.push_back(std::move(sample));
  }
  for (const auto& [name, family] : result.families_) {
    if (family.type.empty()) return absl::InvalidArgumentError(name + " has HELP but no TYPE");
    if (family.help.empty()) return absl::InvalidArgumentError(name + " has no HELP");
    if (family.type == "histogram") {
      if (absl::Status status = CheckHistogram(family); !status.ok()) return status;
    }
    // A label set appears once per sample name.
    std::map<std::pair<std::string, Labels>, int> seen;
    for (const Sample& s : family.samples) {
      if (++seen[{s.name, s.labels}] > 1) {
        return absl::InvalidArgumentError(name + ": a label set is repeated");
      }
    }
  }
  return result;
}

double PrometheusText::Value(const std::string& name, const Labels& labels) const {
  const auto it = families_.find(FamilyOf(name, families_));
  if (it != families_.end()) {
    for (const Sample& s : it->second.samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
  }
  std::string text;
  for (const auto& [k, v] : labels) absl::StrAppend(&text, k, "=", v, " ");
  ADD_FAILURE() << "no sample " << name << " {" << text << "}";
  return -1;
}

double PrometheusText::Sum(const std::string& name, const Labels& subset) const {
  double sum = 0;
  const auto it = families_.find(FamilyOf(name, families_));
  if (it == families_.end()) return 0;
  for (const Sample& s : it->second.samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : subset) {
      auto found = s.labels.find(k);
      if (found == s.labels.end() || found->second != v) match = false;
    }
    if (match) sum += s.value;
  }
  return sum;
}

}  // namespace citecheck::testing

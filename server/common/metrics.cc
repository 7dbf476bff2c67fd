#include "server/common/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

// Adds `delta` to an atomic double (a compare-and-swap loop: lock-free on every target we build
// for).
void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `name{labels}` or `name` when there are none.
std::string SampleName(absl::string_view name, absl::string_view labels) {
  if (labels.empty()) return std::string(name);
  return absl::StrCat(name, "{", labels, "}");
}

}  // namespace

void Gauge::Add(double delta) { AtomicAdd(value_, delta); }

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_->size() && value > (*bounds_)[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> counts(bounds_->size() + 1);
  for (size_t i = 0; i < counts.size(); ++i)
    counts[i] = buckets_[i].load(std::memory_order_relaxed);
  return counts;
}

namespace buckets {
const std::vector<double>& RpcSeconds() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,   0.25,   0.5,   1,    2.5,
                                              5,      10,    30,     60,    120,  300};
  return kBounds;
}
const std::vector<double>& DbSeconds() {
  static const std::vector<double> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                              0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBounds;
}
const std::vector<double>& LlmSeconds() {
  static const std::vector<double> kBounds = {0.05, 0.1, 0.25, 0.5, 1,  2,  5,
                                              10,   20,  30,   45,  60, 90, 120};
  return kBounds;
}
}  // namespace buckets

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  char buffer[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void AppendFamilyHeader(absl::string_view name, absl::string_view help, MetricType type,
                        std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ",
                  TypeName(type), "\n");
}

// ---- FamilyBase ---------------------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, MetricType type,
                       std::vector<std::string> label_names)
    : name_(std::move(name)),
      help_(std::move(help)),
      type_(type),
      label_names_(std::move(label_names)),
      slots_(new std::atomic<const Entry*>[kSlots]) {
  for (size_t i = 0; i < kSlots; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
}

FamilyBase::~FamilyBase() = default;

void FamilyBase::DeleteChildren() {
  absl::MutexLock lock(&mu_);
  for (auto& entry : entries_) DeleteChild(entry->child);
  if (overflow_ != nullptr) DeleteChild(overflow_);
  entries_.clear();
  overflow_ = nullptr;
}

void* FamilyBase::FindOrCreate(const std::vector<std::string>& values,
                               void* (*make)(const FamilyBase&)) {
  std::string key;
  for (const std::string& value : values) absl::StrAppend(&key, value, absl::string_view("\0", 1));
  const size_t hash = absl::HashOf(key);
  for (size_t i = 0; i < kSlots; ++i) {
    const Entry* entry = slots_[(hash + i) % kSlots].load(std::memory_order_acquire);
    if (entry == nullptr) break;
    if (entry->key == key) return entry->child;
  }

  absl::MutexLock lock(&mu_);
  size_t free_slot = kSlots;
  for (size_t i = 0; i < kSlots; ++i) {
    const size_t slot = (hash + i) % kSlots;
    const Entry* entry = slots_[slot].load(std::memory_order_acquire);
    if (entry == nullptr) {
      free_slot = slot;
      break;
    }
    if (entry->key == key) return entry->child;  // created by another thread meanwhile
  }
  if (values.size() != label_names_.size() || entries_.size() >= kMaxChildren ||
      free_slot == kSlots) {
    if (overflow_ == nullptr) {
      spdlog::error(
          "metric {}: {}; such samples are dropped", name_,
          values.size() != label_names_.size()
              ? absl::StrCat("expected ", label_names_.size(), " label values, got ", values.size())
              : absl::StrCat("more than ", kMaxChildren, " label sets"));
      overflow_ = make(*this);
    }
    return overflow_;
  }
  auto entry = std::make_unique<Entry>();
  entry->key = std::move(key);
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&entry->labels, i == 0 ? "" : ",", label_names_[i], "=\"",
                    EscapeLabelValue(values[i]), "\"");
  }
  entry->child = make(*this);
  slots_[free_slot].store(entry.get(), std::memory_order_release);
  entries_.push_back(std::move(entry));
  return entries_.back()->child;
}

void FamilyBase::AppendTo(std::string* out) const {
  AppendFamilyHeader(name_, help_, type_, out);
  absl::MutexLock lock(&mu_);
  for (const auto& entry : entries_) AppendChild(entry->child, entry->labels, out);
}

// ---- Family<T> ----------------------------------------------------------------------------

template <>
void* Family<Counter>::Make(const FamilyBase&) {
  return new Counter();
}
template <>
void* Family<Gauge>::Make(const FamilyBase&) {
  return new Gauge();
}
template <>
void* Family<Histogram>::Make(const FamilyBase& self) {
  return new Histogram(&static_cast<const Family<Histogram>&>(self).bounds_);
}

template <>
void Family<Counter>::AppendChild(const void* child, const std::string& labels,
                                  std::string* out) const {
  absl::StrAppend(out, SampleName(name(), labels), " ", static_cast<const Counter*>(child)->Value(),
                  "\n");
}

template <>
void Family<Gauge>::AppendChild(const void* child, const std::string& labels,
                                std::string* out) const {
  absl::StrAppend(out, SampleName(name(), labels), " ",
                  FormatSampleValue(static_cast<const Gauge*>(child)->Value()), "\n");
}

template <>
void Family<Histogram>::AppendChild(const void* child, const std::string& labels,
                                    std::string* out) const {
  const auto* histogram = static_cast<const Histogram*>(child);
  const std::vector<uint64_t> counts = histogram->BucketCounts();
  const std::string prefix = labels.empty() ? "" : absl::StrCat(labels, ",");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const std::string le = i < bounds_.size() ? FormatSampleValue(bounds_[i]) : "+Inf";
    absl::StrAppend(out, name(), "_bucket{", prefix, "le=\"", le, "\"} ", cumulative, "\n");
  }
  absl::StrAppend(out, SampleName(absl::StrCat(name(), "_sum"), labels), " ",
                  FormatSampleValue(histogram->Sum()), "\n");
  absl::StrAppend(out, SampleName(absl::StrCat(name(), "_count"), labels), " ", cumulative, "\n");
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- MetricsRegistry ----------------------------------------------------------------------

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* const registry = new MetricsRegistry();
  return *registry;
}

FamilyBase& MetricsRegistry::Add(std::unique_ptr<FamilyBase> family) {
  absl::MutexLock lock(&mu_);
  for (const auto& existing : families_) {
    if (existing->name() == family->name()) {
      spdlog::critical("metric {} registered twice", family->name());
      std::abort();
    }
  }
  families_.push_back(std::move(family));
  return *families_.back();
}

CounterFamily& MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names) {
  if (!absl::EndsWith(name, "_total")) {
    spdlog::critical("counter {} must end in _total", name);
    std::abort();
  }
  return static_cast<CounterFamily&>(Add(std::make_unique<CounterFamily>(
      std::move(name), std::move(help), MetricType::kCounter, std::move(label_names))));
}

GaugeFamily& MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names) {
  return static_cast<GaugeFamily&>(Add(std::make_unique<GaugeFamily>(
      std::move(name), std::move(help), MetricType::kGauge, std::move(label_names))));
}

HistogramFamily& MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds) {
  return static_cast<HistogramFamily&>(Add(
      std::make_unique<HistogramFamily>(std::move(name), std::move(help), MetricType::kHistogram,
                                        std::move(label_names), std::move(bounds))));
}

void MetricsRegistry::AddCollector(std::function<void(std::string*)> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Exposition() const {
  std::string out;
  absl::MutexLock lock(&mu_);
  for (const auto& family : families_) family->AppendTo(&out);
  for (const auto& collector : collectors_) collector(&out);
  return out;
}

}  // namespace citecheck

#ifndef CITECHECK_SERVER_COMMON_METRICS_H_
#define CITECHECK_SERVER_COMMON_METRICS_H_

// A small metrics library: counters, gauges and histograms grouped in labelled families, and
// their exposition in the Prometheus text format 0.0.4 (prometheus-cpp is not in Debian 12).
//
// Recording is lock-free: a child (one label set of a family) is a handful of std::atomic
// values, and recording is one or two atomic operations on them. Finding a child by its label
// values (Family::Labels) is lock-free once the child exists: children live in a fixed-size
// open-addressing table of atomic pointers that is only ever appended to; only creating a new
// child takes the family's mutex. Callers on hot paths keep the returned reference (children
// live as long as their registry), so they pay for the lookup once.
//
// Exposition (MetricsRegistry::Exposition) takes each family's mutex to walk its children in
// creation order; it never blocks a recording.
//
// Thread-safety: everything is thread-safe. Families and children are owned by their registry
// and never move; references stay valid while the registry lives.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace citecheck {

// A monotonically increasing count.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (e.g. streams open now).
class Gauge {
 public:
  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Add(double delta);
  void Increment() { Add(1); }
  void Decrement() { Add(-1); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Observations counted in buckets with fixed upper bounds, plus their count and sum.
class Histogram {
 public:
  // `bounds`: strictly increasing finite upper bounds; +Inf is implicit.
  explicit Histogram(const std::vector<double>* bounds);

  void Observe(double value);
  void ObserveDuration(absl::Duration d) { Observe(absl::ToDoubleSeconds(d)); }

  // Per-bucket (not cumulative) counts, the +Inf bucket last; its sum is the count.
  std::vector<uint64_t> BucketCounts() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double>* const bounds_;           // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1
  std::atomic<double> sum_{0};
};

// Bucket layouts, in seconds.
namespace buckets {
// RPC handling times: 0.5 ms .. 5 min (WatchJob streams last long).
const std::vector<double>& RpcSeconds();
// Database transactions: 0.5 ms .. 10 s.
const std::vector<double>& DbSeconds();
// LLM attempts: 50 ms .. 120 s.
const std::vector<double>& LlmSeconds();
}  // namespace buckets

enum class MetricType { kCounter, kGauge, kHistogram };

// The part of a family that does not depend on the child type: its name, help, labels, and
// the table of children.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, MetricType type,
             std::vector<std::string> label_names);
  virtual ~FamilyBase();

  const std::string& name() const { return name_; }
  // Appends "# HELP", "# TYPE" and the samples of every child, in creation order, to *out.
  void AppendTo(std::string* out) const;

 protected:
  // The child with these label values (one per label name, in order), created by `make` when
  // missing. Lock-free when it exists. Once the table holds kMaxChildren children, further label
  // sets share one child that is not exposed (and an error is logged once).
  void* FindOrCreate(const std::vector<std::string>& values, void* (*make)(const FamilyBase&));

  MetricType type() const { return type_; }
  // Deletes every child (with DeleteChild); called by the derived destructor.
  void DeleteChildren();

 private:
  // Appends the sample lines of `child`; `labels` is its rendered label list (`a="1",b="2"`,
  // empty without labels).
  virtual void AppendChild(const void* child, const std::string& labels,
                           std::string* out) const = 0;
  virtual void DeleteChild(void* child) const = 0;

  struct Entry {
    std::string key;     // the label values, each followed by '\0'
    std::string labels;  // rendered: a="1",b="2"
    void* child;
  };
  static constexpr size_t kSlots = 2048;
  static constexpr size_t kMaxChildren = kSlots / 2;

  const std::string name_;
  const std::string help_;
  const MetricType type_;
  const std::vector<std::string> label_names_;
  // Open addressing, linear probing; a slot is written once (null -> entry) under mu_.
  std::unique_ptr<std::atomic<const Entry*>[]> slots_;
  mutable absl::Mutex mu_;  // creating children and walking them
  std::vector<std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);  // creation order
  void* overflow_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// A family of children of type T (Counter, Gauge or Histogram) told apart by label values.
template <typename T>
class Family final : public FamilyBase {
 public:
  // `bounds`: the bucket bounds of a histogram family (ignored otherwise).
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), type, std::move(label_names)),
        bounds_(std::move(bounds)) {}
  ~Family() override { DeleteChildren(); }

  // The child for these label values (one per label name, in order), created on first use.
  T& Labels(const std::vector<std::string>& values) {
    return *static_cast<T*>(FindOrCreate(values, &Family::Make));
  }
  // The child of a family without labels.
  T& Get() { return Labels({}); }

 private:
  static void* Make(const FamilyBase& self);  // specialised in metrics.cc
  void AppendChild(const void* child, const std::string& labels, std::string* out) const override;
  void DeleteChild(void* child) const override { delete static_cast<T*>(child); }

  const std::vector<double> bounds_;  // histograms only
};

// Defined in metrics.cc for the three child types.
template <>
void* Family<Counter>::Make(const FamilyBase&);
template <>
void* Family<Gauge>::Make(const FamilyBase&);
template <>
void* Family<Histogram>::Make(const FamilyBase&);
template <>
void Family<Counter>::AppendChild(const void*, const std::string&, std::string*) const;
template <>
void Family<Gauge>::AppendChild(const void*, const std::string&, std::string*) const;
template <>
void Family<Histogram>::AppendChild(const void*, const std::string&, std::string*) const;
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A set of families and collectors, exposed together. Thread-safe.
class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The process-wide registry that /metrics exposes.
  static MetricsRegistry& Global();

  // Registers a family. Names must be unique in the registry (REQUIRES); counters end in
  // "_total" (REQUIRES).
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds);

  // Adds a function that appends whole families (HELP, TYPE, samples) at exposition time, for
  // values read when scraped (e.g. process metrics). It must not call back into the registry.
  void AddCollector(std::function<void(std::string*)> collector);

  // Every family, in registration order, then the collectors' output: the body of /metrics.
  std::string Exposition() const;

 private:
  FamilyBase& Add(std::unique_ptr<FamilyBase> family);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(std::string*)>> collectors_ ABSL_GUARDED_BY(mu_);
};

// Exposition helpers shared with collectors.
// A sample value: integers without a decimal point, others in the shortest form that reads back
// exactly, "+Inf"/"-Inf"/"NaN" as Prometheus spells them.
std::string FormatSampleValue(double value);
// `value` escaped for a label value (backslash, double quote, newline).
std::string EscapeLabelValue(absl::string_view value);
// Appends "# HELP name help\n# TYPE name type\n".
void AppendFamilyHeader(absl::string_view name, absl::string_view help, MetricType type,
                        std::string* out);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_METRICS_H_

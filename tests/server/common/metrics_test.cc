#include "server/common/metrics.h"

#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/process_metrics.h"
#include "server/common/service_metrics.h"

namespace citecheck {
namespace {

using ::testing::HasSubstr;

TEST(MetricsTest, CounterFamilyExposesHelpTypeAndOneLinePerLabelSet) {
  MetricsRegistry registry;
  CounterFamily& family = registry.AddCounter("demo_requests_total", "Requests.", {"code"});
  family.Labels({"ok"}).Increment(3);
  family.Labels({"bad"}).Increment();
  family.Labels({"ok"}).Increment();
  EXPECT_EQ(registry.Exposition(),
            "# HELP demo_requests_total Requests.\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{code=\"ok\"} 4\n"
            "demo_requests_total{code=\"bad\"} 1\n");
}

TEST(MetricsTest, FamilyWithoutChildrenStillHasHelpAndType) {
  MetricsRegistry registry;
  registry.AddGauge("demo_open", "Open things.", {"kind"});
  EXPECT_EQ(registry.Exposition(), "# HELP demo_open Open things.\n# TYPE demo_open gauge\n");
}

TEST(MetricsTest, GaugeGoesUpAndDownAndKeepsFractions) {
  MetricsRegistry registry;
  Gauge& gauge = registry.AddGauge("demo_tokens", "Tokens.").Get();
  gauge.Increment();
  gauge.Increment();
  gauge.Decrement();
  gauge.Add(0.5);
  EXPECT_EQ(gauge.Value(), 1.5);
  EXPECT_THAT(registry.Exposition(), HasSubstr("\ndemo_tokens 1.5\n"));
  gauge.Set(98.1);
  EXPECT_THAT(registry.Exposition(), HasSubstr("\ndemo_tokens 98.1\n"));
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithSumAndCount) {
  MetricsRegistry registry;
  Histogram& histogram =
      registry.AddHistogram("demo_seconds", "Latency.", {"op"}, {0.1, 1}).Labels({"read"});
  histogram.Observe(0.05);
  histogram.Observe(0.1);  // upper bounds are inclusive
  histogram.Observe(0.5);
  histogram.Observe(7);
  EXPECT_EQ(registry.Exposition(),
            "# HELP demo_seconds Latency.\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{op=\"read\",le=\"0.1\"} 2\n"
            "demo_seconds_bucket{op=\"read\",le=\"1\"} 3\n"
            "demo_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n"
            "demo_seconds_sum{op=\"read\"} 7.65\n"
            "demo_seconds_count{op=\"read\"} 4\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.AddCounter("demo_total", "Help with \\ and\nnewline.", {"path"})
      .Labels({"a\"b\\c\nd"})
      .Increment();
  EXPECT_EQ(registry.Exposition(),
            "# HELP demo_total Help with \\\\ and\\nnewline.\n"
            "# TYPE demo_total counter\n"
            "demo_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, SameLabelsGiveTheSameChild) {
  MetricsRegistry registry;
  CounterFamily& family = registry.AddCounter("demo_total", "x", {"a", "b"});
  // The key separates values, so ("ab","") and ("a","b") are different children.
  EXPECT_EQ(&family.Labels({"a", "b"}), &family.Labels({"a", "b"}));
  EXPECT_NE(&family.Labels({"ab", ""}), &family.Labels({"a", "b"}));
}

TEST(MetricsTest, TooManyLabelSetsShareAHiddenChild) {
  MetricsRegistry registry;
  CounterFamily& family = registry.AddCounter("demo_total", "x", {"id"});
  for (int i = 0; i < 1100; ++i) family.Labels({std::to_string(i)}).Increment();
  const std::string text = registry.Exposition();
  const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 2u + 1024u);  // HELP, TYPE and the first 1024 label sets
  EXPECT_THAT(text, HasSubstr("demo_total{id=\"1023\"} 1\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("demo_total{id=\"1024\"}")));
}

TEST(MetricsTest, ConcurrentRecordingLosesNothing) {
  MetricsRegistry registry;
  CounterFamily& counters = registry.AddCounter("demo_total", "x", {"thread"});
  Histogram& histogram = registry.AddHistogram("demo_seconds", "x", {}, {0.5}).Get();
  Gauge& gauge = registry.AddGauge("demo_level", "x").Get();
  constexpr int kThreads = 8;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        counters.Labels({std::to_string(t % 2)}).Increment();
        histogram.Observe(1);
        gauge.Add(0.5);
      }
    });
  }
  // Scrapes while recording go on must not disturb them.
  for (int i = 0; i < 20; ++i) registry.Exposition();
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counters.Labels({"0"}).Value() + counters.Labels({"1"}).Value(),
            uint64_t{kThreads} * kEach);
  EXPECT_EQ(histogram.BucketCounts().back(), uint64_t{kThreads} * kEach);
  EXPECT_EQ(histogram.Sum(), double{kThreads} * kEach);
  EXPECT_EQ(gauge.Value(), kThreads * kEach * 0.5);
}

TEST(MetricsTest, SampleValuesAreFormattedAsPrometheusReadsThem) {
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(42), "42");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(0.0005), "0.0005");
  EXPECT_EQ(FormatSampleValue(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(0.0 / 0.0 * 0), "NaN");
}

TEST(ProcessMetricsTest, ReadsThisProcess) {
  const ProcessStats stats = ReadProcessStats();
  EXPECT_GT(stats.resident_bytes, 1 << 20);
  EXPECT_GE(stats.virtual_bytes, stats.resident_bytes);
  EXPECT_GE(stats.open_fds, 3);  // stdin, stdout, stderr at least
  EXPECT_GT(stats.max_fds, stats.open_fds);
  const double now = absl::ToUnixSeconds(absl::Now());
  EXPECT_LE(stats.start_time_seconds, now + 1);
  EXPECT_GT(stats.start_time_seconds, now - 3600);
  EXPECT_GE(stats.cpu_seconds, 0);

  std::string text;
  AppendProcessMetrics(&text);
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_open_fds", "process_start_time_seconds"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", name, " ")));
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", name, " ")));
  }
}

TEST(ServiceMetricsTest, EveryFamilyIsExposedWithZeroValuesBeforeAnythingHappens) {
  MetricsRegistry registry;
  ServiceMetrics metrics(registry);
  const std::string text = registry.Exposition();
  for (const char* line : {
           "citecheck_jobs_submitted_total{style=\"apa7\"} 0",
           "citecheck_jobs_submitted_total{style=\"mla9\"} 0",
           "citecheck_jobs_submitted_total{style=\"chicago17\"} 0",
           "citecheck_jobs_finished_total{state=\"succeeded\"} 0",
           "citecheck_jobs_finished_total{state=\"failed\"} 0",
           "citecheck_jobs_finished_total{state=\"cancelled\"} 0",
           "citecheck_citations_total{outcome=\"checked\"} 0",
           "citecheck_citations_total{outcome=\"failed\"} 0",
           "citecheck_citations_total{outcome=\"locked\"} 0",
           "citecheck_citations_total{outcome=\"released\"} 0",
           "citecheck_executor_inflight_chunks 0",
           "citecheck_queue_chunks 0",
           "citecheck_watch_streams 0",
           "citecheck_watch_events_sent_total 0",
           "citecheck_ledger_entries_total{kind=\"reserve\"} 0",
           "citecheck_ledger_entries_total{kind=\"charge\"} 0",
           "citecheck_ledger_entries_total{kind=\"release\"} 0",
           "citecheck_ledger_entries_total{kind=\"grant\"} 0",
           "citecheck_db_transactions_total{outcome=\"commit\"} 0",
           "citecheck_db_transactions_total{outcome=\"retry\"} 0",
           "citecheck_db_transactions_total{outcome=\"error\"} 0",
           "citecheck_db_transaction_seconds_count 0",
           "citecheck_llm_requests_total{endpoint=\"primary\",outcome=\"ok\"} 0",
           "citecheck_llm_requests_total{endpoint=\"fallback\",outcome=\"cancelled\"} 0",
           "citecheck_llm_request_duration_seconds_bucket{endpoint=\"primary\",le=\"120\"} 0",
           "citecheck_llm_retry_budget_tokens{endpoint=\"primary\"} 0",
       }) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", line, "\n"))) << line;
  }
}

TEST(ServiceMetricsTest, RecordsUnderTheDesignedLabelValues) {
  MetricsRegistry registry;
  ServiceMetrics metrics(registry);
  metrics.JobSubmitted(v1::STYLE_UNSPECIFIED);  // = APA 7
  metrics.JobSubmitted(v1::STYLE_MLA9);
  metrics.JobFinished(v1::JOB_STATE_CANCELLED);
  metrics.JobFinished(v1::JOB_STATE_RUNNING);  // not terminal: ignored
  metrics.Citations(CitationOutcome::kReleased, 4);
  metrics.LedgerEntries(LedgerKind::kGrant);
  metrics.watch_streams().Increment();
  metrics.WatchEventsSent(3);
  metrics.DbTransactionDone(absl::OkStatus(), absl::Milliseconds(2));
  metrics.DbTransactionRetried();
  metrics.DbTransactionDone(absl::UnavailableError("gone"), absl::Milliseconds(2));
  metrics.DbTransactionDone(absl::InvalidArgumentError("order reused"), absl::Milliseconds(2));
  metrics.llm(LlmEndpointRole::kFallback)
      .RecordAttempt(LlmOutcome::kRetryable, absl::Milliseconds(300), true);
  metrics.llm(LlmEndpointRole::kFallback)
      .RecordAttempt(LlmOutcome::kRetryable, absl::Milliseconds(300), false);
  const std::string text = registry.Exposition();
  for (const char* line : {
           "citecheck_jobs_submitted_total{style=\"apa7\"} 1",
           "citecheck_jobs_submitted_total{style=\"mla9\"} 1",
           "citecheck_jobs_finished_total{state=\"cancelled\"} 1",
           "citecheck_jobs_finished_total{state=\"succeeded\"} 0",
           "citecheck_citations_total{outcome=\"released\"} 4",
           "citecheck_ledger_entries_total{kind=\"grant\"} 1",
           "citecheck_watch_streams 1",
           "citecheck_watch_events_sent_total 3",
           "citecheck_db_transactions_total{outcome=\"commit\"} 1",
           "citecheck_db_transactions_total{outcome=\"retry\"} 1",
           "citecheck_db_transactions_total{outcome=\"error\"} 1",
           "citecheck_db_transactions_total{outcome=\"rollback\"} 1",
           "citecheck_db_transaction_seconds_count 3",
           "citecheck_db_transaction_seconds_bucket{le=\"0.0025\"} 3",
           "citecheck_llm_requests_total{endpoint=\"fallback\",outcome=\"retryable\"} 2",
           "citecheck_llm_request_duration_seconds_count{endpoint=\"fallback\"} 1",
           "citecheck_llm_request_duration_seconds_bucket{endpoint=\"fallback\",le=\"0.25\"} 0",
           "citecheck_llm_request_duration_seconds_bucket{endpoint=\"fallback\",le=\"0.5\"} 1",
       }) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("\n", line, "\n"))) << line;
  }
}

}  // namespace
}  // namespace citecheck

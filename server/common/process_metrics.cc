#include "server/common/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace citecheck {
namespace {

std::string ReadFile(const char* path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The boot time (seconds since the epoch) from the "btime" line of /proc/stat; 0 if missing.
double BootTimeSeconds() {
  std::istringstream stat(ReadFile("/proc/stat"));
  std::string line;
  while (std::getline(stat, line)) {
    if (absl::StartsWith(line, "btime ")) {
      double value = 0;
      if (absl::SimpleAtod(line.substr(6), &value)) return value;
    }
  }
  return 0;
}

}  // namespace

ProcessStats ReadProcessStats() {
  ProcessStats stats;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // /proc/self/stat: "pid (comm) state ppid ..."; comm may hold spaces, so split after ')'.
  const std::string stat = ReadFile("/proc/self/stat");
  const size_t close = stat.rfind(')');
  if (close != std::string::npos && ticks > 0) {
    std::vector<std::string> fields =
        absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
    // Field numbers of proc(5), counted from 1 = pid: state is 3, so fields[i] is field i + 3.
    auto field = [&fields](int number) -> double {
      double value = 0;
      const size_t i = static_cast<size_t>(number - 3);
      if (i < fields.size() && absl::SimpleAtod(fields[i], &value)) return value;
      return 0;
    };
    stats.cpu_seconds = (field(14) + field(15)) / ticks;  // utime + stime
    stats.start_time_seconds = BootTimeSeconds() + field(22) / ticks;
    stats.virtual_bytes = field(23);
    stats.resident_bytes = field(24) * page;
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    int count = 0;
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(dir);
    stats.open_fds = count - 1;  // not the descriptor of the listing itself
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) stats.max_fds = static_cast<double>(limit.rlim_cur);
  return stats;
}

void AppendProcessMetrics(std::string* out) {
  const ProcessStats stats = ReadProcessStats();
  struct Row {
    const char* name;
    const char* help;
    MetricType type;
    double value;
  };
  const Row rows[] = {
      {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
       MetricType::kCounter, stats.cpu_seconds},
      {"process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge,
       stats.resident_bytes},
      {"process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge,
       stats.virtual_bytes},
      {"process_open_fds", "Number of open file descriptors.", MetricType::kGauge, stats.open_fds},
      {"process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge,
       stats.max_fds},
      {"process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
       MetricType::kGauge, stats.start_time_seconds},
  };
  for (const Row& row : rows) {
    AppendFamilyHeader(row.name, row.help, row.type, out);
    absl::StrAppend(out, row.name, " ", FormatSampleValue(row.value), "\n");
  }
}

void AddProcessMetrics(MetricsRegistry& registry) { registry.AddCollector(AppendProcessMetrics); }

}  // namespace citecheck

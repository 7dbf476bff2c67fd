#ifndef CITECHECK_SERVER_COMMON_PROCESS_METRICS_H_
#define CITECHECK_SERVER_COMMON_PROCESS_METRICS_H_

// The standard process metrics of the Prometheus client libraries, read from /proc when scraped:
//   process_cpu_seconds_total      user + system CPU time of this process
//   process_resident_memory_bytes  resident set size
//   process_virtual_memory_bytes   virtual memory size
//   process_open_fds               open file descriptors
//   process_max_fds                the soft RLIMIT_NOFILE
//   process_start_time_seconds     start time, seconds since the Unix epoch
// Linux only.

#include <string>

#include "server/common/metrics.h"

namespace citecheck {

// Values read from /proc/self (and the boot time from /proc/stat).
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;
};

// Reads the stats now; fields it cannot read stay 0.
ProcessStats ReadProcessStats();

// Appends the process_* families with the stats read now.
void AppendProcessMetrics(std::string* out);

// Adds AppendProcessMetrics as a collector of `registry`.
void AddProcessMetrics(MetricsRegistry& registry);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_PROCESS_METRICS_H_

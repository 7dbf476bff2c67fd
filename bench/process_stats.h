#ifndef CITECHECK_BENCH_PROCESS_STATS_H_
#define CITECHECK_BENCH_PROCESS_STATS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace citecheck::bench {

// CPU time (user + system) a running process has used so far, read from /proc/PID/stat; zero
// when the process is gone. Children the process reaped are not counted.
absl::Duration ProcessCpu(pid_t pid);

// CPU time (user + system) of this process so far, all its threads.
absl::Duration OwnCpu();

// The resident set size of a running process (VmRSS of /proc/PID/status) in bytes; 0 when the
// process is gone.
int64_t ProcessRssBytes(pid_t pid);

// The scheduler's totals over the threads a running process has now (/proc/PID/task/*/
// schedstat): CPU time in nanoseconds, and how many times a thread was switched onto a CPU.
// Threads that exited are not counted, so take the difference over an interval in which the
// process starts and ends no thread (a server's pools are long-lived).
struct ThreadTotals {
  absl::Duration cpu;
  int64_t switches_in = 0;
};
ThreadTotals LiveThreadTotals(pid_t pid);

// The 1-minute load average of the machine (first field of /proc/loadavg).
double LoadAverage1();

}  // namespace citecheck::bench

#endif  // CITECHECK_BENCH_PROCESS_STATS_H_

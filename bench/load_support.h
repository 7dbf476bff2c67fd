#ifndef CITECHECK_BENCH_LOAD_SUPPORT_H_
#define CITECHECK_BENCH_LOAD_SUPPORT_H_

// What the load benchmarks (watch_streams_bench, submit_rate_bench, soak_bench) share: loopback
// channels on connections of their own, per-call identities, latency percentiles, and counts of
// a process's descriptors and threads.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bench/bench_mariadb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "server/storage/mysql_url.h"

namespace citecheck::bench {

// A plaintext channel to `address` on a TCP connection of its own (channels made here never
// share a connection, so that `n` of them spread calls over `n` connections).
std::shared_ptr<grpc::Channel> OwnConnection(const std::string& address);

// Adds "authorization: Bearer <token>" to `context`.
void AddToken(grpc::ClientContext* context, const std::string& token);

// Percentiles of a set of durations (nearest rank).
struct LatencySummary {
  size_t count = 0;
  absl::Duration p50, p90, p99, p999, max;
};
LatencySummary Summarize(std::vector<absl::Duration> samples);
// "p50 1.23 ms, p99 ..., p999 ..., max ... (N samples)".
std::string Describe(const LatencySummary& summary);

// Descriptors open in process `pid` (entries of /proc/PID/fd); -1 when it is gone.
int OpenFds(pid_t pid);
// Threads of process `pid` (Threads: in /proc/PID/status); -1 when it is gone.
int ThreadCount(pid_t pid);

// Least-squares slope of y over x (0 with fewer than two points).
double Slope(const std::vector<double>& x, const std::vector<double>& y);

// The --mysql_url a load benchmark runs on: `given` when not empty, else the URL of the
// database citecheck_load in a MariaDB of its own started into *db (BenchMariaDb: stopped and
// deleted with it).
absl::StatusOr<std::string> LoadDatabaseUrl(const std::string& given,
                                            std::unique_ptr<BenchMariaDb>* db);

// `count` accounts of a benchmark run, each granted `credits` through the admin API of the
// server at `address`: their bearer tokens "<prefix>-<run>-<i>", where run (the current time)
// keeps runs from sharing accounts.
absl::StatusOr<std::vector<std::string>> GrantedAccounts(const std::string& address,
                                                         const std::string& admin_key,
                                                         const std::string& prefix, int count,
                                                         int64_t credits);

}  // namespace citecheck::bench

#endif  // CITECHECK_BENCH_LOAD_SUPPORT_H_

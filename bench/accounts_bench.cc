// Benchmark (a program, not a test): the MySQL account store's accounting transactions.
//
//   build/bench/accounts_bench --mysql_url=mysql://USER:PASS@HOST:PORT/DB
//       [--threads=1] [--seconds=10] [--accounts=1000]
//
// Creates the store (which applies the migrations), grants each of `accounts` accounts
// (tokens "bench-<i>") a large number of credits, then for `seconds` runs `threads` threads,
// each looping: pick a random account, Reserve 1 citation for a new job, Settle a charge for
// citation 0. One unit = reserve + charge = 2 transactions. Prints one line:
//   threads=T units=N seconds=S units_per_s=U tx_per_s=X
// bench/run_accounts_bench.sh runs it next to sysbench oltp_update_index (docs/PERFORMANCE.md).

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/accounts/mysql_account_store.h"
#include "server/storage/mysql_url.h"

ABSL_FLAG(std::string, mysql_url, "", "database, e.g. $CITECHECK_MYSQL_URL of deploy/mariadb.sh");
ABSL_FLAG(int, threads, 1, "concurrent threads (one connection each)");
ABSL_FLAG(int, seconds, 10, "measured run time");
ABSL_FLAG(int, accounts, 1000, "accounts to spread the load over");

namespace citecheck {
namespace {

constexpr int64_t kGrantedCredits = int64_t{1} << 40;

struct Worker {
  int64_t units = 0;
  int64_t errors = 0;
  std::string first_error;
};

void Loop(MysqlAccountStore& store, int thread, int accounts, const std::string& run_id,
          const std::atomic<bool>& stop, Worker& out) {
  std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(thread) << 32));
  std::uniform_int_distribution<int> pick(0, accounts - 1);
  for (int64_t counter = 0; !stop.load(std::memory_order_relaxed); ++counter) {
    ReserveRequest request;
    request.caller.kind = Caller::Kind::kAccount;
    request.caller.token = absl::StrCat("bench-", pick(rng));
    request.job_id = absl::StrCat("bench-", run_id, "-", thread, "-", counter);
    request.citations = 1;
    request.now = absl::Now();
    absl::StatusOr<Reservation> reserved = store.Reserve(request);
    absl::Status status = reserved.status();
    if (status.ok() && reserved->accepted != 1) {
      status = absl::InternalError(absl::StrCat("accepted ", reserved->accepted, " of 1"));
    }
    if (status.ok()) {
      status = store.Settle({Settlement{request.job_id, 0, Settlement::Kind::kCharge}});
    }
    if (status.ok()) {
      ++out.units;
    } else {
      if (out.errors++ == 0) out.first_error = status.ToString();
    }
  }
}

int Main() {
  const int threads = absl::GetFlag(FLAGS_threads);
  const int seconds = absl::GetFlag(FLAGS_seconds);
  const int accounts = absl::GetFlag(FLAGS_accounts);
  if (threads < 1 || seconds < 1 || accounts < 1) {
    std::fprintf(stderr, "--threads, --seconds and --accounts must be >= 1\n");
    return 2;
  }
  absl::StatusOr<MysqlUrl> url = MysqlUrl::Parse(absl::GetFlag(FLAGS_mysql_url));
  if (!url.ok()) {
    std::fprintf(stderr, "--mysql_url: %s\n", url.status().ToString().c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<MysqlAccountStore>> store =
      MysqlAccountStore::Create(*url, QuotaRules{});
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open the store at %s: %s\n", url->Redacted().c_str(),
                 store.status().ToString().c_str());
    return 1;
  }
  // Grants are idempotent by order id: a rerun on the same database grants nothing new.
  for (int i = 0; i < accounts; ++i) {
    absl::StatusOr<v1::Balance> granted =
        (*store)->GrantCredits(absl::StrCat("bench-", i), kGrantedCredits,
                               absl::StrCat("bench-grant-", i), absl::Now());
    if (!granted.ok()) {
      std::fprintf(stderr, "GrantCredits bench-%d: %s\n", i, granted.status().ToString().c_str());
      return 1;
    }
  }
  // Job ids must be new on every run against the same database.
  const std::string run_id = absl::StrCat(absl::ToUnixMicros(absl::Now()));

  std::atomic<bool> stop{false};
  std::vector<Worker> workers(threads);
  std::vector<std::thread> pool;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back(Loop, std::ref(**store), t, accounts, std::cref(run_id), std::cref(stop),
                      std::ref(workers[t]));
  }
  absl::SleepFor(absl::Seconds(seconds));
  stop.store(true);
  for (std::thread& thread : pool) thread.join();
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);

  int64_t units = 0;
  int64_t errors = 0;
  for (const Worker& w : workers) {
    units += w.units;
    errors += w.errors;
    if (w.errors > 0) {
      std::fprintf(stderr, "errors=%lld first: %s\n", static_cast<long long>(w.errors),
                   w.first_error.c_str());
    }
  }
  std::printf("threads=%d units=%lld seconds=%.1f units_per_s=%.1f tx_per_s=%.1f errors=%lld\n",
              threads, static_cast<long long>(units), elapsed, units / elapsed,
              2.0 * units / elapsed, static_cast<long long>(errors));
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace citecheck

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return citecheck::Main();
}

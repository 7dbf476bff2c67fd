// Benchmark (a program, not a test) of durable jobs on MariaDB: real citecheck-server
// processes (--store=mysql, the built-in heuristic checker) on a MariaDB of the benchmark's own
// (deploy/mariadb.sh), everything measured in one run. See docs/PERFORMANCE.md ("Durable jobs").
//
//   durable_jobs_bench [--jobs=8] [--citations=1000] [--repeat=3] [--phases=...]
//
// Phases (--phases, comma-separated, in this order):
//   count       one run of the throughput workload per replica count with the general query
//               log on: every transaction the replicas sent, by kind (submit, claim, record,
//               reads, ...), with its statements; gives the recorder's batches.
//   throughput  --repeat rounds of: --jobs x --citations submitted at once on 1 replica, then
//               on 2 replicas (jobs spread over both), time from the first submit to every job
//               terminal as seen by a watcher; then the database's own ceiling for the same
//               rows (job_items, job_events, ledger, reservation_items as multi-row writes in
//               batches like the recorder's, on --ceiling_connections connections, for
//               --ceiling_jobs jobs' citations).
//   latency     event delivery: the time from an event's `time` to its arrival at a watcher on
//               the replica that recorded it and on the other replica (--watch_poll).
//   idle        database statements per second of idle replicas, then with --idle_watchers
//               watchers over --idle_jobs jobs kept running by a checker delay.

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bench/bench_mariadb.h"
#include "bench/event_streams.h"
#include "bench/general_log.h"
#include "bench/process_stats.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/storage/database.h"
#include "tests/integration/server_process.h"

ABSL_FLAG(std::string, phases, "count,throughput,latency,idle", "phases to run, in order");
ABSL_FLAG(int, jobs, 8, "throughput: jobs submitted at once");
ABSL_FLAG(int, citations, 1000, "throughput: citations per job");
ABSL_FLAG(int, repeat, 3, "throughput: rounds (each 1 replica, 2 replicas, the ceiling)");
ABSL_FLAG(std::vector<std::string>, server_flags, {},
          "extra flags for every replica, e.g. --server_flags=--llm_max_inflight=32");
ABSL_FLAG(std::vector<std::string>, ceiling_connections, std::vector<std::string>({"1", "2", "4"}),
          "ceiling: connections writing at once");
ABSL_FLAG(int, ceiling_jobs, 32,
          "ceiling: jobs of --citations citations written (more rows than the pipeline's, so "
          "that the timed window is long enough)");
ABSL_FLAG(int, ceiling_batch, 0,
          "ceiling: citations per transaction (0 = the sizes of the recorder's transactions in "
          "the count phase, in turn; 80 without it)");
ABSL_FLAG(absl::Duration, watch_poll, absl::Milliseconds(100), "the replicas' --watch_poll");
ABSL_FLAG(int, latency_jobs, 4, "latency: jobs");
ABSL_FLAG(int, latency_citations, 250, "latency: citations per job");
ABSL_FLAG(absl::Duration, latency_delay, absl::Milliseconds(10),
          "latency: --checker_delay, so that results are recorded a few at a time");
ABSL_FLAG(int, idle_seconds, 30, "idle: seconds counted per configuration");
ABSL_FLAG(int, idle_jobs, 100, "idle: running jobs (held by --checker_delay=1h)");
ABSL_FLAG(int, idle_watchers, 1000, "idle: watchers over those jobs");
ABSL_FLAG(std::string, mysql_env, "",
          "the env file of a running deploy/mariadb.sh server to use (default: start one)");
ABSL_FLAG(bool, keep_logs, false, "keep the general query logs of the count phase");

namespace citecheck::bench {
namespace {

using testing::ServerProcess;

constexpr char kAdminKey[] = "bench-admin-key";
constexpr const char* kReplicaNames[] = {"a", "b"};
constexpr const char* kReplicaUsers[] = {"bench_a", "bench_b"};
constexpr char kCeilingUser[] = "bench_c";

// ---- Helpers ---------------------------------------------------------------------------------

MysqlUrl ForUser(MysqlUrl url, const std::string& user) {
  url.user = user;
  url.password = user;
  return url;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// Reference-list entries of several shapes (correct, and with the mistakes the heuristic
// checker reports), different for every job.
std::vector<std::string> MakeCitations(int count, int job) {
  std::vector<std::string> citations;
  citations.reserve(count);
  for (int i = 0; i < count; ++i) {
    const std::string author = absl::StrCat("Author", job, "x", i);
    switch (i % 4) {
      case 0:
        citations.push_back(absl::StrCat(author, ", A. B., & Lindqvist, E. (2019). Effects of ",
                                         "remote work on team communication. _Journal of ",
                                         "Organizational Studies_, _41_(2), 201–219. ",
                                         "https://doi.org/10.5678/jos.", i));
        break;
      case 1:
        citations.push_back(absl::StrCat(author, ", A. B., and Chen, L. (2020). Sleep Quality And ",
                                         "Academic Performance In Students. _Journal of ",
                                         "Educational Research_, _112_(3), 455–470. doi:10.1234/",
                                         "jer.", i));
        break;
      case 2:
        citations.push_back(absl::StrCat(author, ", P. J. (2018). _Designing qualitative ",
                                         "interviews: A practical guide_ (2nd ed.). Northfield ",
                                         "Academic Press."));
        break;
      default:
        citations.push_back(absl::StrCat(author, ", Y., Patel, R., & O'Brien, C. (2022). Machine ",
                                         "learning approaches to early reading assessment. ",
                                         "_Computers and Literacy_, _15_(1), 12–30."));
        break;
    }
  }
  return citations;
}

v1::SubmitBatchRequest BatchRequest(int count, int job) {
  v1::SubmitBatchRequest request;
  for (std::string& citation : MakeCitations(count, job)) {
    request.mutable_citations()->add_items(std::move(citation));
  }
  return request;
}

std::string Token(int i) { return absl::StrCat("bench-token-", i); }

// The replicas of one configuration, each logging in as its own database user.
struct Replicas {
  std::vector<std::unique_ptr<ServerProcess>> servers;
  std::vector<std::string> users;

  std::vector<std::string> addresses() const {
    std::vector<std::string> out;
    for (const auto& s : servers) out.push_back(s->address());
    return out;
  }
  std::vector<absl::Duration> Cpu() const {
    std::vector<absl::Duration> out;
    for (const auto& s : servers) out.push_back(ProcessCpu(s->process().pid()));
    return out;
  }
  void Terminate() {
    for (auto& s : servers) {
      if (s->Terminate(absl::Seconds(30)) != 0) {
        fprintf(stderr, "a replica did not exit cleanly after SIGTERM; its log:\n%s\n",
                s->Log().c_str());
      }
    }
    servers.clear();
  }
};

// Replica `index` (name kReplicaNames[index], database user kReplicaUsers[index]).
absl::StatusOr<std::unique_ptr<ServerProcess>> StartReplica(const MysqlUrl& url, int index,
                                                            const std::vector<std::string>& flags) {
  std::vector<std::string> args = {
      "--store=mysql",
      "--mysql_url=" + UrlText(ForUser(url, kReplicaUsers[index])),
      absl::StrCat("--replica_name=", kReplicaNames[index]),
      absl::StrCat("--admin_key=", kAdminKey),
      "--log_level=warn",
      "--watch_poll=" + absl::FormatDuration(absl::GetFlag(FLAGS_watch_poll))};
  args.insert(args.end(), flags.begin(), flags.end());
  const std::vector<std::string> extra = absl::GetFlag(FLAGS_server_flags);
  args.insert(args.end(), extra.begin(), extra.end());
  std::unique_ptr<ServerProcess> server = ServerProcess::Start(args);
  if (server == nullptr) return absl::UnavailableError("a replica did not start");
  return server;
}

absl::StatusOr<Replicas> StartReplicas(const MysqlUrl& url, int count,
                                       const std::vector<std::string>& flags) {
  Replicas replicas;
  for (int r = 0; r < count; ++r) {
    ASSIGN_OR_RETURN(std::unique_ptr<ServerProcess> server, StartReplica(url, r, flags));
    replicas.servers.push_back(std::move(server));
    replicas.users.push_back(kReplicaUsers[r]);
  }
  return replicas;
}

absl::Status Grant(const ServerProcess& server, const std::string& token, int64_t credits,
                   const std::string& order) {
  client::ClientOptions options;
  options.admin_key = kAdminKey;
  std::unique_ptr<client::CitecheckClient> admin = server.Client(options);
  v1::Balance balance;
  grpc::Status status = admin->GrantCredits(token, credits, order, &balance);
  if (!status.ok()) return absl::InternalError("GrantCredits: " + status.error_message());
  return absl::OkStatus();
}

// Polls `sql` (root pool) until it returns `want`; false after `timeout`.
bool AwaitCount(BenchMariaDb& db, const std::string& sql, int64_t want, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    absl::StatusOr<int64_t> value = db.QueryInt(sql);
    if (value.ok() && *value == want) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// A moment's CPU of the processes involved, with the server's counters.
struct Snapshot {
  ServerCounters db;
  std::vector<absl::Duration> replica_cpu;
  absl::Duration own_cpu;
  double load = 0;
};

Snapshot Take(BenchMariaDb& db, const Replicas& replicas) {
  Snapshot s;
  s.load = LoadAverage1();
  s.replica_cpu = replicas.Cpu();
  s.own_cpu = OwnCpu();
  s.db = db.Counters();
  return s;
}

// ---- Throughput through the whole pipeline ---------------------------------------------------

struct ThroughputRun {
  int replicas = 0;
  int64_t citations = 0;
  absl::Duration makespan;  // first submit -> the last job's terminal event at its watcher
  double rate = 0;          // citations per second
  double submit_max_ms = 0;
  double event_p50_ms = 0;  // the recording replica's watchers, under full load
  double event_p99_ms = 0;
  absl::Duration replica_cpu;  // all replicas
  absl::Duration mariadbd_cpu;
  absl::Duration bench_cpu;  // this process: submits and watchers
  int64_t statements = 0;    // every replica's, as MariaDB counted them
  int64_t commits = 0;       // Com_commit, the whole server
  int64_t lock_waits = 0;    // InnoDB row lock waits, the whole server
  int64_t deadlocks = 0;
  double load_before = 0;
  double load_after = 0;
  std::string check;  // what the database holds afterwards
};

// Checks in SQL that every citation of every job was recorded, charged and sent as an event,
// and that nothing stays reserved or queued. Returns a one-line summary, "MISMATCH ..." first
// when something is off.
std::string CheckPipelineRows(BenchMariaDb& db, const std::string& database, int jobs,
                              int citations) {
  struct Expect {
    const char* what;
    std::string sql;
    int64_t want;
  };
  const int64_t items = int64_t{jobs} * citations;
  const std::vector<Expect> expectations = {
      {"jobs SUCCEEDED", absl::StrCat("SELECT COUNT(*) FROM ", database, ".jobs WHERE state = 3"),
       jobs},
      {"items SUCCEEDED",
       absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_items WHERE state = 1"), items},
      {"charges", absl::StrCat("SELECT COUNT(*) FROM ", database, ".ledger WHERE kind = 'charge'"),
       items},
      {"events", absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_events"),
       items + 3 * int64_t{jobs}},
      {"items still reserved",
       absl::StrCat("SELECT COUNT(*) FROM ", database,
                    ".reservation_items WHERE state = 'reserved'"),
       0},
      {"chunks left", absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_chunks"), 0},
      {"queued (queue_counts)",
       absl::StrCat("SELECT CAST(COALESCE(SUM(chunks), 0) AS SIGNED) FROM ", database,
                    ".queue_counts"),
       0},
      {"credits left",
       absl::StrCat("SELECT CAST(COALESCE(SUM(credits), 0) AS SIGNED) FROM ", database,
                    ".accounts"),
       0},
  };
  std::vector<std::string> parts;
  bool ok = true;
  for (const Expect& e : expectations) {
    absl::StatusOr<int64_t> value = db.QueryInt(e.sql);
    if (!value.ok()) {
      ok = false;
      parts.push_back(absl::StrCat(e.what, ": ", value.status().ToString()));
    } else if (*value != e.want) {
      ok = false;
      parts.push_back(absl::StrCat(*value, " ", e.what, " (want ", e.want, ")"));
    } else {
      parts.push_back(absl::StrCat(*value, " ", e.what));
    }
  }
  return absl::StrCat(ok ? "" : "MISMATCH: ", absl::StrJoin(parts, ", "));
}

// Where the query log gets to: the timed part of a run starts at this byte offset.
int64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// One throughput run on a fresh database `database`. With `general_log`, the query log is on
// from before the replicas start (so that every connection's user and mode are in it) to the
// last terminal event, and *log_offset is where the submits begin in it. With `outcomes`,
// fills it with the stored outcomes (hex) of up to 1,000 recorded citations.
absl::StatusOr<ThroughputRun> RunThroughput(BenchMariaDb& db, const std::string& database,
                                            int replica_count, int jobs, int citations,
                                            const std::string& general_log = "",
                                            int64_t* log_offset = nullptr,
                                            std::vector<std::string>* outcomes = nullptr) {
  ASSIGN_OR_RETURN(MysqlUrl url, db.CreateDatabase(database, kReplicaUsers[0]));
  if (!general_log.empty()) RETURN_IF_ERROR(db.GeneralLog(true, general_log));
  ASSIGN_OR_RETURN(Replicas replicas, StartReplicas(url, replica_count, {}));
  for (int j = 0; j < jobs; ++j) {
    RETURN_IF_ERROR(Grant(*replicas.servers[0], Token(j), citations, absl::StrCat("order-", j)));
  }
  std::vector<v1::SubmitBatchRequest> requests;
  std::vector<std::unique_ptr<client::CitecheckClient>> clients;
  for (int j = 0; j < jobs; ++j) {
    requests.push_back(BatchRequest(citations, j));
    clients.push_back(replicas.servers[j % replica_count]->Account(Token(j)));
  }

  struct JobOutcome {
    absl::Duration submit_latency;
    absl::Time terminal = absl::InfinitePast();
    std::vector<double> event_latency_ms;
    std::string error;
  };
  std::vector<JobOutcome> outcomes_by_job(jobs);
  absl::Notification go;
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) {
    threads.emplace_back([&, j] {
      JobOutcome& out = outcomes_by_job[j];
      out.event_latency_ms.reserve(citations + 3);
      go.WaitForNotification();
      const absl::Time start = absl::Now();
      v1::Job job;
      grpc::Status submitted = clients[j]->SubmitBatch(requests[j], &job);
      out.submit_latency = absl::Now() - start;
      if (!submitted.ok()) {
        out.error = "SubmitBatch: " + submitted.error_message();
        return;
      }
      grpc::Status watched = clients[j]->Watch(job.job_id(), 0, [&](const v1::JobEvent& event) {
        const absl::Time now = absl::Now();
        out.event_latency_ms.push_back(Ms(now - FromTimestamp(event.time())));
        if (event.has_job_update() && client::IsTerminal(event.job_update().state())) {
          out.terminal = now;
        }
        return true;
      });
      if (!watched.ok()) out.error = "WatchJob: " + watched.error_message();
    });
  }

  const Snapshot before = Take(db, replicas);
  if (log_offset != nullptr) *log_offset = FileSize(general_log);
  const absl::Time t0 = absl::Now();
  go.Notify();
  for (std::thread& t : threads) t.join();
  const Snapshot after = Take(db, replicas);
  if (!general_log.empty()) RETURN_IF_ERROR(db.GeneralLog(false));

  ThroughputRun run;
  run.replicas = replica_count;
  run.citations = int64_t{jobs} * citations;
  absl::Time last = t0;
  std::vector<double> latencies;
  for (const JobOutcome& out : outcomes_by_job) {
    if (!out.error.empty()) return absl::InternalError(out.error);
    last = std::max(last, out.terminal);
    run.submit_max_ms = std::max(run.submit_max_ms, Ms(out.submit_latency));
    latencies.insert(latencies.end(), out.event_latency_ms.begin(), out.event_latency_ms.end());
  }
  run.makespan = last - t0;
  run.rate = static_cast<double>(run.citations) / absl::ToDoubleSeconds(run.makespan);
  run.event_p50_ms = Quantile(latencies, 0.5);
  run.event_p99_ms = Quantile(latencies, 0.99);
  for (size_t r = 0; r < after.replica_cpu.size(); ++r) {
    run.replica_cpu += after.replica_cpu[r] - before.replica_cpu[r];
    run.statements +=
        (after.db.User(replicas.users[r]) - before.db.User(replicas.users[r])).statements();
  }
  run.mariadbd_cpu = after.db.mariadbd_cpu - before.db.mariadbd_cpu;
  run.bench_cpu = after.own_cpu - before.own_cpu;
  run.commits = after.db.Global("COM_COMMIT") - before.db.Global("COM_COMMIT");
  run.lock_waits =
      after.db.Global("INNODB_ROW_LOCK_WAITS") - before.db.Global("INNODB_ROW_LOCK_WAITS");
  run.deadlocks = after.db.Global("INNODB_DEADLOCKS") - before.db.Global("INNODB_DEADLOCKS");
  run.load_before = before.load;
  run.load_after = after.load;
  replicas.Terminate();
  run.check = CheckPipelineRows(db, database, jobs, citations);

  if (outcomes != nullptr) {
    RETURN_IF_ERROR(db.root().RunInSession([&](Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                       s.Query(absl::StrCat("SELECT HEX(outcome) FROM ", database,
                                            ".job_items WHERE state = 1 ORDER BY job_id,"
                                            " item_index LIMIT 1000")));
      for (const SqlRow& row : rows) outcomes->push_back(row.String(0));
      return absl::OkStatus();
    }));
  }
  RETURN_IF_ERROR(db.DropDatabase(database));
  return run;
}

// ---- The database's own ceiling --------------------------------------------------------------

struct CeilingRun {
  int connections = 0;
  int64_t citations = 0;
  absl::Duration elapsed;
  double rate = 0;
  absl::Duration mariadbd_cpu;
  absl::Duration bench_cpu;  // the writers (the client side)
  int64_t statements = 0;    // as MariaDB counted them
  int64_t commits = 0;
  double load = 0;
  std::string check;
};

// The rows a recording writes for `count` citations of `job` from `first`, as multi-row
// statements: the items' outcomes, the reservation items charged, the ledger's charge rows and
// the result events. Nothing is read; no job or chunk row is touched. The statements are those
// of MysqlJobStore's recording and MysqlAccountStore::SettleIn, restated on purpose: the
// ceiling must send the database what the pipeline sends it.
absl::Status WriteRecordedRows(Transaction& tx, const std::string& job, int first, int count,
                               const std::vector<std::string>& outcomes, const std::string& now) {
  std::vector<SqlValue> items;
  std::vector<SqlValue> reservation_items;
  std::vector<SqlValue> ledger;
  std::vector<SqlValue> events;
  const std::string owner = "acct:" + std::string(64, 'b');
  for (int i = first; i < first + count; ++i) {
    items.insert(items.end(), {job, 0, i, 1, outcomes[i % outcomes.size()]});
    reservation_items.insert(reservation_items.end(), {job, i, "charged"});
    ledger.insert(ledger.end(), {absl::StrCat("charge:", job, ":", i), "charge", "credits", owner,
                                 nullptr, job, i, 1, now});
    events.insert(events.end(), {job, i + 2, 1, 0, i, nullptr, now});
  }
  RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                  "INSERT INTO job_items (job_id, kind, item_index, state, input,"
                                  " outcome)",
                                  "(?, ?, ?, ?, '', UNHEX(?))",
                                  "ON DUPLICATE KEY UPDATE state = VALUES(state),"
                                  " outcome = VALUES(outcome)",
                                  5, items)
                      .status());
  RETURN_IF_ERROR(ExecuteMultiRow(tx, "INSERT INTO reservation_items (job_id, item_index, state)",
                                  "(?, ?, ?)", "ON DUPLICATE KEY UPDATE state = VALUES(state)", 3,
                                  reservation_items)
                      .status());
  RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                  "INSERT INTO ledger (idempotency_key, kind, source, owner,"
                                  " order_id, job_id, item_index, amount, created_at)",
                                  "(?, ?, ?, ?, ?, ?, ?, ?, ?)", "", 9, ledger)
                      .status());
  return ExecuteMultiRow(tx,
                         "INSERT INTO job_events (job_id, seq, kind, item_kind, item_index,"
                         " payload, event_time)",
                         "(?, ?, ?, ?, ?, UNHEX(?), ?)", "", 7, events)
      .status();
}

absl::StatusOr<CeilingRun> RunCeiling(BenchMariaDb& db, const std::string& database,
                                      const std::vector<std::string>& outcomes, int jobs,
                                      int citations, const std::vector<int>& batches,
                                      int connections) {
  ASSIGN_OR_RETURN(MysqlUrl url, db.CreateDatabase(database, kCeilingUser));
  ASSIGN_OR_RETURN(std::unique_ptr<Database> target, Database::Open(url));
  MysqlPool& pool = target->pool();
  // The pending items and open reservation items a submit leaves (not timed).
  for (int j = 0; j < jobs; ++j) {
    const std::string job = absl::StrCat("job_ceiling_", j);
    std::vector<SqlValue> items;
    std::vector<SqlValue> reserved;
    int index = 0;
    for (const std::string& citation : MakeCitations(citations, j)) {
      items.insert(items.end(), {job, index, absl::BytesToHexString(citation)});
      reserved.insert(reserved.end(), {job, index});
      ++index;
    }
    RETURN_IF_ERROR(pool.RunInTransaction([&](Transaction& tx) -> absl::Status {
      RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                      "INSERT INTO job_items (job_id, kind, item_index, state,"
                                      " input)",
                                      "(?, 0, ?, 0, UNHEX(?))", "", 3, items)
                          .status());
      return ExecuteMultiRow(tx, "INSERT INTO reservation_items (job_id, item_index, state)",
                             "(?, ?, 'reserved')", "", 2, reserved)
          .status();
    }));
  }

  const std::string now = ToSqlDatetime(absl::Now());
  std::vector<std::string> errors(connections);
  absl::Notification go;
  std::vector<std::thread> writers;
  for (int c = 0; c < connections; ++c) {
    writers.emplace_back([&, c] {
      // Open this thread's connection before the clock starts.
      absl::Status warm =
          pool.RunInTransaction([](Transaction& tx) { return tx.Query("SELECT 1").status(); });
      go.WaitForNotification();
      size_t next_batch = static_cast<size_t>(c);  // writers start at different sizes
      for (int j = c; j < jobs && warm.ok(); j += connections) {
        const std::string job = absl::StrCat("job_ceiling_", j);
        for (int first = 0, count = 0; first < citations; first += count) {
          count = std::min(std::max(1, batches[next_batch++ % batches.size()]), citations - first);
          absl::Status written = pool.RunInTransaction([&](Transaction& tx) {
            return WriteRecordedRows(tx, job, first, count, outcomes, now);
          });
          if (!written.ok()) {
            errors[c] = written.ToString();
            return;
          }
        }
      }
      if (!warm.ok()) errors[c] = warm.ToString();
    });
  }
  absl::SleepFor(absl::Milliseconds(200));  // let every writer connect
  const double load = LoadAverage1();
  const ServerCounters before = db.Counters();
  const absl::Duration own_before = OwnCpu();
  const absl::Time start = absl::Now();
  go.Notify();
  for (std::thread& t : writers) t.join();
  CeilingRun run;
  run.elapsed = absl::Now() - start;
  run.bench_cpu = OwnCpu() - own_before;
  const ServerCounters after = db.Counters();
  run.mariadbd_cpu = after.mariadbd_cpu - before.mariadbd_cpu;
  run.statements = (after.User(kCeilingUser) - before.User(kCeilingUser)).statements();
  run.commits = after.Global("COM_COMMIT") - before.Global("COM_COMMIT");
  for (const std::string& error : errors) {
    if (!error.empty()) return absl::InternalError("ceiling writer: " + error);
  }
  run.connections = connections;
  run.citations = int64_t{jobs} * citations;
  run.rate = static_cast<double>(run.citations) / absl::ToDoubleSeconds(run.elapsed);
  run.load = load;
  target.reset();
  absl::StatusOr<int64_t> recorded =
      db.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_items WHERE state = 1"));
  absl::StatusOr<int64_t> charges =
      db.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", database, ".ledger"));
  absl::StatusOr<int64_t> events =
      db.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_events"));
  run.check = absl::StrCat(recorded.value_or(-1), " items, ", charges.value_or(-1),
                           " ledger rows, ", events.value_or(-1), " events");
  if (recorded.value_or(-1) != run.citations || charges.value_or(-1) != run.citations ||
      events.value_or(-1) != run.citations) {
    run.check = "MISMATCH: " + run.check;
  }
  RETURN_IF_ERROR(db.DropDatabase(database));
  return run;
}

// ---- Counting transactions -------------------------------------------------------------------

struct CountRun {
  ThroughputRun run;
  std::map<TransactionKind, KindTally> tally;
  double record_batch = 0;   // citations per recording transaction, mean
  std::vector<int> batches;  // citations of each recording, in the order they ended
};

absl::StatusOr<CountRun> RunCount(BenchMariaDb& db, int replicas, int jobs, int citations,
                                  const std::string& log_dir) {
  const std::string path = absl::StrCat(log_dir, "/general-", replicas, ".log");
  CountRun count;
  int64_t offset = 0;
  ASSIGN_OR_RETURN(count.run, RunThroughput(db, absl::StrCat("citecheck_bench_count", replicas),
                                            replicas, jobs, citations, path, &offset));
  std::ifstream in(path);
  const std::vector<LoggedTransaction> log = ParseGeneralLog(in);
  count.tally = TallyByKind(log, "bench_", offset);
  const KindTally& record = count.tally[TransactionKind::kRecord];
  if (record.transactions > 0) {
    count.record_batch =
        static_cast<double>(record.recorded_items) / static_cast<double>(record.transactions);
  }
  for (const LoggedTransaction& t : log) {
    if (t.end_offset >= offset && absl::StartsWith(t.user, "bench_") &&
        Classify(t) == TransactionKind::kRecord) {
      count.batches.push_back(RecordedItems(t));
    }
  }
  if (!absl::GetFlag(FLAGS_keep_logs)) {
    std::remove(path.c_str());
  } else {
    fprintf(stderr, "general query log kept in %s\n", path.c_str());
  }
  return count;
}

void PrintCount(const CountRun& count) {
  const double per = static_cast<double>(count.run.citations);
  printf(
      "\n%d replica(s), %lld citations (general log on: %.0f citations/s, not a throughput "
      "figure); rows: %s\n\n",
      count.run.replicas, static_cast<long long>(count.run.citations), count.run.rate,
      count.run.check.c_str());
  printf("| transaction | count | per 1,000 citations | statements each (mean) | prepares |\n");
  printf("|---|---|---|---|---|\n");
  KindTally total;
  for (const auto& [kind, k] : count.tally) {
    printf("| %s | %lld | %.2f | %.1f | %lld |\n", KindName(kind),
           static_cast<long long>(k.transactions), 1000.0 * k.transactions / per,
           static_cast<double>(k.statements) / std::max<int64_t>(1, k.transactions),
           static_cast<long long>(k.prepares));
    total.transactions += k.transactions;
    total.statements += k.statements;
    total.prepares += k.prepares;
  }
  printf("| **all** | %lld | %.2f | %.1f | %lld |\n", static_cast<long long>(total.transactions),
         1000.0 * total.transactions / per,
         static_cast<double>(total.statements) / std::max<int64_t>(1, total.transactions),
         static_cast<long long>(total.prepares));
  const KindTally submit = count.tally.count(TransactionKind::kSubmit)
                               ? count.tally.at(TransactionKind::kSubmit)
                               : KindTally();
  const KindTally record = count.tally.count(TransactionKind::kRecord)
                               ? count.tally.at(TransactionKind::kRecord)
                               : KindTally();
  printf(
      "\nreserve (submit) transactions per citation: %.4f; record transactions per citation: "
      "%.4f (%.1f citations each); statements per citation, all kinds: %.2f\n",
      submit.transactions / per, record.transactions / per, count.record_batch,
      static_cast<double>(total.statements) / per);
}

// ---- Event delivery latency ------------------------------------------------------------------

// Replica A records every event of the measured jobs. With two replicas, B only serves
// watchers: it starts first and its one checker slot is taken by a decoy job whose check lasts
// an hour (cancelled at the end), so it never claims a measured chunk; its watchers get A's
// events through its poller.
struct LatencyRun {
  int replicas = 0;
  std::vector<double> same_ms;   // watchers on A
  std::vector<double> other_ms;  // watchers on B
  double load = 0;
};

absl::StatusOr<LatencyRun> RunLatency(BenchMariaDb& db, int replica_count, int jobs,
                                      int citations) {
  const std::string database = absl::StrCat("citecheck_bench_latency", replica_count);
  ASSIGN_OR_RETURN(MysqlUrl url, db.CreateDatabase(database, kReplicaUsers[0]));
  const int64_t credits = int64_t{jobs} * citations + 1;
  std::unique_ptr<ServerProcess> b;
  std::string decoy;
  if (replica_count > 1) {
    ASSIGN_OR_RETURN(b, StartReplica(url, 1,
                                     {"--checker_delay=1h", "--citations_per_call=1",
                                      "--llm_max_inflight=1", "--shutdown_grace=1s"}));
    RETURN_IF_ERROR(Grant(*b, Token(0), credits, "order-0"));
    v1::Job job;
    grpc::Status submitted = b->Account(Token(0))->SubmitBatch(BatchRequest(1, 999), &job);
    if (!submitted.ok()) return absl::InternalError("SubmitBatch: " + submitted.error_message());
    decoy = job.job_id();
    if (!AwaitCount(db,
                    absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_chunks WHERE owner = '",
                                 kReplicaNames[1], "'"),
                    1, absl::Seconds(30))) {
      return absl::DeadlineExceededError("latency: replica b did not claim the decoy job");
    }
  }
  Replicas replicas;
  ASSIGN_OR_RETURN(
      std::unique_ptr<ServerProcess> a,
      StartReplica(url, 0,
                   {"--checker_delay=" + absl::FormatDuration(absl::GetFlag(FLAGS_latency_delay)),
                    "--citations_per_call=1", "--llm_max_inflight=4"}));
  replicas.servers.push_back(std::move(a));
  replicas.users.push_back(kReplicaUsers[0]);
  if (b != nullptr) {
    replicas.servers.push_back(std::move(b));
    replicas.users.push_back(kReplicaUsers[1]);
  } else {
    RETURN_IF_ERROR(Grant(*replicas.servers[0], Token(0), credits, "order-0"));
  }

  EventStreams streams(replicas.addresses(), Token(0), 2);
  const double load = LoadAverage1();
  for (int j = 0; j < jobs; ++j) {
    // Submitted on either replica; A runs them all.
    auto client = replicas.servers[j % replica_count]->Account(Token(0));
    v1::Job job;
    grpc::Status submitted = client->SubmitBatch(BatchRequest(citations, j), &job);
    if (!submitted.ok()) return absl::InternalError("SubmitBatch: " + submitted.error_message());
    for (int r = 0; r < replica_count; ++r) streams.Open(r, job.job_id());
  }
  if (!streams.AwaitAllEnded(absl::Now() + absl::Minutes(5))) {
    return absl::DeadlineExceededError("latency: the jobs did not end within 5 minutes");
  }
  if (streams.failed_streams() > 0) {
    return absl::InternalError("latency: a stream failed: " + streams.first_error());
  }
  if (!decoy.empty()) {
    v1::Job job;
    grpc::Status cancelled = replicas.servers[1]->Account(Token(0))->CancelJob(decoy, &job);
    if (!cancelled.ok()) return absl::InternalError("CancelJob: " + cancelled.error_message());
  }
  replicas.Terminate();
  RETURN_IF_ERROR(db.DropDatabase(database));

  // Events recorded before a stream was reading came from its catch-up, not live: an event
  // counts for a stream when its time is after the stream's first arrival.
  const std::vector<Arrival> arrivals = streams.Arrivals();
  std::map<std::pair<int, std::string>, absl::Time> first_arrival;
  for (const Arrival& a : arrivals) {
    auto key = std::make_pair(a.target, a.job_id);
    auto it = first_arrival.find(key);
    if (it == first_arrival.end() || a.arrived < it->second) first_arrival[key] = a.arrived;
  }
  LatencyRun run;
  run.replicas = replica_count;
  run.load = load;
  for (const Arrival& a : arrivals) {
    if (a.event_time <= first_arrival[{a.target, a.job_id}]) continue;
    (a.target == 0 ? run.same_ms : run.other_ms).push_back(Ms(a.arrived - a.event_time));
  }
  return run;
}

// ---- Idle cost -------------------------------------------------------------------------------

struct IdleRun {
  int replicas = 0;
  int jobs = 0;
  int watchers = 0;
  double seconds = 0;
  std::vector<UserCounters> per_replica;  // over `seconds`
  std::vector<int64_t> rss_growth;        // per replica, bytes, from opening the watchers
  std::vector<int64_t> chunks_held;       // per replica
  int64_t questions = 0;                  // the whole server (Questions)
  double load = 0;
};

absl::StatusOr<IdleRun> RunIdle(BenchMariaDb& db, int replica_count, int jobs, int watchers,
                                int seconds) {
  const std::string database = absl::StrCat("citecheck_bench_idle", replica_count, "_", jobs);
  ASSIGN_OR_RETURN(MysqlUrl url, db.CreateDatabase(database, kReplicaUsers[0]));
  std::vector<std::string> flags;
  constexpr int kCitationsPerJob = 10;
  if (jobs > 0) {
    // Each job is one chunk, held by a checker that answers after an hour.
    flags = {"--checker_delay=1h", absl::StrCat("--citations_per_call=", kCitationsPerJob),
             absl::StrCat("--llm_max_inflight=", jobs), "--shutdown_grace=1s"};
  }
  ASSIGN_OR_RETURN(Replicas replicas, StartReplicas(url, replica_count, flags));
  IdleRun run;
  run.replicas = replica_count;
  run.jobs = jobs;
  run.watchers = watchers;
  run.seconds = seconds;
  std::vector<std::string> job_ids;
  if (jobs > 0) {
    RETURN_IF_ERROR(
        Grant(*replicas.servers[0], Token(0), int64_t{jobs} * kCitationsPerJob, "order-0"));
    for (int j = 0; j < jobs; ++j) {
      auto client = replicas.servers[j % replica_count]->Account(Token(0));
      v1::Job job;
      grpc::Status submitted = client->SubmitBatch(BatchRequest(kCitationsPerJob, j), &job);
      if (!submitted.ok()) return absl::InternalError("SubmitBatch: " + submitted.error_message());
      job_ids.push_back(job.job_id());
    }
    if (!AwaitCount(db, absl::StrCat("SELECT COUNT(*) FROM ", database, ".jobs WHERE state = 2"),
                    jobs, absl::Seconds(60))) {
      return absl::DeadlineExceededError("idle: the jobs did not all start running");
    }
  }
  std::vector<int64_t> rss_before;
  for (const auto& s : replicas.servers) rss_before.push_back(ProcessRssBytes(s->process().pid()));
  EventStreams streams(replicas.addresses(), Token(0), 4);
  for (int w = 0; w < watchers && !job_ids.empty(); ++w) {
    streams.Open(w % replica_count, job_ids[(w / replica_count) % job_ids.size()]);
  }
  // Each stream's catch-up: the job's submitted and running updates.
  if (!streams.AwaitEachReceived(2, absl::Now() + absl::Seconds(60))) {
    return absl::DeadlineExceededError("idle: watchers did not catch up within 60 s");
  }
  absl::SleepFor(absl::Seconds(2));  // let start-up work (first claims, catch-ups) settle
  for (size_t r = 0; r < replicas.servers.size(); ++r) {
    run.rss_growth.push_back(ProcessRssBytes(replicas.servers[r]->process().pid()) - rss_before[r]);
    run.chunks_held.push_back(
        db.QueryInt(absl::StrCat("SELECT COUNT(*) FROM ", database, ".job_chunks WHERE owner = '",
                                 kReplicaNames[r], "'"))
            .value_or(-1));
  }
  const Snapshot before = Take(db, replicas);
  absl::SleepFor(absl::Seconds(seconds));
  const Snapshot after = Take(db, replicas);
  run.load = (before.load + after.load) / 2;
  for (const std::string& user : replicas.users) {
    run.per_replica.push_back(after.db.User(user) - before.db.User(user));
  }
  run.questions = after.db.Global("QUESTIONS") - before.db.Global("QUESTIONS");
  if (streams.failed_streams() > 0) {
    return absl::InternalError("idle: a stream failed: " + streams.first_error());
  }
  streams.CancelAll();
  auto client = replicas.servers[0]->Account(Token(0));
  for (const std::string& job_id : job_ids) {
    v1::Job job;
    grpc::Status cancelled = client->CancelJob(job_id, &job);
    if (!cancelled.ok()) return absl::InternalError("CancelJob: " + cancelled.error_message());
  }
  replicas.Terminate();
  RETURN_IF_ERROR(db.DropDatabase(database));
  return run;
}

void PrintIdle(const IdleRun& run) {
  for (size_t r = 0; r < run.per_replica.size(); ++r) {
    const UserCounters& u = run.per_replica[r];
    printf("| %d | %d | %d | %s | %.1f | %.1f | %.1f | %.1f | %.2f%% |", run.replicas, run.jobs,
           run.watchers, kReplicaNames[r], u.statements() / run.seconds, u.selects / run.seconds,
           u.updates / run.seconds, u.others / run.seconds, 100.0 * u.busy_seconds / run.seconds);
    if (run.watchers > 0) {
      printf(" %lld | %.1f KiB |", static_cast<long long>(run.chunks_held[r]),
             static_cast<double>(run.rss_growth[r]) / 1024.0 /
                 std::max(1.0, static_cast<double>(run.watchers) / run.replicas));
    } else {
      printf(" — | — |");
    }
    printf(" %.1f |\n", run.load);
  }
}

// ---- The run ---------------------------------------------------------------------------------

std::vector<int> Ints(const std::vector<std::string>& texts) {
  std::vector<int> out;
  for (const std::string& t : texts) {
    int v = 0;
    if (absl::SimpleAtoi(t, &v) && v > 0) out.push_back(v);
  }
  return out;
}

absl::Status Run() {
  const std::vector<std::string> phases =
      absl::StrSplit(absl::GetFlag(FLAGS_phases), ',', absl::SkipEmpty());
  auto wants = [&phases](const char* phase) {
    return std::find(phases.begin(), phases.end(), phase) != phases.end();
  };
  const int jobs = absl::GetFlag(FLAGS_jobs);
  const int citations = absl::GetFlag(FLAGS_citations);

  std::unique_ptr<BenchMariaDb> db;
  if (absl::GetFlag(FLAGS_mysql_env).empty()) {
    ASSIGN_OR_RETURN(db, BenchMariaDb::Start());
  } else {
    ASSIGN_OR_RETURN(db, BenchMariaDb::Attach(absl::GetFlag(FLAGS_mysql_env)));
  }
  for (const char* user : kReplicaUsers) RETURN_IF_ERROR(db->CreateUser(user));
  RETURN_IF_ERROR(db->CreateUser(kCeilingUser));
  printf(
      "# durable_jobs_bench, %s\n\nMariaDB %s on 127.0.0.1:%d (pid %d); %u cores; "
      "load average %.2f at start; extra server flags: [%s]\n",
      absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone()).c_str(),
      db->version().c_str(), db->port(), db->pid(), std::thread::hardware_concurrency(),
      LoadAverage1(), absl::StrJoin(absl::GetFlag(FLAGS_server_flags), " ").c_str());
  fflush(stdout);

  // The ceiling writes batches of the sizes the recorder's transactions had (count phase).
  std::vector<int> ceiling_batches;
  if (absl::GetFlag(FLAGS_ceiling_batch) > 0)
    ceiling_batches = {absl::GetFlag(FLAGS_ceiling_batch)};
  if (wants("count")) {
    printf("\n## Transactions by kind (general query log)\n");
    char dir_template[] = "/tmp/citecheck-bench-log.XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return absl::InternalError("mkdtemp failed");
    for (int replicas : {1, 2}) {
      ASSIGN_OR_RETURN(CountRun count, RunCount(*db, replicas, jobs, citations, dir_template));
      PrintCount(count);
      if (replicas == 1 && ceiling_batches.empty()) ceiling_batches = count.batches;
      fflush(stdout);
    }
    if (!absl::GetFlag(FLAGS_keep_logs)) rmdir(dir_template);
  }
  if (ceiling_batches.empty()) ceiling_batches = {80};
  const double ceiling_mean_batch =
      std::accumulate(ceiling_batches.begin(), ceiling_batches.end(), 0.0) /
      static_cast<double>(ceiling_batches.size());

  if (wants("throughput")) {
    printf("\n## Throughput: %d jobs x %d citations submitted at once\n\n", jobs, citations);
    printf(
        "| round | run | citations/s | makespan | submit (max) | event lag p50 / p99 | "
        "CPU: replicas / mariadbd / bench (ms per 1,000 citations) | statements per "
        "citation | COMMITs per citation | row lock waits / deadlocks | load 1-min before / "
        "after | rows |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    fflush(stdout);
    std::vector<std::string> outcomes;
    std::vector<double> rates[3];
    std::vector<double> ceilings;
    const std::vector<int> connection_counts = Ints(absl::GetFlag(FLAGS_ceiling_connections));
    for (int round = 1; round <= absl::GetFlag(FLAGS_repeat); ++round) {
      for (int replicas : {1, 2}) {
        ASSIGN_OR_RETURN(
            ThroughputRun run,
            RunThroughput(*db, absl::StrCat("citecheck_bench_tp", replicas), replicas, jobs,
                          citations, "", nullptr, outcomes.empty() ? &outcomes : nullptr));
        const double per_k = static_cast<double>(run.citations) / 1000.0;
        printf(
            "| %d | pipeline, %d replica%s | **%.0f** | %.3f s | %.0f ms | %.1f / %.1f ms | "
            "%.0f / %.0f / %.0f | %.2f | %.3f | %lld / %lld | %.1f / %.1f | %s |\n",
            round, replicas, replicas > 1 ? "s" : "", run.rate, absl::ToDoubleSeconds(run.makespan),
            run.submit_max_ms, run.event_p50_ms, run.event_p99_ms, Ms(run.replica_cpu) / per_k,
            Ms(run.mariadbd_cpu) / per_k, Ms(run.bench_cpu) / per_k,
            run.statements / static_cast<double>(run.citations),
            run.commits / static_cast<double>(run.citations),
            static_cast<long long>(run.lock_waits), static_cast<long long>(run.deadlocks),
            run.load_before, run.load_after, run.check.c_str());
        rates[replicas].push_back(run.rate);
        fflush(stdout);
      }
      double best = 0;
      for (int connections : connection_counts) {
        ASSIGN_OR_RETURN(CeilingRun c, RunCeiling(*db, "citecheck_bench_ceiling", outcomes,
                                                  absl::GetFlag(FLAGS_ceiling_jobs), citations,
                                                  ceiling_batches, connections));
        const double per_k = static_cast<double>(c.citations) / 1000.0;
        printf(
            "| %d | ceiling: %.1f per transaction, %d connection%s | **%.0f** | %.3f s | — | — "
            "| — / %.0f / %.0f | %.2f | %.3f | — | %.1f | %s |\n",
            round, ceiling_mean_batch, c.connections, c.connections > 1 ? "s" : "", c.rate,
            absl::ToDoubleSeconds(c.elapsed), Ms(c.mariadbd_cpu) / per_k, Ms(c.bench_cpu) / per_k,
            c.statements / static_cast<double>(c.citations),
            c.commits / static_cast<double>(c.citations), c.load, c.check.c_str());
        best = std::max(best, c.rate);
        fflush(stdout);
      }
      ceilings.push_back(best);
    }
    printf(
        "\n| round | 1 replica | 2 replicas | ceiling (best of the connection counts) | "
        "1 replica / ceiling | 2 replicas / ceiling |\n|---|---|---|---|---|---|\n");
    std::vector<double> ratios[3];
    for (size_t i = 0; i < ceilings.size(); ++i) {
      printf("| %zu | %.0f | %.0f | %.0f | %.2f | %.2f |\n", i + 1, rates[1][i], rates[2][i],
             ceilings[i], rates[1][i] / ceilings[i], rates[2][i] / ceilings[i]);
      ratios[1].push_back(rates[1][i] / ceilings[i]);
      ratios[2].push_back(rates[2][i] / ceilings[i]);
    }
    printf("| median | %.0f | %.0f | %.0f | %.2f | %.2f |\n", Quantile(rates[1], 0.5),
           Quantile(rates[2], 0.5), Quantile(ceilings, 0.5), Quantile(ratios[1], 0.5),
           Quantile(ratios[2], 0.5));
    printf("\n(goals: >= 10,000 citations/s and >= 0.5 of the ceiling)\n");
    fflush(stdout);
  }

  if (wants("latency")) {
    printf(
        "\n## Event delivery: event time -> arrival at a watcher (checker delay %s, 1 "
        "citation per call, 4 calls in flight per replica, --watch_poll=%s)\n\n",
        absl::FormatDuration(absl::GetFlag(FLAGS_latency_delay)).c_str(),
        absl::FormatDuration(absl::GetFlag(FLAGS_watch_poll)).c_str());
    printf("| replicas | watcher on | events | p50 | p90 | p99 | max | load |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
    for (int replicas : {1, 2}) {
      ASSIGN_OR_RETURN(LatencyRun run, RunLatency(*db, replicas, absl::GetFlag(FLAGS_latency_jobs),
                                                  absl::GetFlag(FLAGS_latency_citations)));
      auto row = [&](const char* where, std::vector<double>& ms) {
        const size_t n = ms.size();
        const double p50 = Quantile(ms, 0.5);
        const double p90 = Quantile(ms, 0.9);
        const double p99 = Quantile(ms, 0.99);
        printf("| %d | %s | %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f |\n", replicas,
               where, n, p50, p90, p99, Quantile(ms, 1.0), run.load);
      };
      row("a (records every event)", run.same_ms);
      if (replicas > 1) row("b (serves watchers only: its poller)", run.other_ms);
      fflush(stdout);
    }
  }

  if (wants("idle")) {
    const int seconds = absl::GetFlag(FLAGS_idle_seconds);
    printf("\n## Idle cost over %d s (statements the database received from each replica)\n\n",
           seconds);
    printf(
        "| replicas | running jobs | watchers | replica | statements/s | SELECT/s | "
        "INSERT+UPDATE+DELETE/s | other/s (COMMIT, SET) | database busy | chunks held | "
        "RSS per watcher | load |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (int replicas : {1, 2}) {
      ASSIGN_OR_RETURN(IdleRun quiet, RunIdle(*db, replicas, 0, 0, seconds));
      PrintIdle(quiet);
      fflush(stdout);
    }
    for (int replicas : {1, 2}) {
      ASSIGN_OR_RETURN(IdleRun busy, RunIdle(*db, replicas, absl::GetFlag(FLAGS_idle_jobs),
                                             absl::GetFlag(FLAGS_idle_watchers), seconds));
      PrintIdle(busy);
      fflush(stdout);
    }
  }
  printf("\nload average at the end: %.2f\n", LoadAverage1());
  return absl::OkStatus();
}

}  // namespace
}  // namespace citecheck::bench

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  citecheck::InitLogging("warn");  // the migrations of the ceiling's databases say nothing
  const absl::Status status = citecheck::bench::Run();
  if (!status.ok()) {
    fprintf(stderr, "durable_jobs_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}

#include "tests/server/storage/invariants.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/common/status_macros.h"

namespace citecheck {
namespace {

constexpr char kSourceCredits[] = "credits";
constexpr char kSourcePass[] = "pass";

std::string AccountOwner(const std::string& token_hash) {
  return absl::StrCat("acct:", token_hash);
}

const TransactionOptions kSnapshot{IsolationLevel::kRepeatableRead, 5};

// jobs.state values (citecheck.v1.JobState) and job_items.state / job_events.kind codes.
constexpr char kUnfinishedStates[] = "(1, 2)";
constexpr char kFinishedStates[] = "(3, 4, 5)";
enum ItemState { kPending = 0, kSucceeded = 1, kFailed = 2, kCancelled = 3 };

bool IsFinished(int64_t state) { return state >= 3 && state <= 5; }

// Fails with `what` plus the first row of `sql` when the query returns any row.
absl::Status ExpectNoRow(Transaction& tx, absl::string_view sql, absl::string_view what) {
  ASSIGN_OR_RETURN(std::optional<SqlRow> row, tx.QueryRow(sql));
  if (!row.has_value()) return absl::OkStatus();
  std::string columns;
  for (size_t i = 0; i < row->size(); ++i) {
    absl::StrAppend(&columns, i == 0 ? "" : "|", row->IsNull(i) ? "NULL" : row->String(i));
  }
  return absl::InternalError(absl::StrCat(what, ": ", columns));
}

// One job row and what its items, events and ledger rows add up to.
struct JobTally {
  int64_t state = 0;
  int64_t accepted = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t last_sequence = 0;
  int64_t items = 0;
  int64_t min_index = 0;
  int64_t max_index = -1;
  int64_t by_state[4] = {0, 0, 0, 0};
  int64_t events = 0;
  int64_t min_seq = 0;
  int64_t max_seq = 0;
};

absl::Status CheckJobTables(Transaction& tx, JobsExpected expected) {
  std::map<std::string, JobTally> jobs;
  ASSIGN_OR_RETURN(std::vector<SqlRow> job_rows,
                   tx.Query("SELECT job_id, state, accepted, succeeded, failed, last_sequence,"
                            " finish_time IS NULL FROM jobs"));
  for (const SqlRow& row : job_rows) {
    JobTally& job = jobs[row.String(0)];
    job.state = row.Int(1);
    job.accepted = row.Int(2);
    job.succeeded = row.Int(3);
    job.failed = row.Int(4);
    job.last_sequence = row.Int(5);
    if (job.state < 1 || job.state > 5) {
      return absl::InternalError(absl::StrCat("job ", row.String(0), " has state ", job.state));
    }
    if (IsFinished(job.state) == (row.Int(6) == 1)) {
      return absl::InternalError(absl::StrCat("job ", row.String(0), " in state ", job.state,
                                              " has ", row.Int(6) == 1 ? "no" : "a",
                                              " finish_time"));
    }
    if (expected == JobsExpected::kAllEnded && !IsFinished(job.state)) {
      return absl::InternalError(
          absl::StrCat("job ", row.String(0), " has not ended (state ", job.state, ")"));
    }
  }

  ASSIGN_OR_RETURN(std::vector<SqlRow> items,
                   tx.Query("SELECT job_id, COUNT(*), MIN(item_index), MAX(item_index),"
                            " CAST(SUM(state = 0) AS SIGNED), CAST(SUM(state = 1) AS SIGNED),"
                            " CAST(SUM(state = 2) AS SIGNED), CAST(SUM(state = 3) AS SIGNED),"
                            " CAST(SUM(kind <> 0 OR state NOT IN (0, 1, 2, 3)) AS SIGNED)"
                            " FROM job_items GROUP BY job_id"));
  for (const SqlRow& row : items) {
    auto it = jobs.find(row.String(0));
    if (it == jobs.end()) {
      return absl::InternalError(absl::StrCat("items of job ", row.String(0), " without a job"));
    }
    if (row.Int(8) != 0) {
      return absl::InternalError(
          absl::StrCat("job ", row.String(0), " has items of an unknown kind or state"));
    }
    JobTally& job = it->second;
    job.items = row.Int(1);
    job.min_index = row.Int(2);
    job.max_index = row.Int(3);
    for (int state = 0; state < 4; ++state) job.by_state[state] = row.Int(4 + state);
  }
  ASSIGN_OR_RETURN(std::vector<SqlRow> events,
                   tx.Query("SELECT job_id, COUNT(*), MIN(seq), MAX(seq) FROM job_events"
                            " GROUP BY job_id"));
  for (const SqlRow& row : events) {
    auto it = jobs.find(row.String(0));
    if (it == jobs.end()) {
      return absl::InternalError(absl::StrCat("events of job ", row.String(0), " without a job"));
    }
    it->second.events = row.Int(1);
    it->second.min_seq = row.Int(2);
    it->second.max_seq = row.Int(3);
  }

  for (const auto& [job_id, job] : jobs) {
    if (job.items != job.accepted ||
        (job.accepted > 0 && (job.min_index != 0 || job.max_index != job.accepted - 1))) {
      return absl::InternalError(absl::StrCat("items of job ", job_id, " are not 0..",
                                              job.accepted - 1, " (", job.items, " rows)"));
    }
    if (job.last_sequence < 1 || job.events != job.last_sequence || job.min_seq != 1 ||
        job.max_seq != job.last_sequence) {
      return absl::InternalError(absl::StrCat("events of job ", job_id, " are not 1..",
                                              job.last_sequence, " (", job.events, " rows, ",
                                              job.min_seq, "..", job.max_seq, ")"));
    }
    if (job.succeeded != job.by_state[kSucceeded] || job.failed != job.by_state[kFailed]) {
      return absl::InternalError(absl::StrCat(
          "job ", job_id, " counts ", job.succeeded, " succeeded and ", job.failed,
          " failed; its items say ", job.by_state[kSucceeded], " and ", job.by_state[kFailed]));
    }
    if (IsFinished(job.state) && job.by_state[kPending] != 0) {
      return absl::InternalError(
          absl::StrCat("finished job ", job_id, " has ", job.by_state[kPending], " pending items"));
    }
    if (job.by_state[kCancelled] != 0 && job.state != v1::JOB_STATE_CANCELLED) {
      return absl::InternalError(
          absl::StrCat("job ", job_id, " has cancelled items but is in state ", job.state));
    }
    if ((job.state == v1::JOB_STATE_SUCCEEDED || job.state == v1::JOB_STATE_FAILED) &&
        (job.succeeded + job.failed != job.accepted ||
         (job.state == v1::JOB_STATE_SUCCEEDED) != (job.succeeded > 0 || job.accepted == 0))) {
      return absl::InternalError(absl::StrCat("job ", job_id, " ended in state ", job.state,
                                              " with ", job.succeeded, " succeeded and ",
                                              job.failed, " failed of ", job.accepted));
    }
  }

  // Each item's events: one result when SUCCEEDED, one failure when FAILED, else none; and no
  // item event without its item.
  RETURN_IF_ERROR(
      ExpectNoRow(tx,
                  "SELECT i.job_id, i.item_index, i.state, COUNT(e.seq) FROM job_items i"
                  " LEFT JOIN job_events e ON e.job_id = i.job_id AND e.item_kind = i.kind"
                  " AND e.item_index = i.item_index AND e.kind IN (1, 2)"
                  " GROUP BY i.job_id, i.kind, i.item_index, i.state"
                  " HAVING NOT ((i.state = 1 AND COUNT(e.seq) = 1 AND SUM(e.kind = 1) = 1)"
                  " OR (i.state = 2 AND COUNT(e.seq) = 1 AND SUM(e.kind = 2) = 1)"
                  " OR (i.state IN (0, 3) AND COUNT(e.seq) = 0)) LIMIT 1",
                  "an item's events disagree with its state (job|index|state|events)"));
  RETURN_IF_ERROR(ExpectNoRow(tx,
                              "SELECT e.job_id, e.seq FROM job_events e LEFT JOIN job_items i"
                              " ON i.job_id = e.job_id AND i.kind = e.item_kind"
                              " AND i.item_index = e.item_index"
                              " WHERE e.kind IN (1, 2) AND i.job_id IS NULL LIMIT 1",
                              "an item event without its item (job|seq)"));
  RETURN_IF_ERROR(ExpectNoRow(tx,
                              "SELECT job_id, seq, kind FROM job_events"
                              " WHERE kind NOT IN (0, 1, 2) OR (kind = 0 AND payload IS NULL)"
                              " LIMIT 1",
                              "an event of an unknown kind or without payload (job|seq|kind)"));

  // The job updates: at most one terminal, and a finished job's last event is it.
  ASSIGN_OR_RETURN(std::vector<SqlRow> updates,
                   tx.Query("SELECT job_id, seq, HEX(payload) FROM job_events WHERE kind = 0"
                            " ORDER BY job_id, seq"));
  std::map<std::string, int64_t> terminal_at;
  for (const SqlRow& row : updates) {
    v1::Job snapshot;
    if (!snapshot.ParseFromString(absl::HexStringToBytes(row.String(2)))) {
      return absl::InternalError(
          absl::StrCat("job_update ", row.String(0), " #", row.Int(1), " does not parse"));
    }
    const JobTally& job = jobs[row.String(0)];
    if (!IsFinished(snapshot.state())) continue;
    if (terminal_at.count(row.String(0)) != 0) {
      return absl::InternalError(
          absl::StrCat("job ", row.String(0), " has two terminal job_updates"));
    }
    terminal_at[row.String(0)] = row.Int(1);
    if (snapshot.state() != job.state || snapshot.succeeded() != job.succeeded ||
        snapshot.failed() != job.failed || snapshot.last_sequence() != row.Int(1)) {
      return absl::InternalError(absl::StrCat(
          "the terminal job_update of job ", row.String(0), " (state ", snapshot.state(), ", ",
          snapshot.succeeded(), "/", snapshot.failed(), ", sequence ", snapshot.last_sequence(),
          ") disagrees with the job (state ", job.state, ", ", job.succeeded, "/", job.failed,
          ", event ", row.Int(1), ")"));
    }
  }
  for (const auto& [job_id, job] : jobs) {
    auto it = terminal_at.find(job_id);
    const bool has_terminal = it != terminal_at.end();
    if (IsFinished(job.state) != has_terminal ||
        (has_terminal && it->second != job.last_sequence)) {
      return absl::InternalError(
          absl::StrCat("job ", job_id, " in state ", job.state,
                       has_terminal ? absl::StrCat(" has its terminal job_update at #", it->second,
                                                   " of ", job.last_sequence)
                                    : " has no terminal job_update"));
    }
  }

  // The ledger and the reservations against the items.
  RETURN_IF_ERROR(
      ExpectNoRow(tx,
                  "SELECT j.job_id, j.accepted, r.accepted FROM jobs j"
                  " LEFT JOIN reservations r ON r.job_id = j.job_id"
                  " WHERE r.job_id IS NULL OR r.accepted <> j.accepted LIMIT 1",
                  "a job without its reservation, or with another count (job|accepted|reserved)"));
  RETURN_IF_ERROR(
      ExpectNoRow(tx,
                  "SELECT l.job_id, l.item_index, l.kind, i.state FROM ledger l"
                  " JOIN jobs j ON j.job_id = l.job_id"
                  " LEFT JOIN job_items i ON i.job_id = l.job_id AND i.kind = 0"
                  " AND i.item_index = l.item_index"
                  " WHERE (l.kind = 'charge' AND (i.state IS NULL OR i.state <> 1))"
                  " OR (l.kind = 'release' AND (i.state IS NULL OR i.state NOT IN (2, 3))) LIMIT 1",
                  "a ledger row disagrees with its item (job|index|kind|item state)"));
  RETURN_IF_ERROR(ExpectNoRow(
      tx,
      "SELECT i.job_id, i.item_index, i.state, COUNT(l.id) FROM job_items i"
      " LEFT JOIN ledger l ON l.job_id = i.job_id AND l.item_index = i.item_index"
      " AND l.kind IN ('charge', 'release')"
      " GROUP BY i.job_id, i.item_index, i.state"
      " HAVING COUNT(l.id) <> (i.state <> 0) LIMIT 1",
      "an item is not settled exactly once, or a pending one is settled (job|index|state|rows)"));
  RETURN_IF_ERROR(
      ExpectNoRow(tx,
                  "SELECT r.job_id, r.item_index, r.state, i.state FROM reservation_items r"
                  " JOIN jobs j ON j.job_id = r.job_id"
                  " LEFT JOIN job_items i ON i.job_id = r.job_id AND i.kind = 0"
                  " AND i.item_index = r.item_index"
                  " WHERE NOT ((r.state = 'reserved' AND i.state = 0)"
                  " OR (r.state = 'charged' AND i.state = 1)"
                  " OR (r.state = 'released' AND i.state IN (2, 3))) LIMIT 1",
                  "a reservation item disagrees with its job item (job|index|reservation|item)"));
  RETURN_IF_ERROR(ExpectNoRow(tx,
                              "SELECT r.job_id, COUNT(*) FROM reservation_items r"
                              " LEFT JOIN jobs j ON j.job_id = r.job_id"
                              " WHERE j.job_id IS NULL AND r.state = 'reserved'"
                              " GROUP BY r.job_id LIMIT 1",
                              "citations reserved for a job that does not exist (job|count)"));

  // The queue.
  ASSIGN_OR_RETURN(std::optional<SqlRow> counted,
                   tx.QueryRow("SELECT CAST(COALESCE(SUM(chunks), 0) AS SIGNED),"
                               " (SELECT COUNT(*) FROM job_chunks) FROM queue_counts"));
  if (!counted.has_value() || counted->Int(0) != counted->Int(1)) {
    return absl::InternalError(
        absl::StrCat("queue_counts add up to ", counted.has_value() ? counted->Int(0) : -1,
                     " chunks; ", counted.has_value() ? counted->Int(1) : -1, " are queued"));
  }
  RETURN_IF_ERROR(ExpectNoRow(tx,
                              absl::StrCat("SELECT c.chunk_id, c.job_id, j.state FROM job_chunks c"
                                           " LEFT JOIN jobs j ON j.job_id = c.job_id"
                                           " WHERE j.job_id IS NULL OR j.state IN ",
                                           kFinishedStates, " LIMIT 1"),
                              "a chunk of a finished or missing job (chunk|job|state)"));
  RETURN_IF_ERROR(ExpectNoRow(
      tx,
      absl::StrCat("SELECT i.job_id, i.item_index, COUNT(c.chunk_id) FROM job_items i"
                   " JOIN jobs j ON j.job_id = i.job_id AND j.state IN ",
                   kUnfinishedStates,
                   " LEFT JOIN job_chunks c ON c.job_id = i.job_id AND c.kind = i.kind"
                   " AND i.item_index BETWEEN c.first_index AND c.first_index + c.item_count - 1"
                   " WHERE i.state = 0 GROUP BY i.job_id, i.item_index"
                   " HAVING COUNT(c.chunk_id) <> 1 LIMIT 1"),
      "a pending item is not in exactly one chunk (job|index|chunks)"));
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckAccountBooks(MysqlPool& pool) {
  return pool.RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        // Credits granted and charged, by ledger owner.
        absl::flat_hash_map<std::string, int64_t> granted, charged;
        ASSIGN_OR_RETURN(std::vector<SqlRow> sums,
                         tx.Query("SELECT owner, kind, CAST(SUM(amount) AS SIGNED) FROM ledger"
                                  " WHERE source = 'credits' AND kind IN ('grant', 'charge')"
                                  " GROUP BY owner, kind"));
        for (const SqlRow& row : sums) {
          (row.String(1) == "grant" ? granted : charged)[row.String(0)] = row.Int(2);
        }

        // The ledger's movements per job.
        struct Moves {
          int64_t reserved = 0;
          int64_t charges = 0;
          int64_t releases = 0;
          bool has_reserve = false;
        };
        absl::flat_hash_map<std::string, Moves> moves;
        ASSIGN_OR_RETURN(std::vector<SqlRow> job_moves,
                         tx.Query("SELECT job_id, kind, CAST(SUM(amount) AS SIGNED), COUNT(*),"
                                  " CAST(MIN(amount) AS SIGNED) FROM ledger WHERE kind <> 'grant'"
                                  " GROUP BY job_id, kind"));
        for (const SqlRow& row : job_moves) {
          if (row.Int(4) < 0) return absl::InternalError("negative ledger amount");
          Moves& m = moves[row.String(0)];
          const std::string& kind = row.String(1);
          if (kind == "reserve") {
            if (row.Int(3) != 1) return absl::InternalError("two reserve rows for one job");
            m.reserved = row.Int(2);
            m.has_reserve = true;
          } else if (kind == "charge") {
            m.charges = row.Int(3);
          } else {
            m.releases = row.Int(3);
          }
        }

        // The reservations: what is still open or counted, per quota.
        absl::flat_hash_map<std::string, int64_t> open_credits;                  // by token hash
        std::map<std::pair<std::string, std::string>, int64_t> pass_counted;     // (hash, day)
        absl::flat_hash_map<std::string, int64_t> free_counted;                  // by free key
        std::map<std::pair<std::string, std::string>, int64_t> address_counted;  // (key, day)
        ASSIGN_OR_RETURN(
            std::vector<SqlRow> jobs,
            tx.Query("SELECT r.job_id, r.quota_key, r.source, DATE_FORMAT(r.pass_day, '%Y-%m-%d'),"
                     " r.accepted,"
                     " CAST(COALESCE(SUM(i.state = 'reserved'), 0) AS SIGNED),"
                     " CAST(COALESCE(SUM(i.state = 'charged'), 0) AS SIGNED),"
                     " CAST(COALESCE(SUM(i.state = 'released'), 0) AS SIGNED),"
                     " COUNT(i.item_index), CAST(COALESCE(MIN(i.item_index), 0) AS SIGNED),"
                     " CAST(COALESCE(MAX(i.item_index), -1) AS SIGNED),"
                     " r.address_key, DATE_FORMAT(r.address_day, '%Y-%m-%d')"
                     " FROM reservations r LEFT JOIN reservation_items i ON i.job_id = r.job_id"
                     " GROUP BY r.job_id, r.quota_key, r.source, r.pass_day, r.accepted,"
                     " r.address_key, r.address_day"));
        for (const SqlRow& row : jobs) {
          const std::string& job_id = row.String(0);
          const int64_t accepted = row.Int(4);
          const int64_t open = row.Int(5), charges = row.Int(6), releases = row.Int(7);
          if (row.Int(8) != accepted ||
              (accepted > 0 && (row.Int(9) != 0 || row.Int(10) != accepted - 1))) {
            return absl::InternalError(
                absl::StrCat("items of job ", job_id, " are not 0..", accepted - 1));
          }
          auto it = moves.find(job_id);
          if (it == moves.end() || !it->second.has_reserve || it->second.reserved != accepted ||
              it->second.charges != charges || it->second.releases != releases) {
            return absl::InternalError(
                absl::StrCat("ledger and reservation of job ", job_id, " disagree"));
          }
          const std::string& source = row.String(2);
          if (source == kSourceCredits) {
            open_credits[row.String(1)] += open;
          } else if (source == kSourcePass) {
            if (open + charges > 0) pass_counted[{row.String(1), row.String(3)}] += open + charges;
          } else {
            free_counted[row.String(1)] += open + charges;
            if (!row.IsNull(11))
              address_counted[{row.String(11), row.String(12)}] += open + charges;
          }
        }
        if (moves.size() != jobs.size()) {
          return absl::InternalError("ledger names a job without a reservation");
        }
        ASSIGN_OR_RETURN(std::optional<SqlRow> orphans,
                         tx.QueryRow("SELECT COUNT(*) FROM reservation_items i"
                                     " LEFT JOIN reservations r ON r.job_id = i.job_id"
                                     " WHERE r.job_id IS NULL"));
        if (orphans.has_value() && orphans->Int(0) != 0) {
          return absl::InternalError("reservation items without a reservation");
        }

        ASSIGN_OR_RETURN(std::vector<SqlRow> accounts,
                         tx.Query("SELECT token_hash, credits FROM accounts"));
        std::set<std::string> account_hashes;
        for (const SqlRow& row : accounts) {
          const std::string& hash = row.String(0);
          account_hashes.insert(hash);
          const std::string owner = AccountOwner(hash);
          const int64_t credits = row.Int(1);
          if (credits < 0) return absl::InternalError("negative credits");
          const int64_t expected = granted[owner] - charged[owner] - open_credits[hash];
          if (credits != expected) {
            return absl::InternalError(absl::StrCat("credits ", credits, " != granted ",
                                                    granted[owner], " - charged ", charged[owner],
                                                    " - reserved ", open_credits[hash]));
          }
        }
        for (const auto& [hash, open] : open_credits) {
          if (open > 0 && account_hashes.count(hash) == 0) {
            return absl::InternalError("credits reserved from an account that does not exist");
          }
        }

        ASSIGN_OR_RETURN(std::vector<SqlRow> daily,
                         tx.Query("SELECT token_hash, DATE_FORMAT(day, '%Y-%m-%d'), used"
                                  " FROM pass_daily_usage"));
        std::set<std::pair<std::string, std::string>> daily_rows;
        for (const SqlRow& row : daily) {
          const std::pair<std::string, std::string> key{row.String(0), row.String(1)};
          daily_rows.insert(key);
          const int64_t used = row.Int(2);
          if (used < 0) return absl::InternalError("negative pass daily count");
          auto it = pass_counted.find(key);
          const int64_t want = it == pass_counted.end() ? 0 : it->second;
          if (used != want) {
            return absl::InternalError(
                absl::StrCat("pass daily count ", used, " on ", key.second, " != ", want));
          }
          if (used > 0 && account_hashes.count(key.first) == 0) {
            return absl::InternalError("pass use without an account");
          }
        }
        for (const auto& [key, want] : pass_counted) {
          if (daily_rows.count(key) == 0) {
            return absl::InternalError("pass citations reserved but not counted");
          }
        }

        ASSIGN_OR_RETURN(std::vector<SqlRow> free,
                         tx.Query("SELECT free_key, used FROM free_usage"));
        absl::flat_hash_map<std::string, int64_t> free_used;
        for (const SqlRow& row : free) {
          if (row.Int(1) < 0) return absl::InternalError("negative free usage");
          free_used[row.String(0)] = row.Int(1);
        }
        for (const auto& [key, counted] : free_counted) {
          auto it = free_used.find(key);
          if (it == free_used.end() || it->second < counted) {
            return absl::InternalError("free usage below the citations reserved from it");
          }
        }

        // Each address's count of a day = its free citations reserved that day, not released.
        // Days before an address's newest but one are deleted (nothing to check there).
        ASSIGN_OR_RETURN(std::vector<SqlRow> addresses,
                         tx.Query("SELECT address_key, DATE_FORMAT(day, '%Y-%m-%d'), used,"
                                  " DATE_FORMAT(day - INTERVAL 1 DAY, '%Y-%m-%d')"
                                  " FROM free_address_usage"));
        std::map<std::string, std::string> oldest_kept;  // by address: the first day still kept
        for (const SqlRow& row : addresses) {
          const std::pair<std::string, std::string> key{row.String(0), row.String(1)};
          if (row.Int(2) < 0) return absl::InternalError("negative free address usage");
          auto it = address_counted.find(key);
          const int64_t want = it == address_counted.end() ? 0 : it->second;
          if (row.Int(2) != want) {
            return absl::InternalError(absl::StrCat("free usage of an address on ", key.second,
                                                    ": ", row.Int(2), " != ", want, " reserved"));
          }
          std::string& oldest = oldest_kept[key.first];
          if (oldest.empty() || row.String(3) > oldest) oldest = row.String(3);
        }
        for (const auto& entry : address_counted) {
          // A named reference, not a structured binding: C++17 lambdas cannot capture those
          // (clang refuses; the sanitizer builds use clang).
          const auto& key = entry.first;
          const auto& counted = entry.second;
          const bool kept =
              oldest_kept.count(key.first) > 0 && key.second >= oldest_kept[key.first];
          if (counted > 0 && kept &&
              std::none_of(addresses.begin(), addresses.end(), [&key](const SqlRow& row) {
                return row.String(0) == key.first && row.String(1) == key.second;
              })) {
            return absl::InternalError("free citations reserved from an address but not counted");
          }
        }
        return absl::OkStatus();
      },
      kSnapshot);
}

absl::Status CheckJobBooks(MysqlPool& pool, JobsExpected expected) {
  RETURN_IF_ERROR(pool.RunInTransaction(
      [&](Transaction& tx) { return CheckJobTables(tx, expected); }, kSnapshot));
  return CheckAccountBooks(pool);
}

}  // namespace citecheck

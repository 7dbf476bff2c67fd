#include "tests/server/storage/invariants.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"

namespace citecheck {
namespace {

constexpr char kSourceCredits[] = "credits";
constexpr char kSourcePass[] = "pass";

std::string AccountOwner(const std::string& token_hash) {
  return absl::StrCat("acct:", token_hash);
}

const TransactionOptions kSnapshot{IsolationLevel::kRepeatableRead, 5};

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
        for (const auto& [key, counted] : address_counted) {
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

}  // namespace citecheck

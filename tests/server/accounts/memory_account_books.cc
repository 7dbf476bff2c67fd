#include "tests/server/accounts/memory_account_books.h"

#include <cstdint>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "server/accounts/gating.h"

namespace citecheck {

std::vector<LedgerEntry> MemoryAccountStorePeer::Ledger(const MemoryAccountStore& store) {
  absl::MutexLock lock(&store.mu_);
  return store.ledger_;
}

absl::Status MemoryAccountStorePeer::CheckBooks(const MemoryAccountStore& store) {
  using IndexState = MemoryAccountStore::IndexState;
  absl::MutexLock lock(&store.mu_);

  // The ledger: unique keys; grants and charges per account; movements per job.
  absl::flat_hash_set<std::string> keys;
  absl::flat_hash_map<std::string, int64_t> granted;  // by ledger owner
  absl::flat_hash_map<std::string, int64_t> charged;  // credits, by ledger owner
  struct JobMoves {
    int64_t reserved = 0;
    int charges = 0;
    int releases = 0;
    bool has_reserve = false;
  };
  absl::flat_hash_map<std::string, JobMoves> moves;
  for (const LedgerEntry& e : store.ledger_) {
    if (!keys.insert(e.key).second) {
      return absl::InternalError(absl::StrCat("duplicate ledger key ", e.key));
    }
    if (e.amount < 0) return absl::InternalError(absl::StrCat("negative amount in ", e.key));
    switch (e.kind) {
      case LedgerEntry::Kind::kGrant:
        if (e.source == QuotaSource::kCredits) granted[e.owner] += e.amount;
        break;
      case LedgerEntry::Kind::kReserve:
        moves[e.job_id].reserved += e.amount;
        moves[e.job_id].has_reserve = true;
        break;
      case LedgerEntry::Kind::kCharge:
        if (e.source == QuotaSource::kCredits) charged[e.owner] += e.amount;
        moves[e.job_id].charges += 1;
        break;
      case LedgerEntry::Kind::kRelease:
        moves[e.job_id].releases += 1;
        break;
    }
  }

  // The reservations: what is still open or counted, per quota.
  absl::flat_hash_map<std::string, int64_t> open_credits;  // by token hash
  absl::flat_hash_map<std::string, std::map<absl::CivilDay, int>> pass_counted;
  absl::flat_hash_map<std::string, int> free_counted;  // by free usage key
  std::map<absl::CivilDay, absl::flat_hash_map<std::string, int>> address_counted;
  for (const auto& [job_id, job] : store.reservations_) {
    int open = 0, charges = 0, releases = 0;
    for (IndexState state : job.states) {
      if (state == IndexState::kReserved) ++open;
      if (state == IndexState::kCharged) ++charges;
      if (state == IndexState::kReleased) ++releases;
    }
    const JobMoves& m = moves[job_id];
    if (!m.has_reserve || m.reserved != static_cast<int64_t>(job.states.size()) ||
        m.charges != charges || m.releases != releases) {
      return absl::InternalError(
          absl::StrCat("ledger and reservation of job ", job_id, " disagree"));
    }
    switch (job.source) {
      case QuotaSource::kCredits:
        open_credits[job.quota_key] += open;
        break;
      case QuotaSource::kPass:
        if (open + charges > 0) pass_counted[job.quota_key][job.pass_day] += open + charges;
        break;
      case QuotaSource::kFree:
        free_counted[job.quota_key] += open + charges;
        if (!job.address_key.empty() && open + charges > 0 &&
            store.address_used_.count(job.address_day) > 0) {
          address_counted[job.address_day][job.address_key] += open + charges;
        }
        break;
    }
  }
  // Each address's count of a kept day = the free citations reserved from it that day.
  for (const auto& [day, used_by_address] : store.address_used_) {
    for (const auto& [address, used] : used_by_address) {
      auto day_it = address_counted.find(day);
      const int want = day_it == address_counted.end() || !day_it->second.contains(address)
                           ? 0
                           : day_it->second.at(address);
      if (used != want) {
        return absl::InternalError(absl::StrCat("free usage of an address on ",
                                                absl::FormatCivilTime(day), ": ", used,
                                                " != ", want, " reserved"));
      }
    }
  }
  for (const auto& [day, counted_by_address] : address_counted) {
    for (const auto& [address, counted] : counted_by_address) {
      if (!store.address_used_.at(day).contains(address)) {
        return absl::InternalError("free citations reserved from an address but not counted");
      }
    }
  }
  if (moves.size() != store.reservations_.size()) {
    return absl::InternalError("ledger names a job without a reservation");
  }

  for (const auto& [hash, acct] : store.accounts_) {
    const std::string owner = AccountLedgerOwner(hash);
    if (acct.credits < 0) return absl::InternalError("negative credits");
    const int64_t expected = granted[owner] - charged[owner] - open_credits[hash];
    if (acct.credits != expected) {
      return absl::InternalError(absl::StrCat("credits ", acct.credits, " != granted ",
                                              granted[owner], " - charged ", charged[owner],
                                              " - reserved ", open_credits[hash]));
    }
    const std::map<absl::CivilDay, int>& counted = pass_counted[hash];
    for (const auto& [day, used] : acct.daily_used) {
      if (used < 0) return absl::InternalError("negative pass daily count");
      auto it = counted.find(day);
      const int want = it == counted.end() ? 0 : it->second;
      if (used != want) {
        return absl::InternalError(absl::StrCat("pass daily count ", used, " on ",
                                                absl::FormatCivilTime(day), " != ", want));
      }
    }
    for (const auto& [day, want] : counted) {
      auto it = acct.daily_used.find(day);
      if (it == acct.daily_used.end() || it->second != want) {
        return absl::InternalError("pass citations reserved but not counted");
      }
    }
  }
  for (const auto& [hash, open] : open_credits) {
    if (open > 0 && !store.accounts_.contains(hash)) {
      return absl::InternalError("credits reserved from an account that does not exist");
    }
  }
  for (const auto& [hash, days] : pass_counted) {
    if (!store.accounts_.contains(hash)) return absl::InternalError("pass use without an account");
  }
  for (const auto& [key, used] : store.free_used_) {
    if (used < 0) return absl::InternalError("negative free usage");
  }
  for (const auto& [key, counted] : free_counted) {
    auto it = store.free_used_.find(key);
    if (it == store.free_used_.end() || it->second < counted) {
      return absl::InternalError("free usage below the citations reserved from it");
    }
  }
  return absl::OkStatus();
}

}  // namespace citecheck

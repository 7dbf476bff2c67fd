#include "tests/server/accounts/memory_account_books.h"

#include <algorithm>
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

std::vector<LedgerEntry> MemoryAccountStorePeer::LedgerLocked(const MemoryAccountStore& store) {
  std::vector<LedgerEntry> ledger = store.grants_;
  for (const auto& [job_id, job] : store.reservations_) {
    ledger.insert(ledger.end(), job.ledger.begin(), job.ledger.end());
  }
  for (const auto& [key, forward] : store.forwards_) ledger.push_back(forward);
  for (const auto& [day, by_address] : store.address_forwards_) {
    for (const auto& [address, forward] : by_address) ledger.push_back(forward);
  }
  std::sort(ledger.begin(), ledger.end(),
            [](const LedgerEntry& a, const LedgerEntry& b) { return a.sequence < b.sequence; });
  return ledger;
}

std::vector<LedgerEntry> MemoryAccountStorePeer::Ledger(const MemoryAccountStore& store) {
  absl::MutexLock lock(&store.mu_);
  return LedgerLocked(store);
}

MemoryAccountStorePeer::Holdings MemoryAccountStorePeer::Held(const MemoryAccountStore& store) {
  absl::MutexLock lock(&store.mu_);
  Holdings held;
  held.reservations = static_cast<int>(store.reservations_.size());
  for (const auto& [job_id, job] : store.reservations_) held.job_entries += job.ledger.size();
  held.grant_entries = static_cast<int64_t>(store.grants_.size());
  held.forward_entries = static_cast<int64_t>(store.forwards_.size());
  for (const auto& [day, by_address] : store.address_forwards_) {
    held.forward_entries += static_cast<int64_t>(by_address.size());
  }
  return held;
}

bool MemoryAccountStorePeer::AddToForward(MemoryAccountStore& store, const std::string& key,
                                          int64_t delta) {
  absl::MutexLock lock(&store.mu_);
  if (auto it = store.forwards_.find(key); it != store.forwards_.end()) {
    it->second.amount += delta;
    return true;
  }
  for (auto& [day, by_address] : store.address_forwards_) {
    for (auto& [address, forward] : by_address) {
      if (forward.key != key) continue;
      forward.amount += delta;
      return true;
    }
  }
  return false;
}

absl::Status MemoryAccountStorePeer::CheckBooks(const MemoryAccountStore& store) {
  using IndexState = MemoryAccountStore::IndexState;
  absl::MutexLock lock(&store.mu_);

  // The ledger: unique keys; grants and charges per account; movements per job; forwards per
  // quota, counted below with what the reservations account for.
  absl::flat_hash_set<std::string> keys;
  absl::flat_hash_map<std::string, int64_t> granted;  // by ledger owner
  absl::flat_hash_map<std::string, int64_t> charged;  // credits, by ledger owner
  // What the reservations (and the forwards of forgotten ones) count against each quota.
  absl::flat_hash_map<std::string, int64_t> open_credits;  // by token hash
  absl::flat_hash_map<std::string, std::map<absl::CivilDay, int64_t>> pass_counted;  // by owner
  absl::flat_hash_map<std::string, int64_t> free_counted;  // by free usage key
  std::map<absl::CivilDay, absl::flat_hash_map<std::string, int64_t>> address_counted;
  struct JobMoves {
    int64_t reserved = 0;
    int charges = 0;
    int releases = 0;
    bool has_reserve = false;
  };
  absl::flat_hash_map<std::string, JobMoves> moves;
  for (const LedgerEntry& e : LedgerLocked(store)) {
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
      case LedgerEntry::Kind::kForward:
        if (!e.job_id.empty()) {
          return absl::InternalError(absl::StrCat("forward ", e.key, " names a job"));
        }
        switch (e.source) {
          case QuotaSource::kCredits:
            charged[e.owner] += e.amount;
            break;
          case QuotaSource::kPass:
            pass_counted[e.owner][e.day] += e.amount;
            break;
          case QuotaSource::kFree:
            if (e.address.empty()) {
              free_counted[e.owner] += e.amount;
            } else if (store.address_used_.count(e.day) == 0) {
              return absl::InternalError(
                  absl::StrCat("forward ", e.key, " of an address day no longer kept"));
            } else {
              address_counted[e.day][e.address] += e.amount;
            }
            break;
        }
        break;
    }
  }

  // The reservations: what is still open or counted, per quota.
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
        if (open + charges > 0) {
          pass_counted[AccountLedgerOwner(job.quota_key)][job.pass_day] += open + charges;
        }
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
      const int64_t want = day_it == address_counted.end() || !day_it->second.contains(address)
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

  absl::flat_hash_set<std::string> account_owners;
  for (const auto& [hash, acct] : store.accounts_) {
    const std::string owner = AccountLedgerOwner(hash);
    account_owners.insert(owner);
    if (acct.credits < 0) return absl::InternalError("negative credits");
    const int64_t expected = granted[owner] - charged[owner] - open_credits[hash];
    if (acct.credits != expected) {
      return absl::InternalError(absl::StrCat("credits ", acct.credits, " != granted ",
                                              granted[owner], " - charged ", charged[owner],
                                              " - reserved ", open_credits[hash]));
    }
    const std::map<absl::CivilDay, int64_t>& counted = pass_counted[owner];
    for (const auto& [day, used] : acct.daily_used) {
      if (used < 0) return absl::InternalError("negative pass daily count");
      auto it = counted.find(day);
      const int64_t want = it == counted.end() ? 0 : it->second;
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
  for (const auto& [owner, days] : pass_counted) {
    if (!account_owners.contains(owner)) return absl::InternalError("pass use without an account");
  }
  for (const auto& [owner, amount] : charged) {
    if (!account_owners.contains(owner)) {
      return absl::InternalError("credits charged to an account that does not exist");
    }
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

#ifndef CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_
#define CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_

// What the tests read of a MemoryAccountStore beyond the AccountStore interface: its ledger and
// its books, the in-memory counterpart of CheckAccountBooks (tests/server/storage/invariants.h).
// Each call takes the store's lock, so it may run while other threads use the store.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "server/accounts/memory_account_store.h"

namespace citecheck {

// The store's friend: reads its private state under its lock. Use the functions below.
class MemoryAccountStorePeer {
 public:
  struct Holdings {
    int reservations = 0;
    int64_t job_entries = 0;  // reserve, charge and release entries kept with the reservations
    int64_t grant_entries = 0;
    int64_t forward_entries = 0;  // credits, pass, free and address forwards
  };

  static std::vector<LedgerEntry> Ledger(const MemoryAccountStore& store);
  static absl::Status CheckBooks(const MemoryAccountStore& store);
  static Holdings Held(const MemoryAccountStore& store);
  static bool AddToForward(MemoryAccountStore& store, const std::string& key, int64_t delta);

 private:
  // Every ledger entry, oldest first.
  static std::vector<LedgerEntry> LedgerLocked(const MemoryAccountStore& store)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(store.mu_);
};

// A copy of every movement so far, oldest first (by LedgerEntry::sequence).
inline std::vector<LedgerEntry> MemoryLedger(const MemoryAccountStore& store) {
  return MemoryAccountStorePeer::Ledger(store);
}

// Verifies the books, counting forward entries (what Forget folded) with the movements they
// stand for. For every account, credits = credits granted − credits charged (including credit
// forwards) − credits still reserved, and the pass daily count of each UTC day = pass citations
// reserved that day and not released (including that day's forward). For every free user, used
// >= free citations reserved and not released plus its forward (>= because a floor raises the
// count for good). Each address's free count of a kept day = the free citations reserved from it
// that day and not released plus that day's forward, and no forward names a day no longer kept.
// Nothing is negative, every reservation's ledger adds up, every ledger key is unique and no
// movement names an account that does not exist. INTERNAL naming the first violation.
inline absl::Status CheckMemoryAccountBooks(const MemoryAccountStore& store) {
  return MemoryAccountStorePeer::CheckBooks(store);
}

// What the store holds: reservations and the ledger entries in each of its homes.
inline MemoryAccountStorePeer::Holdings MemoryAccountHoldings(const MemoryAccountStore& store) {
  return MemoryAccountStorePeer::Held(store);
}

// Breaks the books on purpose (to show CheckMemoryAccountBooks notices): adds `delta` to the
// amount of the forward entry keyed `key`. False when there is no such entry.
inline bool AddToMemoryForward(MemoryAccountStore& store, const std::string& key, int64_t delta) {
  return MemoryAccountStorePeer::AddToForward(store, key, delta);
}

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_

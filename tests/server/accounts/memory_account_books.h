#ifndef CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_
#define CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_

// What the tests read of a MemoryAccountStore beyond the AccountStore interface: its ledger and
// its books, the in-memory counterpart of CheckAccountBooks (tests/server/storage/invariants.h).
// Each call takes the store's lock, so it may run while other threads use the store.

#include <vector>

#include "absl/status/status.h"
#include "server/accounts/memory_account_store.h"

namespace citecheck {

// The store's friend: reads its private state under its lock. Use the functions below.
class MemoryAccountStorePeer {
 public:
  static std::vector<LedgerEntry> Ledger(const MemoryAccountStore& store);
  static absl::Status CheckBooks(const MemoryAccountStore& store);
};

// A copy of every movement so far, oldest first.
inline std::vector<LedgerEntry> MemoryLedger(const MemoryAccountStore& store) {
  return MemoryAccountStorePeer::Ledger(store);
}

// Verifies the books. For every account, credits = credits granted − credits charged − credits
// still reserved (grants and charges summed from the ledger), and the pass daily count of each
// UTC day = pass citations reserved that day and not released. For every free user, used >= free
// citations reserved and not released. Nothing is negative, every reservation's ledger adds up
// and every ledger key is unique. Each address's free count of a kept day = the free citations
// reserved from it that day and not released. INTERNAL naming the first violation.
inline absl::Status CheckMemoryAccountBooks(const MemoryAccountStore& store) {
  return MemoryAccountStorePeer::CheckBooks(store);
}

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_ACCOUNTS_MEMORY_ACCOUNT_BOOKS_H_

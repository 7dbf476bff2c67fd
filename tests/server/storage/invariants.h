#ifndef CITECHECK_TESTS_SERVER_STORAGE_INVARIANTS_H_
#define CITECHECK_TESTS_SERVER_STORAGE_INVARIANTS_H_

#include "absl/status/status.h"
#include "server/storage/mysql_pool.h"

namespace citecheck {

// The books of the account tables (schema versions 1 and 3), verified in one consistent snapshot:
// for every account, credits = credits granted - credits charged - credits still reserved;
// each UTC day's pass count = pass citations reserved that day and not released; every free
// key's usage >= its free citations reserved and not released; every client address's count
// of a kept day (schema version 3) = its free citations reserved that day and not released; every
// reservation agrees with its items and its ledger rows; nothing is negative. INTERNAL naming the
// first violation.
absl::Status CheckAccountBooks(MysqlPool& pool);

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_STORAGE_INVARIANTS_H_

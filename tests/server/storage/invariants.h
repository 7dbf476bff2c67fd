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

// What CheckJobBooks expects of the moment it looks.
enum class JobsExpected {
  kAnyState,  // jobs may still be running (e.g. checked mid-run)
  kAllEnded,  // the end of a test: every job is finished
};

// The books of the job tables (schema version 2) against the account tables, in one consistent
// snapshot, then CheckAccountBooks:
//  - every job's items are exactly 0..accepted-1 of kind reference, each in one state; an item
//    has one result event when SUCCEEDED, one failure event when FAILED, none otherwise; a
//    finished job has no PENDING item;
//  - every job's events are exactly 1..last_sequence (no gap, no duplicate); a finished job's
//    last event is its only terminal job_update, agreeing with the job row;
//  - jobs.succeeded / jobs.failed count the SUCCEEDED / FAILED items;
//  - the ledger charges exactly the SUCCEEDED items (one 'charge' row per item, none other)
//    and releases exactly the FAILED and CANCELLED ones; what is still reserved is exactly the
//    PENDING items of unfinished jobs (so nothing once every job ended);
//  - SUM(queue_counts.chunks) = the rows of job_chunks; no chunk belongs to a finished or
//    missing job, and the chunks of a job cover only its PENDING items;
//  - kAllEnded: no job is PENDING or RUNNING (and so nothing is reserved or queued).
// Jobs removed by retention are not looked at (their ledger rows stay, and CheckAccountBooks
// still balances them). INTERNAL naming the first violation (job id included).
absl::Status CheckJobBooks(MysqlPool& pool, JobsExpected expected);

}  // namespace citecheck

#endif  // CITECHECK_TESTS_SERVER_STORAGE_INVARIANTS_H_

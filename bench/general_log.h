#ifndef CITECHECK_BENCH_GENERAL_LOG_H_
#define CITECHECK_BENCH_GENERAL_LOG_H_

// Reading MariaDB's general query log (log_output=FILE) back into transactions, to count what
// the job store sends to the database: transactions per kind, statements (round trips) per
// transaction, citations recorded per recording transaction.

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

namespace citecheck::bench {

// One transaction of one connection as the log shows it: the statements a client sent from the
// end of the previous transaction up to and including its COMMIT or ROLLBACK (a SET of the
// isolation level or of autocommit before it counts as its own round trip, in `statements`).
// With autocommit on, each statement is its own transaction (`autocommit`).
struct LoggedTransaction {
  int64_t connection = 0;
  std::string user;                     // from the connection's Connect line; "" when unseen
  std::vector<std::string> statements;  // Query and Execute texts (values substituted), in order
  int prepares = 0;                     // statements prepared meanwhile (each a round trip)
  bool committed = false;               // ended with COMMIT
  bool autocommit = false;              // one statement run with autocommit on
  int64_t end_offset = 0;               // byte offset in the log of its last line
};

// The transactions of a general query log, per connection in the order they ended. Lines that
// are not statements (the header, Connect, Quit, Close stmt) only update the connection's
// state; statements still open at the end of the log are returned as an unfinished transaction
// (neither committed nor autocommit).
std::vector<LoggedTransaction> ParseGeneralLog(std::istream& log);

// What a transaction of citecheck-server did, told apart by its statements (see Classify).
enum class TransactionKind {
  kSubmit,           // job + reservation + items + chunks + first event
  kClaim,            // chunks claimed
  kClaimEmpty,       // a claim that found nothing
  kMarkRunning,      // claimed jobs moved to RUNNING
  kRecord,           // results + charges + events of a batch of chunks
  kHandBack,         // chunks returned to the queue
  kEndJob,           // cancel, or a deadline that ended a job
  kEventRead,        // a page of a job's events (watch catch-up, poller)
  kHeadRead,         // the heads of watched or running jobs (poller, cancel watch)
  kJobRead,          // GetJob, ListJobs, WatchJob's first look at the job
  kReplica,          // registration, heartbeat, dead-replica sweep, the name's lock
  kMaintenance,      // deadline and retention scans, orphan reservations, the queue's size
  kAccount,          // grants and balances
  kConnectionSetup,  // session variables set on a new connection
  kOther,
};

const char* KindName(TransactionKind kind);
TransactionKind Classify(const LoggedTransaction& transaction);

// Citations whose outcome the transaction wrote (rows of INSERT INTO job_items ... outcome).
int RecordedItems(const LoggedTransaction& transaction);

// Transactions, statements and prepares per kind, and citations recorded, of the
// transactions of users whose name starts with `user_prefix` that ended at or after byte
// `since_offset` of the log.
struct KindTally {
  int64_t transactions = 0;
  int64_t statements = 0;
  int64_t prepares = 0;
  int64_t recorded_items = 0;
};
std::map<TransactionKind, KindTally> TallyByKind(const std::vector<LoggedTransaction>& log,
                                                 const std::string& user_prefix,
                                                 int64_t since_offset = 0);

}  // namespace citecheck::bench

#endif  // CITECHECK_BENCH_GENERAL_LOG_H_

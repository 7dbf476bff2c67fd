#ifndef CITECHECK_SERVER_ACCOUNTS_MYSQL_ACCOUNT_STORE_H_
#define CITECHECK_SERVER_ACCOUNTS_MYSQL_ACCOUNT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/accounts/account_store.h"
#include "server/storage/mysql_pool.h"

namespace citecheck {

// AccountStore on MySQL/MariaDB (schema: server/storage/schema.h, versions 1 and 3): the durable
// store. Its results are those of MemoryAccountStore for the same calls (same rules from
// gating.h, same replies, same replays, same errors), with these storage limits: times are
// kept to the microsecond; caller keys longer than their column (free/owner keys 255 bytes,
// job and order ids 128) are stored as "sha256:<hex>" of the key.
//
// Every method is ONE transaction (READ COMMITTED; locking reads on what it changes; balance
// reads REPEATABLE READ), rerun as a whole after a deadlock, a lock wait timeout or a lost
// connection (MysqlPool). Reruns are safe because every write is keyed: job_id (reservation),
// (job_id, index) (settlement, guarded by UPDATE ... WHERE state = 'reserved'), order_id
// (grant) and the ledger's unique idempotency keys. Row locks are taken in one order: orders;
// then reservation_items (Settle, sorted by job and index); then accounts, pass_daily_usage,
// free_usage, free_address_usage, each sorted by key (Settle touches them in that order;
// Reserve locks one account and its pass day, or one free_usage row and then its address's
// free_address_usage row of the day); new reservation and ledger rows last. Every free
// reservation of one client address serializes on that address's row of the day.
//
// Errors beyond MemoryAccountStore's: UNAVAILABLE (database unreachable after retries),
// ABORTED (conflicts persisted), INTERNAL (anything else). Messages never contain SQL, a token
// or a value; tokens are never stored (accounts are keyed by Sha256Hex(token)).
//
// Thread-safe: each calling thread uses its own connection (one per thread, see MysqlPool).
class MysqlAccountStore final : public AccountStore {
 public:
  // Runs on `pool` (a Database's: schema version >= 1), which must outlive the store.
  MysqlAccountStore(MysqlPool* pool, QuotaRules rules) : rules_(rules), pool_(pool) {}

  MysqlAccountStore(const MysqlAccountStore&) = delete;
  MysqlAccountStore& operator=(const MysqlAccountStore&) = delete;

  // Each of these is one transaction of its own.
  absl::StatusOr<Reservation> Reserve(const ReserveRequest& request) override;
  absl::Status Settle(absl::Span<const Settlement> settlements) override;
  absl::StatusOr<v1::Balance> GetBalance(const Caller& caller, absl::Time now) override;
  absl::StatusOr<v1::Balance> GrantCredits(const std::string& token, int64_t credits,
                                           const std::string& order_id, absl::Time now) override;
  absl::StatusOr<v1::Balance> GrantPass(const std::string& token, int days,
                                        const std::string& order_id, absl::Time now) override;

  // Reserve and Settle as statements of the caller's transaction `tx` (READ COMMITTED, on this
  // store's pool), so that another store can make "create a job and reserve its quota" or
  // "record results and charge them" one transaction. Same rules, row locks in the same order
  // (they come first in the lock order of the caller's transaction, after the caller's own
  // locks), same idempotency. An error (RetryTransaction included) must fail the caller's
  // transaction. `now` stamps the ledger rows of SettleIn.
  absl::StatusOr<Reservation> ReserveIn(Transaction& tx, const ReserveRequest& request);
  absl::Status SettleIn(Transaction& tx, absl::Span<const Settlement> settlements, absl::Time now);

  // Deletes at most `limit` rows of free_address_usage of days before `before`, in a transaction
  // of its own, and returns how many. Only today's and yesterday's counts admit or give back
  // free citations; an address's older rows are otherwise deleted only when it returns.
  absl::StatusOr<int> DeleteAddressUsageBefore(absl::CivilDay before, int limit);

 private:
  const QuotaRules rules_;
  MysqlPool* const pool_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_MYSQL_ACCOUNT_STORE_H_

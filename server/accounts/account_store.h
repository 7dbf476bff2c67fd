#ifndef CITECHECK_SERVER_ACCOUNTS_ACCOUNT_STORE_H_
#define CITECHECK_SERVER_ACCOUNTS_ACCOUNT_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/identity.h"

namespace citecheck {

// Product rules the stores apply (DESIGN §2). Plain values; main() fills them from flags.
struct QuotaRules {
  int free_limit = 5;           // free citations per free user, in total
  int pass_daily_limit = 1000;  // citations per UTC day on an active pass
  // Free citations per client address (Caller::address_key) per UTC day, across all free ids
  // and anonymous callers of that address; 0 = no cap.
  int free_address_daily_limit = 50;
};

// Asks for quota for a new job's citations.
struct ReserveRequest {
  Caller caller;
  std::string job_id;  // the reservation's key: reserving twice for one job reserves once
  int citations = 0;   // the batch's total; the first `accepted` of them are reserved
  absl::Time now;
};

// What Reserve granted. Citations [0, accepted) are reserved; the rest are locked.
struct Reservation {
  int accepted = 0;
  int locked = 0;
  v1::LimitType limit_type = v1::LIMIT_TYPE_NONE;
  v1::UserStatus user_status;  // the caller's quota right after this reservation
};

// What happens to one reserved citation.
struct Settlement {
  enum class Kind { kCharge, kRelease };
  std::string job_id;
  int index = 0;
  Kind kind = Kind::kCharge;
};

// Accounts, passes and free usage (DESIGN §2). Quota is reserved before a job's citations are
// scheduled; each reserved citation is later settled exactly once: charged when its result is
// recorded, released when it fails or is cancelled. Every method is atomic and keyed so that
// a replay (retry, duplicate message, crash recovery) changes nothing.
//
// Implementations: MemoryAccountStore (development and unit tests) and MysqlAccountStore.
// Thread-safe.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // Reserves quota for the first citations of job `request.job_id`:
  //  - an active pass first: all-or-nothing against the pass's daily limit (UTC day of
  //    `now`); over it → RESOURCE_EXHAUSTED, reason DAILY_LIMIT_REACHED, with the reset time
  //    (ErrorInfo metadata "reset_time" in RFC 3339, QuotaFailure, RetryInfo); credits are
  //    never touched while a pass is active;
  //  - else credits: accepted = min(n, credits), the rest locked, LIMIT_TYPE_CREDITS_EXHAUSTED;
  //  - else the free allowance: accepted = min(n, free_limit - max(used, free_used_floor),
  //    free_address_daily_limit - what the caller's address_key used this UTC day), the rest
  //    locked LIMIT_TYPE_FREE_LIMIT; both counts grow by what is accepted (a release gives both
  //    back, the address count only to the day it was reserved on). An unknown token is an
  //    account with 0 credits.
  // Reserving again for the same job_id returns the first reservation and reserves nothing.
  virtual absl::StatusOr<Reservation> Reserve(const ReserveRequest& request) = 0;

  // Settles reserved citations. Each (job_id, index) is settled at most once: later
  // settlements of it, and settlements of citations that were never reserved, are no-ops.
  // A release gives the quota back (credits, free allowance or pass daily count).
  virtual absl::Status Settle(absl::Span<const Settlement> settlements) = 0;

  // The caller's balance at `now`: with a token its account, else its free usage.
  virtual absl::StatusOr<v1::Balance> GetBalance(const Caller& caller, absl::Time now) = 0;

  // Adds `credits` (> 0) to the account of `token`, once per `order_id`. The same order with
  // the same content again → the current balance, nothing granted; the same order_id with other
  // content → INVALID_ARGUMENT ORDER_ID_REUSED.
  virtual absl::StatusOr<v1::Balance> GrantCredits(const std::string& token, int64_t credits,
                                                   const std::string& order_id, absl::Time now) = 0;

  // Grants a pass of `days` ∈ {1, 7, 30}: expiry = max(now, current expiry) + days. Idempotent
  // by `order_id` like GrantCredits.
  virtual absl::StatusOr<v1::Balance> GrantPass(const std::string& token, int days,
                                                const std::string& order_id, absl::Time now) = 0;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_ACCOUNT_STORE_H_

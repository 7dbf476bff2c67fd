#ifndef CITECHECK_SERVER_ACCOUNTS_GATING_H_
#define CITECHECK_SERVER_ACCOUNTS_GATING_H_

// The arithmetic of DESIGN §2 (free allowance, credits, passes) as stateless functions. The
// stores call these under their own locks; nothing here reads a clock or touches storage.

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.pb.h"
#include "server/accounts/account_store.h"

namespace citecheck {

// How much of a batch a quota admits: citations [0, accepted) are checked, the rest locked.
struct Admission {
  int accepted = 0;
  int locked = 0;
  // LIMIT_TYPE_NONE when nothing is locked, else why.
  v1::LimitType limit_type = v1::LIMIT_TYPE_NONE;
};

// An order id's longest form: the ledger's column (MySQL order_id VARBINARY(128)).
inline constexpr size_t kMaxOrderIdBytes = 128;

// The ids of a grant: `token` not empty; `order_id` 1 to kMaxOrderIdBytes bytes, each printable
// ASCII (space to '~'): a payment id, never a control character that could forge a log line.
// INVALID_ARGUMENT INVALID_GRANT naming the field otherwise.
absl::Status ValidateGrantIds(const std::string& token, const std::string& order_id);

// The free allowance: accepted = min(requested, free_limit - used), never negative. A negative
// `requested` counts as 0. Locked citations are LIMIT_TYPE_FREE_LIMIT.
Admission AdmitFree(int requested, int free_limit, int used);

// The free allowance of a caller whose client address is also capped: AdmitFree, further
// limited to `address_limit - address_used` (never negative). `address_limit` 0 = no cap.
Admission AdmitFreeFromAddress(int requested, int free_limit, int used, int address_limit,
                               int address_used);

// Credits, one per citation: accepted = min(requested, credits), never negative. Locked
// citations are LIMIT_TYPE_CREDITS_EXHAUSTED.
Admission AdmitCredits(int requested, int64_t credits);

// Passes are all-or-nothing: true when `requested` more citations fit into today's limit
// (daily_used + requested <= daily_limit). Computed without overflow.
bool PassAdmits(int requested, int daily_used, int daily_limit);

// The free usage the server counts: max(server_used, floor). `floor` is the client's
// x-free-used claim; it can only raise the count, and a negative floor is ignored.
int EffectiveFreeUsed(int server_used, std::optional<int> floor);

// The UTC calendar day of `t`; pass daily counts are kept per UTC day, never local time.
absl::CivilDay UtcDay(absl::Time t);

// The first UTC midnight strictly after `now`: when the pass daily count resets.
absl::Time NextUtcMidnight(absl::Time now);

// `t` in RFC 3339 UTC with seconds, e.g. "2027-01-02T00:00:00+00:00".
std::string FormatRfc3339Utc(absl::Time t);

// Pass lengths that can be granted: 1, 7 or 30 days.
bool IsValidPassDays(int days);

// The pass_type of a pass of `days`: "1day", "7day" or "30day" ("" for other values).
std::string PassTypeForDays(int days);

// RESOURCE_EXHAUSTED, reason DAILY_LIMIT_REACHED, for a batch of `requested` citations that
// does not fit into a pass's daily limit at `now`. Carries ErrorInfo metadata "reset_time" (the
// next UTC midnight, RFC 3339), "daily_used" and "daily_limit", a QuotaFailure violation and a
// RetryInfo delaying until the reset.
absl::Status DailyLimitReachedError(int requested, int daily_used, int daily_limit, absl::Time now);

// What Reserve reports, the same for every store. `n` citations on an active pass whose UTC day
// count was `daily_used` before them (the caller checked PassAdmits); credits are untouched.
Reservation PassReservation(int n, int daily_used, int daily_limit, absl::Time now,
                            absl::Time pass_expiry, int64_t credits);
// `admission` of the account's credits; `credits_after` = what is left after it.
Reservation CreditsReservation(const Admission& admission, int64_t credits_after);
// `admission` of the free allowance; `used_after` = the server's count after it.
Reservation FreeReservation(const Admission& admission, int used_after, int free_limit);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_GATING_H_

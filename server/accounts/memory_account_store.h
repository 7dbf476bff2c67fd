#ifndef CITECHECK_SERVER_ACCOUNTS_MEMORY_ACCOUNT_STORE_H_
#define CITECHECK_SERVER_ACCOUNTS_MEMORY_ACCOUNT_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/accounts/account_store.h"

namespace citecheck {

// Which quota a movement or a reservation draws on.
enum class QuotaSource { kCredits, kPass, kFree };

// One movement of quota, as the in-memory ledger records it. Every entry has a unique
// idempotency key: "grant:<order_id>", "reserve:<job_id>", "charge:<job_id>:<index>",
// "release:<job_id>:<index>".
struct LedgerEntry {
  enum class Kind { kGrant, kReserve, kCharge, kRelease };
  std::string key;
  Kind kind = Kind::kGrant;
  QuotaSource source = QuotaSource::kCredits;
  // "acct:<sha256(token)>" for accounts, the free usage key ("free:<id>", "anon:<ip>") for
  // free users.
  std::string owner;
  std::string order_id;  // grants
  std::string job_id;    // reserve, charge, release
  int index = -1;        // charge, release
  // Grants: credits, or days of a pass. Reserve: citations reserved. Charge, release: 1.
  int64_t amount = 0;
};

// AccountStore held in memory: the development store and the one the job manager's unit tests
// use. Complete (every rule of DESIGN §2) but not durable. Every method is atomic under one
// mutex. Thread-safe.
class MemoryAccountStore final : public AccountStore {
 public:
  explicit MemoryAccountStore(QuotaRules rules);

  MemoryAccountStore(const MemoryAccountStore&) = delete;
  MemoryAccountStore& operator=(const MemoryAccountStore&) = delete;

  absl::StatusOr<Reservation> Reserve(const ReserveRequest& request) override;
  absl::Status Settle(absl::Span<const Settlement> settlements) override;
  absl::StatusOr<v1::Balance> GetBalance(const Caller& caller, absl::Time now) override;
  absl::StatusOr<v1::Balance> GrantCredits(const std::string& token, int64_t credits,
                                           const std::string& order_id, absl::Time now) override;
  absl::StatusOr<v1::Balance> GrantPass(const std::string& token, int days,
                                        const std::string& order_id, absl::Time now) override;

  // For tests: a copy of every movement so far, oldest first.
  std::vector<LedgerEntry> LedgerForTest() const;

  // For tests: verifies the books. For every account, credits = credits granted − credits
  // charged − credits still reserved (grants and charges summed from the ledger), and the
  // pass daily count of each UTC day = pass citations reserved that day and not released. For
  // every free user, used >= free citations reserved and not released. Nothing is negative,
  // every reservation's ledger adds up and every ledger key is unique. Each address's count of a
  // kept day = the free citations reserved from it that day and not released. INTERNAL on a
  // violation.
  absl::Status CheckInvariants() const;

 private:
  enum class IndexState : uint8_t { kReserved, kCharged, kReleased };

  struct Account {
    int64_t credits = 0;
    absl::Time pass_expiry = absl::InfinitePast();
    std::string pass_type;                     // the latest pass grant's type; "" if none
    std::map<absl::CivilDay, int> daily_used;  // pass citations per UTC day
  };

  struct Order {
    QuotaSource source = QuotaSource::kCredits;  // kCredits or kPass
    std::string token_hash;
    int64_t amount = 0;  // credits or days
  };

  struct JobReservation {
    std::string owner_key;  // the caller's OwnerKey() at reserve time
    std::string quota_key;  // account token hash, or free usage key
    QuotaSource source = QuotaSource::kCredits;
    absl::CivilDay pass_day;         // kPass: the UTC day whose count it used
    std::string address_key;         // kFree: the address whose daily count it used, or ""
    absl::CivilDay address_day;      // kFree with an address_key: the UTC day of that count
    std::vector<IndexState> states;  // one per accepted citation
    Reservation reservation;         // what Reserve returned
  };

  static bool PassActive(const Account& account, absl::Time now);
  v1::Balance AccountBalance(const std::string& token_hash, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks a grant's order_id: true when it was applied before with the same content; an
  // error when it was used for other content; false when it is new.
  absl::StatusOr<bool> CheckOrder(const std::string& order_id, const Order& order) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLedger(LedgerEntry entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives one free citation back to `address`'s count of `day`, when that day is still kept.
  void ReleaseAddressCitation(absl::CivilDay day, const std::string& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Stores `order` under `order_id` and appends its grant to the ledger.
  void RecordGrant(const std::string& order_id, Order order) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const QuotaRules rules_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Account> accounts_ ABSL_GUARDED_BY(mu_);  // by token hash
  absl::flat_hash_map<std::string, int> free_used_ ABSL_GUARDED_BY(mu_);     // by FreeUsageKey()
  // Free citations per client address (Caller::address_key) and UTC day. Only the newest day
  // and the one before are kept (releases of older reservations give nothing back to them).
  std::map<absl::CivilDay, absl::flat_hash_map<std::string, int>> address_used_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Order> orders_ ABSL_GUARDED_BY(mu_);  // by order_id
  absl::flat_hash_map<std::string, JobReservation> reservations_ ABSL_GUARDED_BY(mu_);
  std::vector<LedgerEntry> ledger_ ABSL_GUARDED_BY(mu_);
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_MEMORY_ACCOUNT_STORE_H_

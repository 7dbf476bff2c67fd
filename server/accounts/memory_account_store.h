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
#include "server/accounts/gating.h"

namespace citecheck {

// Which quota a movement or a reservation draws on.
enum class QuotaSource { kCredits, kPass, kFree };

// One movement of quota, as the in-memory ledger records it. Every entry has a unique
// idempotency key: "grant:<order_id>", "reserve:<job_id>", "charge:<job_id>:<index>",
// "release:<job_id>:<index>", and for balances carried forward (kForward)
// "forward:credits:<owner>", "forward:pass:<owner>:<day>", "forward:free:<owner>",
// "forward:address:<address>:<day>" (days as YYYY-MM-DD).
struct LedgerEntry {
  // kForward: what the jobs MemoryAccountStore::Forget dropped charged, folded into one entry
  // per quota they counted against: credits per account; pass citations per account and UTC
  // day; free citations per free usage key; free citations per client address and UTC day
  // while the store keeps that day's address count. Its amount grows with every job folded in.
  enum class Kind { kGrant, kReserve, kCharge, kRelease, kForward };
  std::string key;
  Kind kind = Kind::kGrant;
  QuotaSource source = QuotaSource::kCredits;
  // "acct:<sha256(token)>" for accounts, the free usage key ("free:<id>", "anon:<ip>") for
  // free users; "" for a forward of an address's count.
  std::string owner;
  std::string order_id;  // grants
  std::string job_id;    // reserve, charge, release
  int index = -1;        // charge, release
  std::string address;   // forward of an address's free count: the address (Caller::address_key)
  absl::CivilDay day;    // forward of a pass or address daily count: the UTC day
  // Grants: credits, or days of a pass. Reserve: citations reserved. Charge, release: 1.
  // Forward: citations charged by the forgotten jobs.
  int64_t amount = 0;
  // Order of recording, unique and increasing; a forward takes a new one each time it grows.
  int64_t sequence = 0;
};

// AccountStore held in memory: the development store and the one the job manager's unit tests
// use. Complete (every rule of DESIGN §2) but not durable. Every method is atomic under one
// mutex. Thread-safe.
//
// Retention: a job's reservation and its ledger entries live until Forget (MemoryJobStore's
// Sweep calls it for the jobs retention removes); what is kept afterwards per forgotten job is
// nothing but its share of a forward entry, so memory does not grow with the jobs served. Grants
// and orders are kept for good (they make grants idempotent).
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

  // Drops the reservation and ledger entries of each job of `job_ids` whose citations are all
  // settled (charged or released), folding what it charged into the forward entries of the
  // quotas it counted against (LedgerEntry::Kind::kForward), so that every balance and count
  // still equals what the kept ledger and reservations account for. A job with a citation still
  // reserved is kept as it is (a finished job never has one); unknown ids are skipped. Memory
  // only: the MySQL store keeps its ledger for good, as the audit record.
  //
  // After Forget, a Settle of the job is a no-op. The store keeps no trace of a forgotten id: a
  // later Reserve of it is a new job, reserving again. Callers forget only ids that are never
  // reserved again (the job store issues each job id once).
  void Forget(absl::Span<const std::string> job_ids);

 private:
  friend class MemoryAccountStorePeer;  // tests/server/accounts/memory_account_books.h

  enum class IndexState : uint8_t { kReserved, kCharged, kReleased };

  struct Account : AccountState {
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
    absl::CivilDay pass_day;          // kPass: the UTC day whose count it used
    std::string address_key;          // kFree: the address whose daily count it used, or ""
    absl::CivilDay address_day;       // kFree with an address_key: the UTC day of that count
    std::vector<IndexState> states;   // one per accepted citation
    Reservation reservation;          // what Reserve returned
    std::vector<LedgerEntry> ledger;  // its reserve, charges and releases, oldest first
  };

  v1::Balance BalanceOf(const std::string& token_hash, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks a grant's order_id: true when it was applied before with the same content; an
  // error when it was used for other content; false when it is new.
  absl::StatusOr<bool> CheckOrder(const std::string& order_id, const Order& order) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives `entry` the next sequence and appends it to `ledger` (grants_ or a job's).
  void AppendLedger(LedgerEntry entry, std::vector<LedgerEntry>& ledger)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `charged` (> 0) citations of forgotten `job` to the forward entries of its quotas.
  void CarryForward(const JobReservation& job, int charged) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `amount` to the forward entry `forward` (a copy of `made` when new, i.e. keyless) and
  // gives it the next sequence.
  void GrowForward(LedgerEntry& forward, const LedgerEntry& made, int64_t amount)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the address counts (and their forward entries) of the days before `first_kept`.
  void DropAddressDaysBefore(absl::CivilDay first_kept) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
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
  // The ledger lives in three homes, merged by sequence (oldest first) for the books: grants
  // here, each job's entries with its reservation, forward entries below.
  std::vector<LedgerEntry> grants_ ABSL_GUARDED_BY(mu_);
  // Forwards of credits, pass and free usage, by key: at most one per account, account and pass
  // day, and free usage key, as the counts they balance.
  absl::flat_hash_map<std::string, LedgerEntry> forwards_ ABSL_GUARDED_BY(mu_);
  // Forwards of address counts, by day and address: only for the days address_used_ keeps.
  std::map<absl::CivilDay, absl::flat_hash_map<std::string, LedgerEntry>> address_forwards_
      ABSL_GUARDED_BY(mu_);
  int64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_MEMORY_ACCOUNT_STORE_H_

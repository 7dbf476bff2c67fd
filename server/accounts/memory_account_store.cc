#include "server/accounts/memory_account_store.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/accounts/gating.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/common/proto_time.h"
#include "server/common/service_metrics.h"

namespace citecheck {
namespace {

std::string AccountOwner(const std::string& token_hash) {
  return absl::StrCat("acct:", token_hash);
}

}  // namespace

MemoryAccountStore::MemoryAccountStore(QuotaRules rules) : rules_(rules) {}

bool MemoryAccountStore::PassActive(const Account& account, absl::Time now) {
  return now < account.pass_expiry;
}

absl::StatusOr<Reservation> MemoryAccountStore::Reserve(const ReserveRequest& request) {
  if (request.job_id.empty()) return absl::InvalidArgumentError("Reserve: empty job_id");
  if (request.citations < 0) return absl::InvalidArgumentError("Reserve: negative citations");
  const Caller& caller = request.caller;
  const int n = request.citations;
  const absl::Time now = request.now;

  absl::MutexLock lock(&mu_);
  if (auto it = reservations_.find(request.job_id); it != reservations_.end()) {
    if (it->second.owner_key != caller.OwnerKey()) {
      return absl::FailedPreconditionError("Reserve: job_id already reserved by another owner");
    }
    return it->second.reservation;
  }

  JobReservation job;
  job.owner_key = caller.OwnerKey();
  Reservation& out = job.reservation;
  std::string ledger_owner;
  if (!caller.is_free()) {
    job.quota_key = Sha256Hex(caller.token);
    ledger_owner = AccountOwner(job.quota_key);
    auto acct_it = accounts_.find(job.quota_key);
    Account* acct = acct_it == accounts_.end() ? nullptr : &acct_it->second;
    if (acct != nullptr && PassActive(*acct, now)) {
      job.source = QuotaSource::kPass;
      job.pass_day = UtcDay(now);
      auto day_it = acct->daily_used.find(job.pass_day);
      const int used = day_it == acct->daily_used.end() ? 0 : day_it->second;
      if (!PassAdmits(n, used, rules_.pass_daily_limit)) {
        return DailyLimitReachedError(n, used, rules_.pass_daily_limit, now);
      }
      if (n > 0) acct->daily_used[job.pass_day] = used + n;
      out =
          PassReservation(n, used, rules_.pass_daily_limit, now, acct->pass_expiry, acct->credits);
    } else {
      job.source = QuotaSource::kCredits;
      const Admission admission = AdmitCredits(n, acct == nullptr ? 0 : acct->credits);
      if (acct != nullptr) acct->credits -= admission.accepted;
      out = CreditsReservation(admission, acct == nullptr ? 0 : acct->credits);
    }
  } else {
    job.source = QuotaSource::kFree;
    job.quota_key = caller.FreeUsageKey();
    ledger_owner = job.quota_key;
    int& stored = free_used_[job.quota_key];
    stored = EffectiveFreeUsed(stored, caller.free_used_floor);  // a floor raises it for good
    const bool capped = rules_.free_address_daily_limit > 0 && !caller.address_key.empty();
    const absl::CivilDay today = UtcDay(now);
    int* address_used = nullptr;
    if (capped) {
      // Keep today and the day before; older days can only receive releases, which are moot.
      while (!address_used_.empty() && address_used_.begin()->first < today - 1) {
        address_used_.erase(address_used_.begin());
      }
      address_used = &address_used_[today][caller.address_key];
    }
    const Admission admission = AdmitFreeFromAddress(n, rules_.free_limit, stored,
                                                     capped ? rules_.free_address_daily_limit : 0,
                                                     capped ? *address_used : 0);
    stored += admission.accepted;
    if (capped) {
      *address_used += admission.accepted;
      if (admission.accepted > 0) {
        job.address_key = caller.address_key;
        job.address_day = today;
      } else if (*address_used == 0) {
        address_used_[today].erase(caller.address_key);
      }
    }
    out = FreeReservation(admission, stored, rules_.free_limit);
  }
  job.states.assign(out.accepted, IndexState::kReserved);

  LedgerEntry entry;
  entry.key = absl::StrCat("reserve:", request.job_id);
  entry.kind = LedgerEntry::Kind::kReserve;
  entry.source = job.source;
  entry.owner = std::move(ledger_owner);
  entry.job_id = request.job_id;
  entry.amount = out.accepted;
  AppendLedger(std::move(entry));

  Reservation result = out;
  reservations_.emplace(request.job_id, std::move(job));
  return result;
}

absl::Status MemoryAccountStore::Settle(absl::Span<const Settlement> settlements) {
  absl::MutexLock lock(&mu_);
  for (const Settlement& s : settlements) {
    auto it = reservations_.find(s.job_id);
    if (it == reservations_.end()) continue;
    JobReservation& job = it->second;
    if (s.index < 0 || s.index >= static_cast<int>(job.states.size())) continue;
    IndexState& state = job.states[s.index];
    if (state != IndexState::kReserved) continue;  // settled before

    LedgerEntry entry;
    entry.source = job.source;
    entry.owner = job.source == QuotaSource::kFree ? job.quota_key : AccountOwner(job.quota_key);
    entry.job_id = s.job_id;
    entry.index = s.index;
    entry.amount = 1;
    if (s.kind == Settlement::Kind::kCharge) {
      // The quota was taken at reserve time; charging makes that final.
      state = IndexState::kCharged;
      entry.kind = LedgerEntry::Kind::kCharge;
      entry.key = absl::StrCat("charge:", s.job_id, ":", s.index);
    } else {
      state = IndexState::kReleased;
      entry.kind = LedgerEntry::Kind::kRelease;
      entry.key = absl::StrCat("release:", s.job_id, ":", s.index);
      switch (job.source) {
        case QuotaSource::kCredits:
          accounts_[job.quota_key].credits += 1;
          break;
        case QuotaSource::kPass: {
          int& used = accounts_[job.quota_key].daily_used[job.pass_day];
          if (used > 0) --used;
          break;
        }
        case QuotaSource::kFree: {
          int& used = free_used_[job.quota_key];
          if (used > 0) --used;
          if (!job.address_key.empty()) ReleaseAddressCitation(job.address_day, job.address_key);
          break;
        }
      }
    }
    AppendLedger(std::move(entry));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GetBalance(const Caller& caller, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!caller.is_free()) return AccountBalance(Sha256Hex(caller.token), now);
  v1::Balance balance;
  balance.set_kind(v1::USER_KIND_FREE);
  auto it = free_used_.find(caller.FreeUsageKey());
  const int stored = it == free_used_.end() ? 0 : it->second;
  // Reads never write: the floor shows here and is stored by the next Reserve.
  balance.set_free_used(EffectiveFreeUsed(stored, caller.free_used_floor));
  balance.set_free_limit(rules_.free_limit);
  return balance;
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GrantCredits(const std::string& token,
                                                             int64_t credits,
                                                             const std::string& order_id,
                                                             absl::Time now) {
  if (absl::Status s = ValidateGrantIds(token, order_id); !s.ok()) return s;
  if (credits <= 0) return FieldError(reason::kInvalidGrant, "credits", "must be positive");
  const std::string token_hash = Sha256Hex(token);
  Order order{QuotaSource::kCredits, token_hash, credits};

  absl::MutexLock lock(&mu_);
  absl::StatusOr<bool> replay = CheckOrder(order_id, order);
  if (!replay.ok()) return replay.status();
  if (*replay) return AccountBalance(token_hash, now);

  Account& acct = accounts_[token_hash];
  if (acct.credits > std::numeric_limits<int64_t>::max() - credits) {
    return FieldError(reason::kInvalidGrant, "credits", "the balance would overflow");
  }
  acct.credits += credits;
  RecordGrant(order_id, std::move(order));
  return AccountBalance(token_hash, now);
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GrantPass(const std::string& token, int days,
                                                          const std::string& order_id,
                                                          absl::Time now) {
  if (absl::Status s = ValidateGrantIds(token, order_id); !s.ok()) return s;
  if (!IsValidPassDays(days)) {
    return FieldError(reason::kInvalidGrant, "days", "must be 1, 7 or 30");
  }
  const std::string token_hash = Sha256Hex(token);
  Order order{QuotaSource::kPass, token_hash, days};

  absl::MutexLock lock(&mu_);
  absl::StatusOr<bool> replay = CheckOrder(order_id, order);
  if (!replay.ok()) return replay.status();
  if (*replay) return AccountBalance(token_hash, now);

  Account& acct = accounts_[token_hash];
  acct.pass_expiry = std::max(now, acct.pass_expiry) + absl::Hours(24) * days;
  acct.pass_type = PassTypeForDays(days);
  RecordGrant(order_id, std::move(order));
  return AccountBalance(token_hash, now);
}

void MemoryAccountStore::RecordGrant(const std::string& order_id, Order order) {
  ServiceMetrics::Get().LedgerEntries(LedgerKind::kGrant);
  LedgerEntry entry;
  entry.key = absl::StrCat("grant:", order_id);
  entry.kind = LedgerEntry::Kind::kGrant;
  entry.source = order.source;
  entry.owner = AccountOwner(order.token_hash);
  entry.order_id = order_id;
  entry.amount = order.amount;
  orders_.emplace(order_id, std::move(order));
  AppendLedger(std::move(entry));
}

std::vector<LedgerEntry> MemoryAccountStore::LedgerForTest() const {
  absl::MutexLock lock(&mu_);
  return ledger_;
}

absl::Status MemoryAccountStore::CheckInvariants() const {
  absl::MutexLock lock(&mu_);

  // The ledger: unique keys; grants and charges per account; movements per job.
  absl::flat_hash_set<std::string> keys;
  absl::flat_hash_map<std::string, int64_t> granted;  // by ledger owner
  absl::flat_hash_map<std::string, int64_t> charged;  // credits, by ledger owner
  struct JobMoves {
    int64_t reserved = 0;
    int charges = 0;
    int releases = 0;
    bool has_reserve = false;
  };
  absl::flat_hash_map<std::string, JobMoves> moves;
  for (const LedgerEntry& e : ledger_) {
    if (!keys.insert(e.key).second) {
      return absl::InternalError(absl::StrCat("duplicate ledger key ", e.key));
    }
    if (e.amount < 0) return absl::InternalError(absl::StrCat("negative amount in ", e.key));
    switch (e.kind) {
      case LedgerEntry::Kind::kGrant:
        if (e.source == QuotaSource::kCredits) granted[e.owner] += e.amount;
        break;
      case LedgerEntry::Kind::kReserve:
        moves[e.job_id].reserved += e.amount;
        moves[e.job_id].has_reserve = true;
        break;
      case LedgerEntry::Kind::kCharge:
        if (e.source == QuotaSource::kCredits) charged[e.owner] += e.amount;
        moves[e.job_id].charges += 1;
        break;
      case LedgerEntry::Kind::kRelease:
        moves[e.job_id].releases += 1;
        break;
    }
  }

  // The reservations: what is still open or counted, per quota.
  absl::flat_hash_map<std::string, int64_t> open_credits;  // by token hash
  absl::flat_hash_map<std::string, std::map<absl::CivilDay, int>> pass_counted;
  absl::flat_hash_map<std::string, int> free_counted;  // by free usage key
  std::map<absl::CivilDay, absl::flat_hash_map<std::string, int>> address_counted;
  for (const auto& [job_id, job] : reservations_) {
    int open = 0, charges = 0, releases = 0;
    for (IndexState state : job.states) {
      if (state == IndexState::kReserved) ++open;
      if (state == IndexState::kCharged) ++charges;
      if (state == IndexState::kReleased) ++releases;
    }
    const JobMoves& m = moves[job_id];
    if (!m.has_reserve || m.reserved != static_cast<int64_t>(job.states.size()) ||
        m.charges != charges || m.releases != releases) {
      return absl::InternalError(
          absl::StrCat("ledger and reservation of job ", job_id, " disagree"));
    }
    switch (job.source) {
      case QuotaSource::kCredits:
        open_credits[job.quota_key] += open;
        break;
      case QuotaSource::kPass:
        if (open + charges > 0) pass_counted[job.quota_key][job.pass_day] += open + charges;
        break;
      case QuotaSource::kFree:
        free_counted[job.quota_key] += open + charges;
        if (!job.address_key.empty() && open + charges > 0 &&
            address_used_.count(job.address_day) > 0) {
          address_counted[job.address_day][job.address_key] += open + charges;
        }
        break;
    }
  }
  for (const auto& [day, used_by_address] : address_used_) {
    for (const auto& [address, used] : used_by_address) {
      auto day_it = address_counted.find(day);
      const int want = day_it == address_counted.end() || !day_it->second.contains(address)
                           ? 0
                           : day_it->second.at(address);
      if (used != want) {
        return absl::InternalError(absl::StrCat("free usage of an address on ",
                                                absl::FormatCivilTime(day), ": ", used,
                                                " != ", want, " reserved"));
      }
    }
  }
  for (const auto& [day, counted_by_address] : address_counted) {
    for (const auto& [address, counted] : counted_by_address) {
      if (!address_used_.at(day).contains(address)) {
        return absl::InternalError("free citations reserved from an address but not counted");
      }
    }
  }
  if (moves.size() != reservations_.size()) {
    return absl::InternalError("ledger names a job without a reservation");
  }

  for (const auto& [hash, acct] : accounts_) {
    const std::string owner = AccountOwner(hash);
    if (acct.credits < 0) return absl::InternalError("negative credits");
    const int64_t expected = granted[owner] - charged[owner] - open_credits[hash];
    if (acct.credits != expected) {
      return absl::InternalError(absl::StrCat("credits ", acct.credits, " != granted ",
                                              granted[owner], " - charged ", charged[owner],
                                              " - reserved ", open_credits[hash]));
    }
    const std::map<absl::CivilDay, int>& counted = pass_counted[hash];
    for (const auto& [day, used] : acct.daily_used) {
      if (used < 0) return absl::InternalError("negative pass daily count");
      auto it = counted.find(day);
      const int want = it == counted.end() ? 0 : it->second;
      if (used != want) {
        return absl::InternalError(absl::StrCat("pass daily count ", used, " on ",
                                                absl::FormatCivilTime(day), " != ", want));
      }
    }
    for (const auto& [day, want] : counted) {
      auto it = acct.daily_used.find(day);
      if (it == acct.daily_used.end() || it->second != want) {
        return absl::InternalError("pass citations reserved but not counted");
      }
    }
  }
  for (const auto& [hash, open] : open_credits) {
    if (open > 0 && !accounts_.contains(hash)) {
      return absl::InternalError("credits reserved from an account that does not exist");
    }
  }
  for (const auto& [hash, days] : pass_counted) {
    if (!accounts_.contains(hash)) return absl::InternalError("pass use without an account");
  }
  for (const auto& [key, used] : free_used_) {
    if (used < 0) return absl::InternalError("negative free usage");
  }
  for (const auto& [key, counted] : free_counted) {
    auto it = free_used_.find(key);
    if (it == free_used_.end() || it->second < counted) {
      return absl::InternalError("free usage below the citations reserved from it");
    }
  }
  return absl::OkStatus();
}

v1::Balance MemoryAccountStore::AccountBalance(const std::string& token_hash,
                                               absl::Time now) const {
  v1::Balance balance;
  balance.set_kind(v1::USER_KIND_CREDITS);
  auto it = accounts_.find(token_hash);
  if (it == accounts_.end()) return balance;  // an unknown token: 0 credits
  const Account& acct = it->second;
  balance.set_credits(acct.credits);
  if (!acct.pass_type.empty()) {
    balance.set_pass_type(acct.pass_type);
    SetTimestamp(acct.pass_expiry, balance.mutable_pass_expire_time());
  }
  if (PassActive(acct, now)) {
    balance.set_kind(v1::USER_KIND_PASS);
    balance.set_pass_active(true);
    auto day_it = acct.daily_used.find(UtcDay(now));
    balance.set_daily_used(day_it == acct.daily_used.end() ? 0 : day_it->second);
    balance.set_daily_limit(rules_.pass_daily_limit);
    SetTimestamp(NextUtcMidnight(now), balance.mutable_reset_time());
  }
  return balance;
}

absl::StatusOr<bool> MemoryAccountStore::CheckOrder(const std::string& order_id,
                                                    const Order& order) const {
  auto it = orders_.find(order_id);
  if (it == orders_.end()) return false;
  const Order& prior = it->second;
  if (prior.source == order.source && prior.token_hash == order.token_hash &&
      prior.amount == order.amount) {
    return true;
  }
  return FieldError(reason::kOrderIdReused, "order_id",
                    "this order_id was already used for a different grant");
}

void MemoryAccountStore::AppendLedger(LedgerEntry entry) { ledger_.push_back(std::move(entry)); }

void MemoryAccountStore::ReleaseAddressCitation(absl::CivilDay day, const std::string& address) {
  auto day_it = address_used_.find(day);
  if (day_it == address_used_.end()) return;  // a day no longer kept
  auto it = day_it->second.find(address);
  if (it == day_it->second.end()) return;
  if (--it->second <= 0) day_it->second.erase(it);
  if (day_it->second.empty()) address_used_.erase(day_it);
}

}  // namespace citecheck

#include "server/accounts/memory_account_store.h"

#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "server/accounts/gating.h"
#include "server/common/hashing.h"
#include "server/common/service_metrics.h"

namespace citecheck {

MemoryAccountStore::MemoryAccountStore(QuotaRules rules) : rules_(rules) {}

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
    ledger_owner = AccountLedgerOwner(job.quota_key);
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
      DropAddressDaysBefore(today - 1);
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
  AppendLedger(std::move(entry), job.ledger);

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
    entry.owner =
        job.source == QuotaSource::kFree ? job.quota_key : AccountLedgerOwner(job.quota_key);
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
    AppendLedger(std::move(entry), job.ledger);
  }
  return absl::OkStatus();
}

void MemoryAccountStore::Forget(absl::Span<const std::string> job_ids) {
  absl::MutexLock lock(&mu_);
  for (const std::string& job_id : job_ids) {
    auto it = reservations_.find(job_id);
    if (it == reservations_.end()) continue;
    const JobReservation& job = it->second;
    if (absl::c_linear_search(job.states, IndexState::kReserved)) continue;  // still open
    const int charged = static_cast<int>(absl::c_count(job.states, IndexState::kCharged));
    if (charged > 0) CarryForward(job, charged);
    reservations_.erase(it);
  }
  // A hash table keeps its capacity when emptied: give it back once three quarters are unused
  // (amortized O(1) per forgotten job; growing again needs the table 7/8 full).
  if (reservations_.size() < reservations_.capacity() / 4) reservations_.rehash(0);
}

void MemoryAccountStore::CarryForward(const JobReservation& job, int charged) {
  LedgerEntry forward;
  forward.kind = LedgerEntry::Kind::kForward;
  forward.source = job.source;
  switch (job.source) {
    case QuotaSource::kCredits:
      forward.owner = AccountLedgerOwner(job.quota_key);
      forward.key = absl::StrCat("forward:credits:", forward.owner);
      break;
    case QuotaSource::kPass:
      forward.owner = AccountLedgerOwner(job.quota_key);
      forward.day = job.pass_day;
      forward.key =
          absl::StrCat("forward:pass:", forward.owner, ":", absl::FormatCivilTime(job.pass_day));
      break;
    case QuotaSource::kFree:
      forward.owner = job.quota_key;
      forward.key = absl::StrCat("forward:free:", forward.owner);
      break;
  }
  GrowForward(forwards_[forward.key], forward, charged);

  // The address's count of a day no longer kept is gone, and with it what it would balance.
  if (job.address_key.empty() || address_used_.count(job.address_day) == 0) return;
  LedgerEntry by_address;
  by_address.kind = LedgerEntry::Kind::kForward;
  by_address.source = QuotaSource::kFree;
  by_address.address = job.address_key;
  by_address.day = job.address_day;
  by_address.key = absl::StrCat("forward:address:", job.address_key, ":",
                                absl::FormatCivilTime(job.address_day));
  GrowForward(address_forwards_[job.address_day][job.address_key], by_address, charged);
}

void MemoryAccountStore::GrowForward(LedgerEntry& forward, const LedgerEntry& made,
                                     int64_t amount) {
  if (forward.key.empty()) forward = made;  // the first job folded into this quota
  forward.amount += amount;
  forward.sequence = next_sequence_++;
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GetBalance(const Caller& caller, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!caller.is_free()) return BalanceOf(Sha256Hex(caller.token), now);
  auto it = free_used_.find(caller.FreeUsageKey());
  return FreeBalance(it == free_used_.end() ? 0 : it->second, caller.free_used_floor,
                     rules_.free_limit);
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GrantCredits(const std::string& token,
                                                             int64_t credits,
                                                             const std::string& order_id,
                                                             absl::Time now) {
  if (absl::Status s = ValidateCreditGrant(token, credits, order_id); !s.ok()) return s;
  const std::string token_hash = Sha256Hex(token);
  Order order{QuotaSource::kCredits, token_hash, credits};

  absl::MutexLock lock(&mu_);
  absl::StatusOr<bool> replay = CheckOrder(order_id, order);
  if (!replay.ok()) return replay.status();
  if (*replay) return BalanceOf(token_hash, now);

  Account& acct = accounts_[token_hash];
  if (absl::Status fits = CheckCreditsFit(acct.credits, credits); !fits.ok()) return fits;
  acct.credits += credits;
  RecordGrant(order_id, std::move(order));
  return BalanceOf(token_hash, now);
}

absl::StatusOr<v1::Balance> MemoryAccountStore::GrantPass(const std::string& token, int days,
                                                          const std::string& order_id,
                                                          absl::Time now) {
  if (absl::Status s = ValidatePassGrant(token, days, order_id); !s.ok()) return s;
  const std::string token_hash = Sha256Hex(token);
  Order order{QuotaSource::kPass, token_hash, days};

  absl::MutexLock lock(&mu_);
  absl::StatusOr<bool> replay = CheckOrder(order_id, order);
  if (!replay.ok()) return replay.status();
  if (*replay) return BalanceOf(token_hash, now);

  Account& acct = accounts_[token_hash];
  acct.pass_expiry = ExtendedPassExpiry(now, acct.pass_expiry, days);
  acct.pass_type = PassTypeForDays(days);
  RecordGrant(order_id, std::move(order));
  return BalanceOf(token_hash, now);
}

void MemoryAccountStore::RecordGrant(const std::string& order_id, Order order) {
  ServiceMetrics::Get().LedgerEntries(LedgerKind::kGrant);
  LedgerEntry entry;
  entry.key = absl::StrCat("grant:", order_id);
  entry.kind = LedgerEntry::Kind::kGrant;
  entry.source = order.source;
  entry.owner = AccountLedgerOwner(order.token_hash);
  entry.order_id = order_id;
  entry.amount = order.amount;
  orders_.emplace(order_id, std::move(order));
  AppendLedger(std::move(entry), grants_);
}

v1::Balance MemoryAccountStore::BalanceOf(const std::string& token_hash, absl::Time now) const {
  auto it = accounts_.find(token_hash);
  if (it == accounts_.end()) return AccountBalance(AccountState(), now, 0, rules_.pass_daily_limit);
  const Account& acct = it->second;
  auto day_it = acct.daily_used.find(UtcDay(now));
  return AccountBalance(acct, now, day_it == acct.daily_used.end() ? 0 : day_it->second,
                        rules_.pass_daily_limit);
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
  return OrderIdReusedError();
}

void MemoryAccountStore::AppendLedger(LedgerEntry entry, std::vector<LedgerEntry>& ledger) {
  entry.sequence = next_sequence_++;
  ledger.push_back(std::move(entry));
}

void MemoryAccountStore::DropAddressDaysBefore(absl::CivilDay first_kept) {
  while (!address_used_.empty() && address_used_.begin()->first < first_kept) {
    address_used_.erase(address_used_.begin());
  }
  while (!address_forwards_.empty() && address_forwards_.begin()->first < first_kept) {
    address_forwards_.erase(address_forwards_.begin());
  }
}

void MemoryAccountStore::ReleaseAddressCitation(absl::CivilDay day, const std::string& address) {
  auto day_it = address_used_.find(day);
  if (day_it == address_used_.end()) return;  // a day no longer kept
  auto it = day_it->second.find(address);
  if (it == day_it->second.end()) return;
  if (--it->second <= 0) day_it->second.erase(it);
  if (day_it->second.empty()) address_used_.erase(day_it);
}

}  // namespace citecheck

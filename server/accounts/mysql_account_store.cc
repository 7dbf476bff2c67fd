#include "server/accounts/mysql_account_store.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/accounts/gating.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/storage/migrations.h"
#include "server/storage/schema.h"

// Early returns for Status / StatusOr in the transaction bodies below (local to this file).
#define MAS_CONCAT_INNER(a, b) a##b
#define MAS_CONCAT(a, b) MAS_CONCAT_INNER(a, b)
#define MAS_RETURN_IF_ERROR(expr)            \
  do {                                       \
    const absl::Status mas_status = (expr);  \
    if (!mas_status.ok()) return mas_status; \
  } while (0)
#define MAS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = *std::move(tmp)
#define MAS_ASSIGN_OR_RETURN(lhs, expr) \
  MAS_ASSIGN_OR_RETURN_IMPL(MAS_CONCAT(mas_status_or_, __LINE__), lhs, expr)

namespace citecheck {
namespace {

// Column sizes of caller-supplied keys (schema version 1).
constexpr size_t kMaxKeyBytes = 255;  // free_key, owner_key, quota_key, ledger.owner
constexpr size_t kMaxIdBytes = 128;   // job_id, order_id

// Writes take their locks themselves; READ COMMITTED avoids gap locks between unrelated keys.
const TransactionOptions kWrite{IsolationLevel::kReadCommitted, 5};
// Reads see one snapshot across their statements.
const TransactionOptions kRead{IsolationLevel::kRepeatableRead, 5};

constexpr char kSourceCredits[] = "credits";
constexpr char kSourcePass[] = "pass";
constexpr char kSourceFree[] = "free";

constexpr char kInsertLedger[] =
    "INSERT INTO ledger (idempotency_key, kind, source, owner, order_id, job_id, item_index,"
    " amount, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

// `key` as stored: itself when it fits its column, else "sha256:<hex>" of it.
std::string StorageKey(const std::string& key, size_t max_bytes) {
  if (key.size() <= max_bytes) return key;
  return absl::StrCat("sha256:", Sha256Hex(key));
}

std::string AccountOwner(const std::string& token_hash) {
  return absl::StrCat("acct:", token_hash);
}

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the past
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::Status ValidateGrant(const std::string& token, const std::string& order_id) {
  if (token.empty()) return FieldError(reason::kInvalidGrant, "token", "must not be empty");
  if (order_id.empty()) return FieldError(reason::kInvalidGrant, "order_id", "must not be empty");
  return absl::OkStatus();
}

absl::Status AppendLedger(Session& tx, const std::string& key, absl::string_view kind,
                          absl::string_view source, const std::string& owner, SqlValue order_id,
                          SqlValue job_id, SqlValue index, int64_t amount,
                          const std::string& now_text) {
  return tx
      .Execute(kInsertLedger, {key, kind, source, owner, std::move(order_id), std::move(job_id),
                               std::move(index), amount, now_text})
      .status();
}

// ---- Accounts --------------------------------------------------------------------------------

struct AccountRow {
  int64_t credits = 0;
  absl::Time pass_expiry = absl::InfinitePast();  // no pass ever granted: the infinite past
  std::string pass_type;                          // "" when none
};

bool PassActive(const AccountRow& account, absl::Time now) { return now < account.pass_expiry; }

absl::StatusOr<std::optional<AccountRow>> ReadAccount(Session& tx, const std::string& token_hash,
                                                      bool for_update) {
  // DATETIME arithmetic, independent of the session's time zone.
  static constexpr char kSelect[] =
      "SELECT credits, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', pass_expire_time),"
      " pass_type FROM accounts WHERE token_hash = ?";
  static constexpr char kSelectForUpdate[] =
      "SELECT credits, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', pass_expire_time),"
      " pass_type FROM accounts WHERE token_hash = ? FOR UPDATE";
  MAS_ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                       tx.QueryRow(for_update ? kSelectForUpdate : kSelect, {token_hash}));
  if (!row.has_value()) return std::optional<AccountRow>();
  AccountRow account;
  account.credits = row->Int(0);
  if (std::optional<int64_t> micros = row->OptionalInt(1)) {
    account.pass_expiry = absl::FromUnixMicros(*micros);
  }
  account.pass_type = row->String(2);
  return std::optional<AccountRow>(std::move(account));
}

absl::StatusOr<int> PassDailyUsed(Session& tx, const std::string& token_hash,
                                  const std::string& day, bool for_update) {
  static constexpr char kSelect[] =
      "SELECT used FROM pass_daily_usage WHERE token_hash = ? AND day = ?";
  static constexpr char kSelectForUpdate[] =
      "SELECT used FROM pass_daily_usage WHERE token_hash = ? AND day = ? FOR UPDATE";
  MAS_ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                       tx.QueryRow(for_update ? kSelectForUpdate : kSelect, {token_hash, day}));
  return row.has_value() ? static_cast<int>(row->Int(0)) : 0;
}

absl::StatusOr<v1::Balance> AccountBalance(Session& tx, const std::string& token_hash,
                                           absl::Time now, const QuotaRules& rules) {
  v1::Balance balance;
  balance.set_kind(v1::USER_KIND_CREDITS);
  MAS_ASSIGN_OR_RETURN(std::optional<AccountRow> account,
                       ReadAccount(tx, token_hash, /*for_update=*/false));
  if (!account.has_value()) return balance;  // an unknown token: 0 credits
  balance.set_credits(account->credits);
  if (!account->pass_type.empty()) {
    balance.set_pass_type(account->pass_type);
    SetTimestamp(account->pass_expiry, balance.mutable_pass_expire_time());
  }
  if (PassActive(*account, now)) {
    MAS_ASSIGN_OR_RETURN(int used, PassDailyUsed(tx, token_hash, DayText(UtcDay(now)), false));
    balance.set_kind(v1::USER_KIND_PASS);
    balance.set_pass_active(true);
    balance.set_daily_used(used);
    balance.set_daily_limit(rules.pass_daily_limit);
    SetTimestamp(NextUtcMidnight(now), balance.mutable_reset_time());
  }
  return balance;
}

// ---- Reservations ----------------------------------------------------------------------------

struct StoredReservation {
  std::string owner_key;
  Reservation reservation;
};

absl::StatusOr<std::optional<StoredReservation>> FindReservation(Session& tx,
                                                                 const std::string& job_key) {
  MAS_ASSIGN_OR_RETURN(
      std::optional<SqlRow> row,
      tx.QueryRow("SELECT owner_key, accepted, locked, limit_type, HEX(user_status)"
                  " FROM reservations WHERE job_id = ?",
                  {job_key}));
  if (!row.has_value()) return std::optional<StoredReservation>();
  StoredReservation stored;
  stored.owner_key = row->String(0);
  stored.reservation.accepted = static_cast<int>(row->Int(1));
  stored.reservation.locked = static_cast<int>(row->Int(2));
  const int limit_type = static_cast<int>(row->Int(3));
  if (!v1::LimitType_IsValid(limit_type) ||
      !stored.reservation.user_status.ParseFromString(absl::HexStringToBytes(row->String(4)))) {
    return absl::InternalError("storage: a stored reservation does not parse");
  }
  stored.reservation.limit_type = static_cast<v1::LimitType>(limit_type);
  return std::optional<StoredReservation>(std::move(stored));
}

// Inserts items 0 .. count-1 of `job_key` as reserved, in chunks of 2^k rows (k <= 7): a few
// statements for any count, each text prepared once per connection.
absl::Status InsertReservedItems(Session& tx, const std::string& job_key, int count) {
  constexpr int kMaxLog = 7;
  static const std::vector<std::string>* const kInserts = [] {
    auto* texts = new std::vector<std::string>();
    for (int k = 0; k <= kMaxLog; ++k) {
      std::string sql = "INSERT INTO reservation_items (job_id, item_index, state) VALUES ";
      for (int i = 0; i < (1 << k); ++i)
        absl::StrAppend(&sql, i == 0 ? "" : ", ", "(?, ?, 'reserved')");
      texts->push_back(std::move(sql));
    }
    return texts;
  }();
  std::vector<SqlValue> params;
  for (int next = 0; next < count;) {
    int k = kMaxLog;
    while ((1 << k) > count - next) --k;
    params.clear();
    for (int i = 0; i < (1 << k); ++i) {
      params.emplace_back(job_key);
      params.emplace_back(next + i);
    }
    MAS_RETURN_IF_ERROR(tx.Execute((*kInserts)[k], params).status());
    next += 1 << k;
  }
  return absl::OkStatus();
}

// Checks a grant's order: true when it was applied before with the same content; an error
// when it was used for other content; false when it is new.
absl::StatusOr<bool> CheckOrder(Session& tx, const std::string& order_key, absl::string_view kind,
                                const std::string& token_hash, int64_t amount) {
  MAS_ASSIGN_OR_RETURN(
      std::optional<SqlRow> row,
      tx.QueryRow("SELECT kind, token_hash, amount FROM orders WHERE order_id = ?", {order_key}));
  if (!row.has_value()) return false;
  if (row->String(0) == kind && row->String(1) == token_hash && row->Int(2) == amount) {
    return true;
  }
  return FieldError(reason::kOrderIdReused, "order_id",
                    "this order_id was already used for a different grant");
}

// What a grant does to the (locked, possibly absent) account row, inside the grant's transaction.
using GrantEffect = absl::FunctionRef<absl::Status(Session& tx,
                                                   const std::optional<AccountRow>& account)>;

// Applies a grant once per order, in one transaction: the order row is the claim (a replay with
// the same content changes nothing; a concurrent grant of the same order waits for it and, when
// this one commits, reruns and finds it), then the account row is locked, `effect` applied and
// the grant ledgered. Returns the account's balance.
absl::StatusOr<v1::Balance> ApplyGrant(MysqlPool& pool, const QuotaRules& rules,
                                       const std::string& token_hash,
                                       const std::string& order_key, absl::string_view kind,
                                       int64_t amount, absl::Time now, GrantEffect effect) {
  const std::string now_text = ToSqlDatetime(now);
  v1::Balance balance;
  const absl::Status status = pool.RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        MAS_ASSIGN_OR_RETURN(bool replay, CheckOrder(tx, order_key, kind, token_hash, amount));
        if (!replay) {
          MAS_ASSIGN_OR_RETURN(
              bool claimed,
              tx.InsertUnlessDuplicate("INSERT INTO orders (order_id, token_hash, kind, amount,"
                                       " created_at) VALUES (?, ?, ?, ?, ?)",
                                       {order_key, token_hash, std::string(kind), amount,
                                        now_text}));
          if (!claimed) return RetryTransaction("the order was granted concurrently");
          MAS_ASSIGN_OR_RETURN(std::optional<AccountRow> account,
                               ReadAccount(tx, token_hash, /*for_update=*/true));
          MAS_RETURN_IF_ERROR(effect(tx, account));
          MAS_RETURN_IF_ERROR(AppendLedger(tx, absl::StrCat("grant:", order_key), "grant", kind,
                                           AccountOwner(token_hash), order_key, nullptr, nullptr,
                                           amount, now_text));
        }
        MAS_ASSIGN_OR_RETURN(balance, AccountBalance(tx, token_hash, now, rules));
        return absl::OkStatus();
      },
      kWrite);
  if (!status.ok()) return status;
  return balance;
}

}  // namespace

// ---- MysqlAccountStore -----------------------------------------------------------------------

MysqlAccountStore::MysqlAccountStore(std::unique_ptr<MysqlPool> pool, QuotaRules rules)
    : rules_(rules), pool_(std::move(pool)) {}

absl::StatusOr<std::unique_ptr<MysqlAccountStore>> MysqlAccountStore::Create(
    const MysqlUrl& url, QuotaRules rules, const MysqlPoolOptions& pool_options) {
  MAS_ASSIGN_OR_RETURN(std::unique_ptr<MysqlPool> pool, MysqlPool::Create(url, pool_options));
  absl::StatusOr<MigrationReport> migrated = ApplyMigrations(*pool, CitecheckMigrations());
  if (!migrated.ok()) return migrated.status();
  return absl::WrapUnique(new MysqlAccountStore(std::move(pool), rules));
}

absl::StatusOr<Reservation> MysqlAccountStore::Reserve(const ReserveRequest& request) {
  if (request.job_id.empty()) return absl::InvalidArgumentError("Reserve: empty job_id");
  if (request.citations < 0) return absl::InvalidArgumentError("Reserve: negative citations");
  const Caller& caller = request.caller;
  const int n = request.citations;
  const absl::Time now = request.now;
  const std::string job_key = StorageKey(request.job_id, kMaxIdBytes);
  const std::string owner_key = StorageKey(caller.OwnerKey(), kMaxKeyBytes);
  const std::string now_text = ToSqlDatetime(now);

  Reservation result;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        // The quota row first (the lock that serializes this caller's reservations), then the
        // job: a replay returns what the first reservation decided, unchanged.
        std::string quota_key;
        absl::string_view source;
        std::optional<AccountRow> account;
        int free_stored = 0;
        if (!caller.is_free()) {
          quota_key = Sha256Hex(caller.token);
          MAS_ASSIGN_OR_RETURN(account, ReadAccount(tx, quota_key, /*for_update=*/true));
        } else {
          quota_key = StorageKey(caller.FreeUsageKey(), kMaxKeyBytes);
          MAS_RETURN_IF_ERROR(tx.Execute("INSERT INTO free_usage (free_key, used) VALUES (?, 0)"
                                         " ON DUPLICATE KEY UPDATE used = used",
                                         {quota_key})
                                  .status());
          MAS_ASSIGN_OR_RETURN(
              std::optional<SqlRow> row,
              tx.QueryRow("SELECT used FROM free_usage WHERE free_key = ? FOR UPDATE",
                          {quota_key}));
          free_stored = row.has_value() ? static_cast<int>(row->Int(0)) : 0;
        }
        MAS_ASSIGN_OR_RETURN(std::optional<StoredReservation> existing,
                             FindReservation(tx, job_key));
        if (existing.has_value()) {
          if (existing->owner_key != owner_key) {
            return absl::FailedPreconditionError(
                "Reserve: job_id already reserved by another owner");
          }
          result = existing->reservation;
          return absl::OkStatus();
        }

        Reservation out;
        std::string ledger_owner;
        std::optional<std::string> pass_day;
        if (!caller.is_free()) {
          ledger_owner = AccountOwner(quota_key);
          if (account.has_value() && PassActive(*account, now)) {
            source = kSourcePass;
            pass_day = DayText(UtcDay(now));
            MAS_ASSIGN_OR_RETURN(int used, PassDailyUsed(tx, quota_key, *pass_day, true));
            if (!PassAdmits(n, used, rules_.pass_daily_limit)) {
              return DailyLimitReachedError(n, used, rules_.pass_daily_limit, now);
            }
            if (n > 0) {
              MAS_RETURN_IF_ERROR(
                  tx.Execute("INSERT INTO pass_daily_usage (token_hash, day, used)"
                             " VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE used = used + VALUES(used)",
                             {quota_key, *pass_day, n})
                      .status());
            }
            out = PassReservation(n, used, rules_.pass_daily_limit, now, account->pass_expiry,
                                  account->credits);
          } else {
            source = kSourceCredits;
            const int64_t credits = account.has_value() ? account->credits : 0;
            const Admission admission = AdmitCredits(n, credits);
            if (account.has_value() && admission.accepted > 0) {
              MAS_RETURN_IF_ERROR(
                  tx.Execute("UPDATE accounts SET credits = credits - ? WHERE token_hash = ?",
                             {admission.accepted, quota_key})
                      .status());
            }
            out = CreditsReservation(admission, credits - admission.accepted);
          }
        } else {
          source = kSourceFree;
          ledger_owner = quota_key;
          // A floor raises the stored count for good.
          int stored = EffectiveFreeUsed(free_stored, caller.free_used_floor);
          const Admission admission = AdmitFree(n, rules_.free_limit, stored);
          stored += admission.accepted;
          if (stored != free_stored) {
            MAS_RETURN_IF_ERROR(
                tx.Execute("UPDATE free_usage SET used = ? WHERE free_key = ?", {stored, quota_key})
                    .status());
          }
          out = FreeReservation(admission, stored, rules_.free_limit);
        }

        MAS_ASSIGN_OR_RETURN(
            bool inserted,
            tx.InsertUnlessDuplicate(
                "INSERT INTO reservations (job_id, owner_key, quota_key, source, pass_day,"
                " requested, accepted, locked, limit_type, user_status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UNHEX(?), ?)",
                {job_key, owner_key, quota_key, source,
                 pass_day.has_value() ? SqlValue(*pass_day) : SqlValue(nullptr), n, out.accepted,
                 out.locked, static_cast<int>(out.limit_type),
                 absl::BytesToHexString(out.user_status.SerializeAsString()), now_text}));
        if (!inserted) return RetryTransaction("the job was reserved concurrently");
        MAS_RETURN_IF_ERROR(InsertReservedItems(tx, job_key, out.accepted));
        MAS_RETURN_IF_ERROR(AppendLedger(tx, absl::StrCat("reserve:", job_key), "reserve", source,
                                         ledger_owner, nullptr, job_key, nullptr, out.accepted,
                                         now_text));
        result = std::move(out);
        return absl::OkStatus();
      },
      kWrite);
  if (!status.ok()) return status;
  return result;
}

absl::Status MysqlAccountStore::Settle(absl::Span<const Settlement> settlements) {
  // The first settlement of each (job, index) in the batch decides it (later ones are no-ops,
  // as in a sequence of calls); sorted, so that concurrent batches lock items in one order.
  std::map<std::pair<std::string, int>, Settlement::Kind> decided;
  for (const Settlement& s : settlements) {
    decided.emplace(std::make_pair(StorageKey(s.job_id, kMaxIdBytes), s.index), s.kind);
  }
  if (decided.empty()) return absl::OkStatus();
  const std::string now_text = ToSqlDatetime(absl::Now());  // a stamp only

  return pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        struct Job {
          bool found = false;
          std::string quota_key;
          std::string source;
          std::string pass_day;
          int accepted = 0;
        };
        absl::flat_hash_map<std::string, Job> jobs;
        // What releases give back, applied after the items in key order.
        std::map<std::string, int64_t> credits_back;                       // by token hash
        std::map<std::pair<std::string, std::string>, int64_t> pass_back;  // (hash, day)
        std::map<std::string, int64_t> free_back;                          // by free key

        for (const auto& [item, kind] : decided) {
          const auto& [job_key, index] = item;
          auto [it, is_new] = jobs.try_emplace(job_key);
          Job& job = it->second;
          if (is_new) {
            MAS_ASSIGN_OR_RETURN(
                std::optional<SqlRow> row,
                tx.QueryRow("SELECT quota_key, source, DATE_FORMAT(pass_day, '%Y-%m-%d'),"
                            " accepted FROM reservations WHERE job_id = ?",
                            {job_key}));
            if (row.has_value()) {
              job.found = true;
              job.quota_key = row->String(0);
              job.source = row->String(1);
              job.pass_day = row->String(2);
              job.accepted = static_cast<int>(row->Int(3));
            }
          }
          if (!job.found || index < 0 || index >= job.accepted) continue;  // never reserved

          const bool charge = kind == Settlement::Kind::kCharge;
          MAS_ASSIGN_OR_RETURN(
              int64_t changed,
              tx.Execute("UPDATE reservation_items SET state = ?"
                         " WHERE job_id = ? AND item_index = ? AND state = 'reserved'",
                         {charge ? "charged" : "released", job_key, index}));
          if (changed == 0) continue;  // settled before
          const std::string owner =
              job.source == kSourceFree ? job.quota_key : AccountOwner(job.quota_key);
          MAS_RETURN_IF_ERROR(
              AppendLedger(tx, absl::StrCat(charge ? "charge:" : "release:", job_key, ":", index),
                           charge ? "charge" : "release", job.source, owner, nullptr, job_key,
                           index, 1, now_text));
          if (charge) continue;  // the quota was taken at reserve time; charging makes it final
          if (job.source == kSourceCredits) {
            ++credits_back[job.quota_key];
          } else if (job.source == kSourcePass) {
            ++pass_back[{job.quota_key, job.pass_day}];
          } else {
            ++free_back[job.quota_key];
          }
        }

        for (const auto& [token_hash, credits] : credits_back) {
          MAS_RETURN_IF_ERROR(
              tx.Execute("UPDATE accounts SET credits = credits + ? WHERE token_hash = ?",
                         {credits, token_hash})
                  .status());
        }
        for (const auto& [key, count] : pass_back) {
          MAS_RETURN_IF_ERROR(tx.Execute("UPDATE pass_daily_usage SET used = GREATEST(used - ?, 0)"
                                         " WHERE token_hash = ? AND day = ?",
                                         {count, key.first, key.second})
                                  .status());
        }
        for (const auto& [free_key, count] : free_back) {
          MAS_RETURN_IF_ERROR(
              tx.Execute("UPDATE free_usage SET used = GREATEST(used - ?, 0) WHERE free_key = ?",
                         {count, free_key})
                  .status());
        }
        return absl::OkStatus();
      },
      kWrite);
}

absl::StatusOr<v1::Balance> MysqlAccountStore::GetBalance(const Caller& caller, absl::Time now) {
  v1::Balance balance;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        if (!caller.is_free()) {
          MAS_ASSIGN_OR_RETURN(balance, AccountBalance(tx, Sha256Hex(caller.token), now, rules_));
          return absl::OkStatus();
        }
        MAS_ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                             tx.QueryRow("SELECT used FROM free_usage WHERE free_key = ?",
                                         {StorageKey(caller.FreeUsageKey(), kMaxKeyBytes)}));
        const int stored = row.has_value() ? static_cast<int>(row->Int(0)) : 0;
        balance = v1::Balance();
        balance.set_kind(v1::USER_KIND_FREE);
        // Reads never write: the floor shows here and is stored by the next Reserve.
        balance.set_free_used(EffectiveFreeUsed(stored, caller.free_used_floor));
        balance.set_free_limit(rules_.free_limit);
        return absl::OkStatus();
      },
      kRead);
  if (!status.ok()) return status;
  return balance;
}

absl::StatusOr<v1::Balance> MysqlAccountStore::GrantCredits(const std::string& token,
                                                            int64_t credits,
                                                            const std::string& order_id,
                                                            absl::Time now) {
  MAS_RETURN_IF_ERROR(ValidateGrant(token, order_id));
  if (credits <= 0) return FieldError(reason::kInvalidGrant, "credits", "must be positive");
  const std::string token_hash = Sha256Hex(token);
  return ApplyGrant(
      *pool_, rules_, token_hash, StorageKey(order_id, kMaxIdBytes), kSourceCredits, credits, now,
      [&](Session& tx, const std::optional<AccountRow>& account) -> absl::Status {
        if (account.has_value() &&
            account->credits > std::numeric_limits<int64_t>::max() - credits) {
          return FieldError(reason::kInvalidGrant, "credits", "the balance would overflow");
        }
        return tx.Execute("INSERT INTO accounts (token_hash, credits, created_at) VALUES (?, ?, ?)"
                          " ON DUPLICATE KEY UPDATE credits = credits + VALUES(credits)",
                          {token_hash, credits, ToSqlDatetime(now)})
            .status();
      });
}

absl::StatusOr<v1::Balance> MysqlAccountStore::GrantPass(const std::string& token, int days,
                                                         const std::string& order_id,
                                                         absl::Time now) {
  MAS_RETURN_IF_ERROR(ValidateGrant(token, order_id));
  if (!IsValidPassDays(days)) {
    return FieldError(reason::kInvalidGrant, "days", "must be 1, 7 or 30");
  }
  const std::string token_hash = Sha256Hex(token);
  return ApplyGrant(
      *pool_, rules_, token_hash, StorageKey(order_id, kMaxIdBytes), kSourcePass, days, now,
      [&](Session& tx, const std::optional<AccountRow>& account) -> absl::Status {
        const absl::Time current =
            account.has_value() ? account->pass_expiry : absl::InfinitePast();
        const absl::Time expiry = std::max(now, current) + absl::Hours(24) * days;
        return tx.Execute("INSERT INTO accounts (token_hash, credits, pass_expire_time, pass_type,"
                          " created_at) VALUES (?, 0, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                          " pass_expire_time = VALUES(pass_expire_time),"
                          " pass_type = VALUES(pass_type)",
                          {token_hash, ToSqlDatetime(expiry), PassTypeForDays(days),
                           ToSqlDatetime(now)})
            .status();
      });
}

absl::Status MysqlAccountStore::CheckInvariants() const {
  return pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        // Credits granted and charged, by ledger owner.
        absl::flat_hash_map<std::string, int64_t> granted, charged;
        MAS_ASSIGN_OR_RETURN(std::vector<SqlRow> sums,
                             tx.Query("SELECT owner, kind, CAST(SUM(amount) AS SIGNED) FROM ledger"
                                      " WHERE source = 'credits' AND kind IN ('grant', 'charge')"
                                      " GROUP BY owner, kind"));
        for (const SqlRow& row : sums) {
          (row.String(1) == "grant" ? granted : charged)[row.String(0)] = row.Int(2);
        }

        // The ledger's movements per job.
        struct Moves {
          int64_t reserved = 0;
          int64_t charges = 0;
          int64_t releases = 0;
          bool has_reserve = false;
        };
        absl::flat_hash_map<std::string, Moves> moves;
        MAS_ASSIGN_OR_RETURN(
            std::vector<SqlRow> job_moves,
            tx.Query("SELECT job_id, kind, CAST(SUM(amount) AS SIGNED), COUNT(*),"
                     " CAST(MIN(amount) AS SIGNED) FROM ledger WHERE kind <> 'grant'"
                     " GROUP BY job_id, kind"));
        for (const SqlRow& row : job_moves) {
          if (row.Int(4) < 0) return absl::InternalError("negative ledger amount");
          Moves& m = moves[row.String(0)];
          const std::string& kind = row.String(1);
          if (kind == "reserve") {
            if (row.Int(3) != 1) return absl::InternalError("two reserve rows for one job");
            m.reserved = row.Int(2);
            m.has_reserve = true;
          } else if (kind == "charge") {
            m.charges = row.Int(3);
          } else {
            m.releases = row.Int(3);
          }
        }

        // The reservations: what is still open or counted, per quota.
        absl::flat_hash_map<std::string, int64_t> open_credits;               // by token hash
        std::map<std::pair<std::string, std::string>, int64_t> pass_counted;  // (hash, day)
        absl::flat_hash_map<std::string, int64_t> free_counted;               // by free key
        MAS_ASSIGN_OR_RETURN(
            std::vector<SqlRow> jobs,
            tx.Query("SELECT r.job_id, r.quota_key, r.source, DATE_FORMAT(r.pass_day, '%Y-%m-%d'),"
                     " r.accepted,"
                     " CAST(COALESCE(SUM(i.state = 'reserved'), 0) AS SIGNED),"
                     " CAST(COALESCE(SUM(i.state = 'charged'), 0) AS SIGNED),"
                     " CAST(COALESCE(SUM(i.state = 'released'), 0) AS SIGNED),"
                     " COUNT(i.item_index), CAST(COALESCE(MIN(i.item_index), 0) AS SIGNED),"
                     " CAST(COALESCE(MAX(i.item_index), -1) AS SIGNED)"
                     " FROM reservations r LEFT JOIN reservation_items i ON i.job_id = r.job_id"
                     " GROUP BY r.job_id, r.quota_key, r.source, r.pass_day, r.accepted"));
        for (const SqlRow& row : jobs) {
          const std::string& job_id = row.String(0);
          const int64_t accepted = row.Int(4);
          const int64_t open = row.Int(5), charges = row.Int(6), releases = row.Int(7);
          if (row.Int(8) != accepted ||
              (accepted > 0 && (row.Int(9) != 0 || row.Int(10) != accepted - 1))) {
            return absl::InternalError(
                absl::StrCat("items of job ", job_id, " are not 0..", accepted - 1));
          }
          auto it = moves.find(job_id);
          if (it == moves.end() || !it->second.has_reserve || it->second.reserved != accepted ||
              it->second.charges != charges || it->second.releases != releases) {
            return absl::InternalError(
                absl::StrCat("ledger and reservation of job ", job_id, " disagree"));
          }
          const std::string& source = row.String(2);
          if (source == kSourceCredits) {
            open_credits[row.String(1)] += open;
          } else if (source == kSourcePass) {
            if (open + charges > 0) pass_counted[{row.String(1), row.String(3)}] += open + charges;
          } else {
            free_counted[row.String(1)] += open + charges;
          }
        }
        if (moves.size() != jobs.size()) {
          return absl::InternalError("ledger names a job without a reservation");
        }
        MAS_ASSIGN_OR_RETURN(std::optional<SqlRow> orphans,
                             tx.QueryRow("SELECT COUNT(*) FROM reservation_items i"
                                         " LEFT JOIN reservations r ON r.job_id = i.job_id"
                                         " WHERE r.job_id IS NULL"));
        if (orphans.has_value() && orphans->Int(0) != 0) {
          return absl::InternalError("reservation items without a reservation");
        }

        MAS_ASSIGN_OR_RETURN(std::vector<SqlRow> accounts,
                             tx.Query("SELECT token_hash, credits FROM accounts"));
        std::set<std::string> account_hashes;
        for (const SqlRow& row : accounts) {
          const std::string& hash = row.String(0);
          account_hashes.insert(hash);
          const std::string owner = AccountOwner(hash);
          const int64_t credits = row.Int(1);
          if (credits < 0) return absl::InternalError("negative credits");
          const int64_t expected = granted[owner] - charged[owner] - open_credits[hash];
          if (credits != expected) {
            return absl::InternalError(absl::StrCat("credits ", credits, " != granted ",
                                                    granted[owner], " - charged ", charged[owner],
                                                    " - reserved ", open_credits[hash]));
          }
        }
        for (const auto& [hash, open] : open_credits) {
          if (open > 0 && account_hashes.count(hash) == 0) {
            return absl::InternalError("credits reserved from an account that does not exist");
          }
        }

        MAS_ASSIGN_OR_RETURN(std::vector<SqlRow> daily,
                             tx.Query("SELECT token_hash, DATE_FORMAT(day, '%Y-%m-%d'), used"
                                      " FROM pass_daily_usage"));
        std::set<std::pair<std::string, std::string>> daily_rows;
        for (const SqlRow& row : daily) {
          const std::pair<std::string, std::string> key{row.String(0), row.String(1)};
          daily_rows.insert(key);
          const int64_t used = row.Int(2);
          if (used < 0) return absl::InternalError("negative pass daily count");
          auto it = pass_counted.find(key);
          const int64_t want = it == pass_counted.end() ? 0 : it->second;
          if (used != want) {
            return absl::InternalError(
                absl::StrCat("pass daily count ", used, " on ", key.second, " != ", want));
          }
          if (used > 0 && account_hashes.count(key.first) == 0) {
            return absl::InternalError("pass use without an account");
          }
        }
        for (const auto& [key, want] : pass_counted) {
          if (daily_rows.count(key) == 0) {
            return absl::InternalError("pass citations reserved but not counted");
          }
        }

        MAS_ASSIGN_OR_RETURN(std::vector<SqlRow> free,
                             tx.Query("SELECT free_key, used FROM free_usage"));
        absl::flat_hash_map<std::string, int64_t> free_used;
        for (const SqlRow& row : free) {
          if (row.Int(1) < 0) return absl::InternalError("negative free usage");
          free_used[row.String(0)] = row.Int(1);
        }
        for (const auto& [key, counted] : free_counted) {
          auto it = free_used.find(key);
          if (it == free_used.end() || it->second < counted) {
            return absl::InternalError("free usage below the citations reserved from it");
          }
        }
        return absl::OkStatus();
      },
      kRead);
}

}  // namespace citecheck

#undef MAS_ASSIGN_OR_RETURN
#undef MAS_ASSIGN_OR_RETURN_IMPL
#undef MAS_RETURN_IF_ERROR
#undef MAS_CONCAT
#undef MAS_CONCAT_INNER

#include "server/accounts/mysql_account_store.h"

#include <map>
#include <optional>
#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/memory/memory.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "server/accounts/gating.h"
#include "server/common/hashing.h"
#include "server/common/service_metrics.h"
#include "server/common/status_macros.h"
#include "server/storage/migrations.h"
#include "server/storage/schema.h"

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

constexpr char kLedgerInsertHead[] =
    "INSERT INTO ledger (idempotency_key, kind, source, owner, order_id, job_id, item_index,"
    " amount, created_at)";
constexpr char kLedgerRow[] = "(?, ?, ?, ?, ?, ?, ?, ?, ?)";
constexpr int kLedgerWidth = 9;

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

absl::Status AppendLedger(Session& tx, const std::string& key, absl::string_view kind,
                          absl::string_view source, const std::string& owner, SqlValue order_id,
                          SqlValue job_id, SqlValue index, int64_t amount,
                          const std::string& now_text) {
  return ExecuteMultiRow(tx, kLedgerInsertHead, kLedgerRow, "", kLedgerWidth,
                         {key, kind, source, owner, std::move(order_id), std::move(job_id),
                          std::move(index), amount, now_text})
      .status();
}

// ---- Accounts --------------------------------------------------------------------------------

absl::StatusOr<std::optional<AccountState>> ReadAccount(Session& tx, const std::string& token_hash,
                                                        bool for_update) {
  // DATETIME arithmetic, independent of the session's time zone.
  static constexpr char kSelect[] =
      "SELECT credits, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', pass_expire_time),"
      " pass_type FROM accounts WHERE token_hash = ?";
  static constexpr char kSelectForUpdate[] =
      "SELECT credits, TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', pass_expire_time),"
      " pass_type FROM accounts WHERE token_hash = ? FOR UPDATE";
  ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                   tx.QueryRow(for_update ? kSelectForUpdate : kSelect, {token_hash}));
  if (!row.has_value()) return std::optional<AccountState>();
  AccountState account;
  account.credits = row->Int(0);
  if (std::optional<int64_t> micros = row->OptionalInt(1)) {
    account.pass_expiry = absl::FromUnixMicros(*micros);
  }
  account.pass_type = row->String(2);
  return std::optional<AccountState>(std::move(account));
}

absl::StatusOr<int> PassDailyUsed(Session& tx, const std::string& token_hash,
                                  const std::string& day, bool for_update) {
  static constexpr char kSelect[] =
      "SELECT used FROM pass_daily_usage WHERE token_hash = ? AND day = ?";
  static constexpr char kSelectForUpdate[] =
      "SELECT used FROM pass_daily_usage WHERE token_hash = ? AND day = ? FOR UPDATE";
  ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                   tx.QueryRow(for_update ? kSelectForUpdate : kSelect, {token_hash, day}));
  return row.has_value() ? static_cast<int>(row->Int(0)) : 0;
}

absl::StatusOr<v1::Balance> BalanceOf(Session& tx, const std::string& token_hash, absl::Time now,
                                      const QuotaRules& rules) {
  ASSIGN_OR_RETURN(std::optional<AccountState> account,
                   ReadAccount(tx, token_hash, /*for_update=*/false));
  if (!account.has_value()) account.emplace();  // an unknown token: 0 credits
  int used = 0;
  if (PassActive(*account, now)) {
    ASSIGN_OR_RETURN(used, PassDailyUsed(tx, token_hash, DayText(UtcDay(now)), false));
  }
  return AccountBalance(*account, now, used, rules.pass_daily_limit);
}

// ---- Reservations ----------------------------------------------------------------------------

SqlValue OrNull(const std::optional<std::string>& value) {
  return value.has_value() ? SqlValue(*value) : SqlValue(nullptr);
}

// Locks (creating it at 0) the free count of `address_key` on `day` and returns it. The day's
// first reservation from an address also deletes that address's counts of days before
// yesterday (nothing refers to them any more but late releases, which they no longer need).
absl::StatusOr<int> LockAddressDay(Session& tx, const std::string& address_key,
                                   absl::CivilDay day) {
  ASSIGN_OR_RETURN(int64_t inserted,
                   tx.Execute("INSERT INTO free_address_usage (address_key, day, used)"
                              " VALUES (?, ?, 0) ON DUPLICATE KEY UPDATE used = used",
                              {address_key, DayText(day)}));
  if (inserted == 1) {
    RETURN_IF_ERROR(tx.Execute("DELETE FROM free_address_usage WHERE address_key = ? AND day < ?",
                               {address_key, DayText(day - 1)})
                        .status());
  }
  ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                   tx.QueryRow("SELECT used FROM free_address_usage"
                               " WHERE address_key = ? AND day = ? FOR UPDATE",
                               {address_key, DayText(day)}));
  return row.has_value() ? static_cast<int>(row->Int(0)) : 0;
}

struct StoredReservation {
  std::string owner_key;
  Reservation reservation;
};

absl::StatusOr<std::optional<StoredReservation>> FindReservation(Session& tx,
                                                                 const std::string& job_key) {
  ASSIGN_OR_RETURN(std::optional<SqlRow> row,
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

// Inserts items 0 .. count-1 of `job_key` as reserved.
absl::Status InsertReservedItems(Session& tx, const std::string& job_key, int count) {
  std::vector<SqlValue> values;
  values.reserve(2 * static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    values.emplace_back(job_key);
    values.emplace_back(i);
  }
  return ExecuteMultiRow(tx, "INSERT INTO reservation_items (job_id, item_index, state)",
                         "(?, ?, 'reserved')", "", 2, values)
      .status();
}

// Checks a grant's order: true when it was applied before with the same content; an error
// when it was used for other content; false when it is new.
absl::StatusOr<bool> CheckOrder(Session& tx, const std::string& order_key, absl::string_view kind,
                                const std::string& token_hash, int64_t amount) {
  ASSIGN_OR_RETURN(
      std::optional<SqlRow> row,
      tx.QueryRow("SELECT kind, token_hash, amount FROM orders WHERE order_id = ?", {order_key}));
  if (!row.has_value()) return false;
  if (row->String(0) == kind && row->String(1) == token_hash && row->Int(2) == amount) {
    return true;
  }
  return OrderIdReusedError();
}

// What a grant does to the (locked, possibly absent) account row, inside the grant's transaction.
using GrantEffect =
    absl::FunctionRef<absl::Status(Session& tx, const std::optional<AccountState>& account)>;

// Applies a grant once per order, in one transaction: the order row is the claim (a replay with
// the same content changes nothing; a concurrent grant of the same order waits for it and, when
// this one commits, reruns and finds it), then the account row is locked, `effect` applied and
// the grant ledgered. Returns the account's balance.
absl::StatusOr<v1::Balance> ApplyGrant(MysqlPool& pool, const QuotaRules& rules,
                                       const std::string& token_hash, const std::string& order_key,
                                       absl::string_view kind, int64_t amount, absl::Time now,
                                       GrantEffect effect) {
  const std::string now_text = ToSqlDatetime(now);
  v1::Balance balance;
  bool granted = false;
  const absl::Status status = pool.RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(bool replay, CheckOrder(tx, order_key, kind, token_hash, amount));
        granted = !replay;
        if (!replay) {
          ASSIGN_OR_RETURN(bool claimed,
                           tx.InsertUnlessDuplicate(
                               "INSERT INTO orders (order_id, token_hash, kind, amount,"
                               " created_at) VALUES (?, ?, ?, ?, ?)",
                               {order_key, token_hash, std::string(kind), amount, now_text}));
          if (!claimed) return RetryTransaction("the order was granted concurrently");
          ASSIGN_OR_RETURN(std::optional<AccountState> account,
                           ReadAccount(tx, token_hash, /*for_update=*/true));
          RETURN_IF_ERROR(effect(tx, account));
          RETURN_IF_ERROR(AppendLedger(tx, absl::StrCat("grant:", order_key), "grant", kind,
                                       AccountLedgerOwner(token_hash), order_key, nullptr, nullptr,
                                       amount, now_text));
        }
        ASSIGN_OR_RETURN(balance, BalanceOf(tx, token_hash, now, rules));
        return absl::OkStatus();
      },
      kWrite);
  if (!status.ok()) return status;
  if (granted) ServiceMetrics::Get().LedgerEntries(LedgerKind::kGrant);
  return balance;
}

}  // namespace

// ---- MysqlAccountStore -----------------------------------------------------------------------

absl::StatusOr<Reservation> MysqlAccountStore::Reserve(const ReserveRequest& request) {
  Reservation result;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(result, ReserveIn(tx, request));
        return absl::OkStatus();
      },
      kWrite);
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<Reservation> MysqlAccountStore::ReserveIn(Transaction& tx,
                                                         const ReserveRequest& request) {
  if (request.job_id.empty()) return absl::InvalidArgumentError("Reserve: empty job_id");
  if (request.citations < 0) return absl::InvalidArgumentError("Reserve: negative citations");
  const Caller& caller = request.caller;
  const int n = request.citations;
  const absl::Time now = request.now;
  const std::string job_key = StorageKey(request.job_id, kMaxIdBytes);
  const std::string owner_key = StorageKey(caller.OwnerKey(), kMaxKeyBytes);
  const std::string now_text = ToSqlDatetime(now);

  // The quota row first (the lock that serializes this caller's reservations), then the
  // job: a replay returns what the first reservation decided, unchanged.
  std::string quota_key;
  absl::string_view source;
  std::optional<AccountState> account;
  int free_stored = 0;
  if (!caller.is_free()) {
    quota_key = Sha256Hex(caller.token);
    ASSIGN_OR_RETURN(account, ReadAccount(tx, quota_key, /*for_update=*/true));
  } else {
    quota_key = StorageKey(caller.FreeUsageKey(), kMaxKeyBytes);
    RETURN_IF_ERROR(tx.Execute("INSERT INTO free_usage (free_key, used) VALUES (?, 0)"
                               " ON DUPLICATE KEY UPDATE used = used",
                               {quota_key})
                        .status());
    ASSIGN_OR_RETURN(
        std::optional<SqlRow> row,
        tx.QueryRow("SELECT used FROM free_usage WHERE free_key = ? FOR UPDATE", {quota_key}));
    free_stored = row.has_value() ? static_cast<int>(row->Int(0)) : 0;
  }
  ASSIGN_OR_RETURN(std::optional<StoredReservation> existing, FindReservation(tx, job_key));
  if (existing.has_value()) {
    if (existing->owner_key != owner_key) {
      return absl::FailedPreconditionError("Reserve: job_id already reserved by another owner");
    }
    return existing->reservation;
  }

  Reservation out;
  std::string ledger_owner;
  std::optional<std::string> pass_day;
  std::optional<std::string> address_key;  // free, capped by address: its storage key
  std::optional<std::string> address_day;  // and the UTC day of the count
  if (!caller.is_free()) {
    ledger_owner = AccountLedgerOwner(quota_key);
    if (account.has_value() && PassActive(*account, now)) {
      source = kSourcePass;
      pass_day = DayText(UtcDay(now));
      ASSIGN_OR_RETURN(int used, PassDailyUsed(tx, quota_key, *pass_day, true));
      if (!PassAdmits(n, used, rules_.pass_daily_limit)) {
        return DailyLimitReachedError(n, used, rules_.pass_daily_limit, now);
      }
      if (n > 0) {
        RETURN_IF_ERROR(
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
        RETURN_IF_ERROR(tx.Execute("UPDATE accounts SET credits = credits - ? WHERE token_hash = ?",
                                   {admission.accepted, quota_key})
                            .status());
      }
      out = CreditsReservation(admission, credits - admission.accepted);
    }
  } else {
    source = kSourceFree;
    ledger_owner = quota_key;
    // The client address's count of today, after the free key's (the lock order).
    const bool capped = rules_.free_address_daily_limit > 0 && !caller.address_key.empty();
    int address_used = 0;
    if (capped) {
      address_key = StorageKey(caller.address_key, kMaxKeyBytes);
      address_day = DayText(UtcDay(now));
      ASSIGN_OR_RETURN(address_used, LockAddressDay(tx, *address_key, UtcDay(now)));
    }
    // A floor raises the stored count for good.
    int stored = EffectiveFreeUsed(free_stored, caller.free_used_floor);
    const Admission admission = AdmitFreeFromAddress(
        n, rules_.free_limit, stored, capped ? rules_.free_address_daily_limit : 0, address_used);
    stored += admission.accepted;
    if (stored != free_stored) {
      RETURN_IF_ERROR(
          tx.Execute("UPDATE free_usage SET used = ? WHERE free_key = ?", {stored, quota_key})
              .status());
    }
    if (capped && admission.accepted > 0) {
      RETURN_IF_ERROR(tx.Execute("UPDATE free_address_usage SET used = used + ?"
                                 " WHERE address_key = ? AND day = ?",
                                 {admission.accepted, *address_key, *address_day})
                          .status());
    } else {
      address_key.reset();  // the reservation used no address count
      address_day.reset();
    }
    out = FreeReservation(admission, stored, rules_.free_limit);
  }

  ASSIGN_OR_RETURN(bool inserted,
                   tx.InsertUnlessDuplicate(
                       "INSERT INTO reservations (job_id, owner_key, quota_key, source, pass_day,"
                       " requested, accepted, locked, limit_type, user_status, created_at,"
                       " address_key, address_day)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UNHEX(?), ?, ?, ?)",
                       {job_key, owner_key, quota_key, source, OrNull(pass_day), n, out.accepted,
                        out.locked, static_cast<int>(out.limit_type),
                        absl::BytesToHexString(out.user_status.SerializeAsString()), now_text,
                        OrNull(address_key), OrNull(address_day)}));
  if (!inserted) return RetryTransaction("the job was reserved concurrently");
  RETURN_IF_ERROR(InsertReservedItems(tx, job_key, out.accepted));
  RETURN_IF_ERROR(AppendLedger(tx, absl::StrCat("reserve:", job_key), "reserve", source,
                               ledger_owner, nullptr, job_key, nullptr, out.accepted, now_text));
  return out;
}

absl::Status MysqlAccountStore::Settle(absl::Span<const Settlement> settlements) {
  if (settlements.empty()) return absl::OkStatus();
  const absl::Time now = absl::Now();  // a stamp only
  return pool_->RunInTransaction([&](Transaction& tx) { return SettleIn(tx, settlements, now); },
                                 kWrite);
}

absl::Status MysqlAccountStore::SettleIn(Transaction& tx, absl::Span<const Settlement> settlements,
                                         absl::Time now) {
  // The first settlement of each (job, index) decides it (later ones are no-ops, as in a
  // sequence of calls); sorted, so that concurrent settlements lock items in one order.
  std::map<std::string, std::map<int, Settlement::Kind>> decided;  // by job key, then index
  for (const Settlement& s : settlements) {
    decided[StorageKey(s.job_id, kMaxIdBytes)].emplace(s.index, s.kind);
  }
  if (decided.empty()) return absl::OkStatus();
  const std::string now_text = ToSqlDatetime(now);

  // The reservations of every job settled here, read with one statement.
  struct Reserved {
    std::string quota_key;
    std::string source;
    std::string pass_day;
    int accepted = 0;
    std::optional<std::string> address_key;  // free, capped by address: its count's key
    std::string address_day;                 // and day
  };
  std::map<std::string, Reserved> reservations;  // by job key
  {
    std::vector<SqlValue> job_keys;
    for (const auto& [job_key, items] : decided) job_keys.emplace_back(job_key);
    std::string sql =
        "SELECT job_id, quota_key, source, DATE_FORMAT(pass_day, '%Y-%m-%d'), accepted,"
        " address_key, DATE_FORMAT(address_day, '%Y-%m-%d') FROM reservations WHERE job_id IN ";
    std::vector<SqlValue> params;
    AppendInList(&sql, &params, job_keys);
    ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
    for (const SqlRow& row : rows) {
      reservations[row.String(0)] = {
          row.String(1),
          row.String(2),
          row.String(3),
          static_cast<int>(row.Int(4)),
          row.IsNull(5) ? std::nullopt : std::optional<std::string>(row.String(5)),
          row.IsNull(5) ? "" : row.String(6)};
    }
  }

  // Lock the items still reserved, every job's with one statement (in key order); the others
  // were settled before. Jobs never reserved have nothing to settle.
  std::vector<SqlValue> wanted;  // (job key, index) rows
  for (const auto& [job_key, items] : decided) {
    auto reservation = reservations.find(job_key);
    if (reservation == reservations.end()) continue;
    for (const auto& [index, kind] : items) {
      if (index >= 0 && index < reservation->second.accepted) {
        wanted.insert(wanted.end(), {job_key, index});
      }
    }
  }
  if (wanted.empty()) return absl::OkStatus();
  std::string sql =
      "SELECT job_id, item_index FROM reservation_items WHERE state = 'reserved'"
      " AND (job_id, item_index) IN ";
  std::vector<SqlValue> params;
  AppendInList(&sql, &params, wanted, 2);
  sql += " ORDER BY job_id, item_index FOR UPDATE";
  ASSIGN_OR_RETURN(std::vector<SqlRow> open, tx.Query(sql, params));

  // What releases give back, applied after the items in key order.
  std::map<std::string, int64_t> credits_back;                          // by token hash
  std::map<std::pair<std::string, std::string>, int64_t> pass_back;     // (hash, day)
  std::map<std::string, int64_t> free_back;                             // by free key
  std::map<std::pair<std::string, std::string>, int64_t> address_back;  // (address, day)
  std::vector<SqlValue> ledger_rows;
  std::vector<SqlValue> item_rows;
  for (const SqlRow& row : open) {
    const std::string& job_key = row.String(0);
    const int index = static_cast<int>(row.Int(1));
    const Reserved& reservation = reservations.at(job_key);
    const std::string& source = reservation.source;
    const std::string& quota_key = reservation.quota_key;
    const std::string owner = source == kSourceFree ? quota_key : AccountLedgerOwner(quota_key);
    const bool charge = decided.at(job_key).at(index) == Settlement::Kind::kCharge;
    item_rows.insert(item_rows.end(), {job_key, index, charge ? "charged" : "released"});
    ledger_rows.insert(
        ledger_rows.end(),
        {absl::StrCat(charge ? "charge:" : "release:", job_key, ":", index),
         charge ? "charge" : "release", source, owner, nullptr, job_key, index, 1, now_text});
    if (charge) continue;  // the quota was taken at reserve time; charging makes it final
    if (source == kSourceCredits) {
      ++credits_back[quota_key];
    } else if (source == kSourcePass) {
      ++pass_back[{quota_key, reservation.pass_day}];
    } else {
      ++free_back[quota_key];
      if (reservation.address_key.has_value()) {
        ++address_back[{*reservation.address_key, reservation.address_day}];
      }
    }
  }
  RETURN_IF_ERROR(ExecuteMultiRow(tx, "INSERT INTO reservation_items (job_id, item_index, state)",
                                  "(?, ?, ?)", "ON DUPLICATE KEY UPDATE state = VALUES(state)", 3,
                                  item_rows)
                      .status());
  RETURN_IF_ERROR(
      ExecuteMultiRow(tx, kLedgerInsertHead, kLedgerRow, "", kLedgerWidth, ledger_rows).status());

  for (const auto& [token_hash, credits] : credits_back) {
    RETURN_IF_ERROR(tx.Execute("UPDATE accounts SET credits = credits + ? WHERE token_hash = ?",
                               {credits, token_hash})
                        .status());
  }
  for (const auto& [key, count] : pass_back) {
    RETURN_IF_ERROR(tx.Execute("UPDATE pass_daily_usage SET used = GREATEST(used - ?, 0)"
                               " WHERE token_hash = ? AND day = ?",
                               {count, key.first, key.second})
                        .status());
  }
  for (const auto& [free_key, count] : free_back) {
    RETURN_IF_ERROR(
        tx.Execute("UPDATE free_usage SET used = GREATEST(used - ?, 0) WHERE free_key = ?",
                   {count, free_key})
            .status());
  }
  for (const auto& [key, count] : address_back) {
    RETURN_IF_ERROR(tx.Execute("UPDATE free_address_usage SET used = GREATEST(used - ?, 0)"
                               " WHERE address_key = ? AND day = ?",
                               {count, key.first, key.second})
                        .status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int> MysqlAccountStore::DeleteAddressUsageBefore(absl::CivilDay before, int limit) {
  int64_t deleted = 0;
  const absl::Status status = pool_->RunInTransaction([&](Transaction& tx) -> absl::Status {
    ASSIGN_OR_RETURN(deleted, tx.Execute("DELETE FROM free_address_usage WHERE day < ? LIMIT ?",
                                         {DayText(before), limit}));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return static_cast<int>(deleted);
}

absl::StatusOr<v1::Balance> MysqlAccountStore::GetBalance(const Caller& caller, absl::Time now) {
  v1::Balance balance;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        if (!caller.is_free()) {
          ASSIGN_OR_RETURN(balance, BalanceOf(tx, Sha256Hex(caller.token), now, rules_));
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                         tx.QueryRow("SELECT used FROM free_usage WHERE free_key = ?",
                                     {StorageKey(caller.FreeUsageKey(), kMaxKeyBytes)}));
        balance = FreeBalance(row.has_value() ? static_cast<int>(row->Int(0)) : 0,
                              caller.free_used_floor, rules_.free_limit);
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
  RETURN_IF_ERROR(ValidateCreditGrant(token, credits, order_id));
  const std::string token_hash = Sha256Hex(token);
  return ApplyGrant(
      *pool_, rules_, token_hash, StorageKey(order_id, kMaxIdBytes), kSourceCredits, credits, now,
      [&](Session& tx, const std::optional<AccountState>& account) -> absl::Status {
        if (account.has_value()) RETURN_IF_ERROR(CheckCreditsFit(account->credits, credits));
        return tx
            .Execute(
                "INSERT INTO accounts (token_hash, credits, created_at) VALUES (?, ?, ?)"
                " ON DUPLICATE KEY UPDATE credits = credits + VALUES(credits)",
                {token_hash, credits, ToSqlDatetime(now)})
            .status();
      });
}

absl::StatusOr<v1::Balance> MysqlAccountStore::GrantPass(const std::string& token, int days,
                                                         const std::string& order_id,
                                                         absl::Time now) {
  RETURN_IF_ERROR(ValidatePassGrant(token, days, order_id));
  const std::string token_hash = Sha256Hex(token);
  return ApplyGrant(
      *pool_, rules_, token_hash, StorageKey(order_id, kMaxIdBytes), kSourcePass, days, now,
      [&](Session& tx, const std::optional<AccountState>& account) -> absl::Status {
        const absl::Time expiry = ExtendedPassExpiry(
            now, account.has_value() ? account->pass_expiry : absl::InfinitePast(), days);
        return tx
            .Execute(
                "INSERT INTO accounts (token_hash, credits, pass_expire_time, pass_type,"
                " created_at) VALUES (?, 0, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                " pass_expire_time = VALUES(pass_expire_time),"
                " pass_type = VALUES(pass_type)",
                {token_hash, ToSqlDatetime(expiry), PassTypeForDays(days), ToSqlDatetime(now)})
            .status();
      });
}

}  // namespace citecheck

#include "server/accounts/mysql_account_store.h"

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "gtest/gtest.h"
#include "server/accounts/gating.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/storage/database.h"
#include "server/storage/schema.h"
#include "tests/server/accounts/account_store_conformance.h"
#include "tests/server/storage/invariants.h"
#include "tests/server/storage/mysql_test_database.h"

// MysqlAccountStore on MariaDB: the shared AccountStore semantics (account_store_conformance.cc,
// instantiated below), plus what a database adds: concurrency across connections, hostile keys,
// UTC days, durability.

namespace citecheck {
namespace {

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

absl::Time FromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

constexpr int kFreeLimit = 10;
constexpr int kDailyLimit = 20;

class MysqlAccountStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(db_->url());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = *std::move(database);
    store_ = std::make_unique<MysqlAccountStore>(&database_->pool(),
                                                 QuotaRules{kFreeLimit, kDailyLimit});
  }

  void TearDown() override {
    if (store_ != nullptr && check_invariants_) {
      const absl::Status invariants = CheckAccountBooks(db_->pool());
      EXPECT_TRUE(invariants.ok()) << invariants;
    }
    store_.reset();
    database_.reset();
    db_.reset();
  }

  absl::StatusOr<Reservation> Reserve(const Caller& caller, const std::string& job_id,
                                      int citations, absl::Time now) {
    ReserveRequest request;
    request.caller = caller;
    request.job_id = job_id;
    request.citations = citations;
    request.now = now;
    return store_->Reserve(request);
  }
  absl::StatusOr<Reservation> Reserve(const Caller& caller, const std::string& job_id,
                                      int citations) {
    return Reserve(caller, job_id, citations, now_);
  }

  void Settle(const std::string& job_id, int index, Settlement::Kind kind) {
    Settlement s;
    s.job_id = job_id;
    s.index = index;
    s.kind = kind;
    const absl::Status status = store_->Settle({s});
    ASSERT_TRUE(status.ok()) << status;
  }
  void Charge(const std::string& job_id, int index) {
    Settle(job_id, index, Settlement::Kind::kCharge);
  }
  void Release(const std::string& job_id, int index) {
    Settle(job_id, index, Settlement::Kind::kRelease);
  }

  int64_t Credits(const std::string& token) {
    absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForAccount(token), now_);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->credits() : -1;
  }
  int DailyUsed(const std::string& token, absl::Time now) {
    absl::StatusOr<v1::Balance> b = store_->GetBalance(Caller::ForAccount(token), now);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->daily_used() : -1;
  }
  int FreeUsed(const Caller& caller) {
    absl::StatusOr<v1::Balance> b = store_->GetBalance(caller, now_);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? b->free_used() : -1;
  }

  void GrantCredits(const std::string& token, int64_t credits, const std::string& order_id) {
    const absl::Status status = store_->GrantCredits(token, credits, order_id, now_).status();
    ASSERT_TRUE(status.ok()) << status;
  }
  void GrantPass(const std::string& token, int days, const std::string& order_id, absl::Time now) {
    const absl::Status status = store_->GrantPass(token, days, order_id, now).status();
    ASSERT_TRUE(status.ok()) << status;
  }

  int64_t LedgerSize() { return db_->QueryInt("SELECT COUNT(*) FROM ledger"); }
  int64_t LedgerCount(const std::string& kind) {
    return db_->QueryInt("SELECT COUNT(*) FROM ledger WHERE kind = ?", {kind});
  }
  // Rows of any table holding `text` (bytes) in a key, hash or blob column.
  int64_t TablesMentioning(const std::string& text) {
    const std::pair<const char*, std::vector<const char*>> columns[] = {
        {"accounts", {"token_hash"}},
        {"pass_daily_usage", {"token_hash"}},
        {"orders", {"order_id", "token_hash"}},
        {"reservations", {"job_id", "owner_key", "quota_key", "user_status"}},
        {"reservation_items", {"job_id"}},
        {"ledger", {"idempotency_key", "owner", "order_id", "job_id"}},
        {"free_usage", {"free_key"}},
    };
    int64_t rows = 0;
    for (const auto& [table, names] : columns) {
      std::string sql = absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE FALSE");
      for (const char* column : names) {
        absl::StrAppend(&sql, " OR LOCATE(CAST(? AS BINARY), CAST(", column, " AS BINARY)) > 0");
      }
      rows += db_->QueryInt(sql, std::vector<SqlValue>(names.size(), SqlValue(text)));
    }
    return rows;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<MysqlAccountStore> store_;
  absl::Time now_ = Utc(2027, 1, 1, 12);
  bool check_invariants_ = true;
};

// ---- The shared semantics -------------------------------------------------------------------

// A MysqlAccountStore on a fresh database of its own.
absl::StatusOr<StoreUnderTest> MakeMysqlStore(const QuotaRules& rules) {
  absl::StatusOr<std::unique_ptr<TestDatabase>> db = TestDatabase::Create();
  if (!db.ok()) return db.status();
  std::shared_ptr<TestDatabase> database = *std::move(db);
  absl::StatusOr<std::unique_ptr<Database>> opened = Database::Open(database->url());
  if (!opened.ok()) return opened.status();
  std::shared_ptr<Database> storage = *std::move(opened);
  TestDatabase* sql = database.get();
  StoreUnderTest subject;
  subject.store = std::make_unique<MysqlAccountStore>(&storage->pool(), rules);
  subject.resources =
      std::make_shared<std::pair<std::shared_ptr<TestDatabase>, std::shared_ptr<Database>>>(
          std::move(database), std::move(storage));
  subject.check_invariants = [sql] { return CheckAccountBooks(sql->pool()); };
  subject.ledger = [sql] {
    std::vector<LedgerRow> rows;
    for (const std::string& line :
         sql->QueryStrings("SELECT HEX(idempotency_key), kind, source, amount, HEX(owner)"
                           " FROM ledger ORDER BY id")) {
      const std::vector<std::string> f = absl::StrSplit(line, '|');
      EXPECT_EQ(f.size(), 5u) << line;
      if (f.size() != 5) continue;
      LedgerRow row{absl::HexStringToBytes(f[0]), f[1], f[2], 0, absl::HexStringToBytes(f[4])};
      EXPECT_TRUE(absl::SimpleAtoi(f[3], &row.amount)) << line;
      rows.push_back(std::move(row));
    }
    return rows;
  };
  return subject;
}

INSTANTIATE_TEST_SUITE_P(Mysql, AccountStoreConformanceTest,
                         ::testing::Values(AccountStoreFactory{"Mysql", &MakeMysqlStore}),
                         AccountStoreFactoryName());

// ---- Concurrency (many connections) ----------------------------------------------------------

TEST_F(MysqlAccountStoreTest, GrantRepeatedByTenThreadsAppliesOnce) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([this] {
      absl::StatusOr<v1::Balance> credits = store_->GrantCredits("tok", 25, "order-x", now_);
      ASSERT_TRUE(credits.ok()) << credits.status();
      EXPECT_EQ(credits->credits(), 25);
      absl::StatusOr<v1::Balance> pass = store_->GrantPass("tok", 7, "order-p", now_);
      ASSERT_TRUE(pass.ok()) << pass.status();
      EXPECT_EQ(FromProto(pass->pass_expire_time()), now_ + absl::Hours(24 * 7));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Credits("tok"), 25);
  EXPECT_EQ(LedgerCount("grant"), 2);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM orders"), 2);
}

TEST_F(MysqlAccountStoreTest, TwentyThreadsReservingTenShareAHundredCreditsExactly) {
  GrantCredits("tok", 100, "o1");
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([this, t, &accepted] {
      absl::StatusOr<Reservation> r =
          Reserve(Caller::ForAccount("tok"), absl::StrCat("job-", t), 10);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->accepted + r->locked, 10);
      accepted += r->accepted;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(accepted.load(), 100);
  EXPECT_EQ(Credits("tok"), 0);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM reservation_items"), 100);
  const absl::Status invariants = CheckAccountBooks(db_->pool());
  EXPECT_TRUE(invariants.ok()) << invariants;
}

TEST_F(MysqlAccountStoreTest, ConcurrentReplaysOfOneJobReserveOnce) {
  GrantCredits("tok", 50, "o1");
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this] {
      absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "the-job", 7);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(r->accepted, 7);
      EXPECT_EQ(r->user_status.credits_remaining(), 43);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(Credits("tok"), 43);
  EXPECT_EQ(LedgerCount("reserve"), 1);
}

// ---- What a database adds --------------------------------------------------------------------

TEST_F(MysqlAccountStoreTest, LedgerKeysNameTheMovementAndNoTableHoldsTheToken) {
  GrantCredits("secret-token", 3, "o1");
  ASSERT_TRUE(Reserve(Caller::ForAccount("secret-token"), "job", 2).ok());
  Charge("job", 0);
  Release("job", 1);
  const std::string owner = "acct:" + Sha256Hex("secret-token");
  EXPECT_EQ(db_->QueryStrings("SELECT idempotency_key, kind, source, amount, owner = ?"
                              " FROM ledger ORDER BY id",
                              {owner}),
            (std::vector<std::string>{
                "grant:o1|grant|credits|3|1", "reserve:job|reserve|credits|2|1",
                "charge:job:0|charge|credits|1|1", "release:job:1|release|credits|1|1"}));
  EXPECT_EQ(TablesMentioning("secret-token"), 0);
}

TEST_F(MysqlAccountStoreTest, HostileKeysAreHarmless) {
  const std::string hostile[] = {
      "'; DROP TABLE accounts; --",
      "\"\\'",
      "Robert'); DELETE FROM ledger WHERE ('1' = '1",
      std::string("nul\0\xff\xfe%_", 7),
  };
  int n = 0;
  for (const std::string& evil : hostile) {
    SCOPED_TRACE(n);
    const std::string token = "tok" + evil;
    const std::string id = absl::StrCat("id", n++, evil);
    // Order ids are printable ASCII: the hostile bytes go in escaped (quotes, semicolons and
    // spaces stay), and as they are they are refused.
    const bool printable = ValidateGrantIds(token, id + "-order").ok();
    const std::string order = printable ? id + "-order" : absl::CHexEscape(id) + "-order";
    if (!printable) {
      EXPECT_EQ(ErrorReason(store_->GrantCredits(token, 5, id + "-order", now_).status()),
                "INVALID_GRANT");
    }
    GrantCredits(token, 5, order);
    absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount(token), id + "-job", 3);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->accepted, 3);
    Charge(id + "-job", 0);
    Release(id + "-job", 1);
    EXPECT_EQ(Credits(token), 3);
    EXPECT_EQ(ErrorReason(store_->GrantCredits(token, 6, order, now_).status()), "ORDER_ID_REUSED");
    GrantPass(token, 1, absl::CHexEscape(id) + "-pass", now_);
    EXPECT_EQ(DailyUsed(token, now_), 0);

    Caller free_caller = Caller::ForFreeUser(evil);
    free_caller.address_key = evil;
    absl::StatusOr<Reservation> free = Reserve(free_caller, id + "-free", 4);
    ASSERT_TRUE(free.ok()) << free.status();
    EXPECT_EQ(free->accepted, 4);
    EXPECT_EQ(FreeUsed(Caller::ForFreeUser(evil)), 4);
    absl::StatusOr<Reservation> anon = Reserve(Caller::ForAnonymous(evil), id + "-anon", 1);
    ASSERT_TRUE(anon.ok()) << anon.status();
    EXPECT_EQ(FreeUsed(Caller::ForAnonymous(evil)), 1);
    EXPECT_EQ(TablesMentioning(token), 0);  // the token itself is never stored
  }
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
                          {db_->url().database}),
            16);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM accounts"), 4);
}

TEST_F(MysqlAccountStoreTest, KeysCompareByteForByte) {
  // No case folding, no trailing-space padding: three different free users.
  for (const char* id : {"Alice", "alice", "alice "}) {
    absl::StatusOr<Reservation> r = Reserve(Caller::ForFreeUser(id), absl::StrCat("job-", id), 10);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->accepted, 10) << id;
  }
  GrantCredits("tok", 1, "Order");
  GrantCredits("tok", 1, "order");  // another order
  EXPECT_EQ(Credits("tok"), 2);
  GrantCredits("TOK", 1, "order ");
  EXPECT_EQ(Credits("TOK"), 1);
}

TEST_F(MysqlAccountStoreTest, LongKeysWork) {
  const std::string long_id(1000, 'x');
  const std::string other_id = std::string(999, 'x') + "y";
  const std::string long_job(500, 'j');
  const std::string long_order(128, 'o');  // the longest order id (kMaxOrderIdBytes)
  ASSERT_TRUE(Reserve(Caller::ForFreeUser(long_id), long_job, 3).ok());
  ASSERT_TRUE(Reserve(Caller::ForFreeUser(other_id), long_job + "2", 5).ok());
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser(long_id)), 3);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser(other_id)), 5);
  absl::StatusOr<Reservation> replay = Reserve(Caller::ForFreeUser(long_id), long_job, 3);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->accepted, 3);
  Release(long_job, 2);
  EXPECT_EQ(FreeUsed(Caller::ForFreeUser(long_id)), 2);
  GrantCredits("tok", 4, long_order);
  GrantCredits("tok", 4, long_order);
  EXPECT_EQ(Credits("tok"), 4);
  EXPECT_EQ(ErrorReason(store_->GrantCredits("tok", 5, long_order, now_).status()),
            "ORDER_ID_REUSED");
  EXPECT_EQ(ErrorReason(store_->GrantCredits("tok", 4, long_order + "o", now_).status()),
            "INVALID_GRANT");
}

TEST_F(MysqlAccountStoreTest, DailyWindowsAreUtcWhateverTheLocalTimeZone) {
  const char* old_tz = std::getenv("TZ");
  const std::string saved = old_tz == nullptr ? "" : old_tz;
  absl::Cleanup restore = [&] {
    if (old_tz == nullptr) {
      unsetenv("TZ");
    } else {
      setenv("TZ", saved.c_str(), 1);
    }
    tzset();
  };
  setenv("TZ", "America/New_York", 1);
  tzset();

  GrantPass("tok", 7, "p1", Utc(2027, 1, 1, 12));
  // 18:30 and 19:30 on January 1st in New York, but two different UTC days.
  const absl::Time late = Utc(2027, 1, 1, 23, 30);
  const absl::Time after_midnight = Utc(2027, 1, 2, 0, 30);
  absl::StatusOr<Reservation> first = Reserve(Caller::ForAccount("tok"), "job1", 15, late);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(FromProto(first->user_status.reset_time()), Utc(2027, 1, 2));
  absl::StatusOr<Reservation> second =
      Reserve(Caller::ForAccount("tok"), "job2", 15, after_midnight);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->user_status.daily_used(), 15);
  EXPECT_EQ(FromProto(second->user_status.reset_time()), Utc(2027, 1, 3));
  EXPECT_EQ(DailyUsed("tok", late), 15);
  EXPECT_EQ(DailyUsed("tok", after_midnight), 15);
  EXPECT_EQ(db_->QueryStrings("SELECT DATE_FORMAT(day, '%Y-%m-%d'), used FROM pass_daily_usage"
                              " ORDER BY day"),
            (std::vector<std::string>{"2027-01-01|15", "2027-01-02|15"}));
  EXPECT_EQ(db_->QueryStrings("SELECT DATE_FORMAT(pass_expire_time, '%Y-%m-%d %H:%i:%s.%f')"
                              " FROM accounts"),
            std::vector<std::string>{"2027-01-08 12:00:00.000000"});
  // Releasing job1 gives back to January 1st (UTC), not to the day of the release.
  Release("job1", 0);
  EXPECT_EQ(DailyUsed("tok", late), 14);
  EXPECT_EQ(DailyUsed("tok", after_midnight), 15);
}

TEST_F(MysqlAccountStoreTest, ANewStoreOnTheSameDatabaseSeesEverything) {
  GrantCredits("tok", 10, "o1");
  absl::StatusOr<Reservation> first = Reserve(Caller::ForAccount("tok"), "job", 4);
  ASSERT_TRUE(first.ok()) << first.status();

  absl::StatusOr<std::unique_ptr<Database>> reopened = Database::Open(db_->url());
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  auto restarted = std::make_unique<MysqlAccountStore>(&(*reopened)->pool(),
                                                       QuotaRules{kFreeLimit, kDailyLimit});
  absl::StatusOr<Reservation> replay =
      restarted->Reserve({Caller::ForAccount("tok"), "job", 9, now_});
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_EQ(replay->accepted, 4);
  EXPECT_EQ(replay->user_status.SerializeAsString(), first->user_status.SerializeAsString());
  Settlement release{"job", 0, Settlement::Kind::kRelease};
  ASSERT_TRUE(restarted->Settle({release}).ok());
  EXPECT_EQ(Credits("tok"), 7);
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM schema_migrations"),
            static_cast<int64_t>(CitecheckMigrations().size()));
}

TEST_F(MysqlAccountStoreTest, LostConnectionsAreReplacedBetweenCalls) {
  GrantCredits("tok", 10, "o1");
  int64_t id = -1;
  ASSERT_TRUE(database_->pool()
                  .RunInTransaction([&](Transaction& tx) {
                    absl::StatusOr<int64_t> got = tx.ConnectionId();
                    id = got.value_or(-1);
                    return got.status();
                  })
                  .ok());
  ASSERT_TRUE(db_->Execute(absl::StrCat("KILL CONNECTION ", id)).ok());
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Credits("tok"), 6);
  EXPECT_GE(database_->pool().stats().reruns_after_connection_loss, 1);
}

TEST_F(MysqlAccountStoreTest, ManyCitationsInOneJob) {
  constexpr int kCitations = 2000;
  GrantCredits("tok", kCitations, "o1");
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "big", kCitations);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->accepted, kCitations);
  std::vector<Settlement> batch;
  for (int i = 0; i < kCitations; ++i) {
    batch.push_back(
        {"big", i, i % 2 == 0 ? Settlement::Kind::kCharge : Settlement::Kind::kRelease});
  }
  const absl::Status settled = store_->Settle(batch);
  ASSERT_TRUE(settled.ok()) << settled;
  EXPECT_EQ(Credits("tok"), kCitations / 2);
  EXPECT_EQ(LedgerSize(), 2 + kCitations);
}

TEST_F(MysqlAccountStoreTest, StorageErrorsAreInternalAndLeakNoSql) {
  GrantCredits("tok", 10, "o1");
  ASSERT_TRUE(db_->Execute("DROP TABLE ledger").ok());
  check_invariants_ = false;  // the books are gone on purpose
  absl::StatusOr<Reservation> r = Reserve(Caller::ForAccount("tok"), "job", 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  for (const char* leak : {"INSERT", "ledger", "job", "tok"}) {
    EXPECT_EQ(r.status().message().find(leak), absl::string_view::npos) << r.status();
  }
  EXPECT_EQ(Credits("tok"), 10);  // the reservation was rolled back whole
  EXPECT_EQ(db_->QueryInt("SELECT COUNT(*) FROM reservations"), 0);
}

}  // namespace
}  // namespace citecheck

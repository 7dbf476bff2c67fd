#include "server/storage/schema.h"

namespace citecheck {

const std::vector<Migration>& CitecheckMigrations() {
  static const std::vector<Migration>* const kMigrations = new std::vector<Migration>{
      {1,
       "accounts",
       {
           "CREATE TABLE IF NOT EXISTS accounts ("
           " token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
           " credits BIGINT NOT NULL DEFAULT 0,"
           " pass_expire_time DATETIME(6) NULL,"
           " pass_type VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,"
           " created_at DATETIME(6) NOT NULL,"
           " PRIMARY KEY (token_hash),"
           " CONSTRAINT accounts_credits_nonnegative CHECK (credits >= 0)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS pass_daily_usage ("
           " token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
           " day DATE NOT NULL,"
           " used INT NOT NULL,"
           " PRIMARY KEY (token_hash, day),"
           " CONSTRAINT pass_daily_usage_used_nonnegative CHECK (used >= 0)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS free_usage ("
           " free_key VARBINARY(255) NOT NULL,"
           " used INT NOT NULL,"
           " PRIMARY KEY (free_key),"
           " CONSTRAINT free_usage_used_nonnegative CHECK (used >= 0)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS orders ("
           " order_id VARBINARY(128) NOT NULL,"
           " token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
           " kind ENUM('credits', 'pass') NOT NULL,"
           " amount BIGINT NOT NULL,"
           " created_at DATETIME(6) NOT NULL,"
           " PRIMARY KEY (order_id)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS reservations ("
           " job_id VARBINARY(128) NOT NULL,"
           " owner_key VARBINARY(255) NOT NULL,"
           " quota_key VARBINARY(255) NOT NULL,"
           " source ENUM('credits', 'pass', 'free') NOT NULL,"
           " pass_day DATE NULL,"
           " requested INT NOT NULL,"
           " accepted INT NOT NULL,"
           " locked INT NOT NULL,"
           " limit_type INT NOT NULL,"
           " user_status BLOB NOT NULL,"  // serialized citecheck.v1.UserStatus
           " created_at DATETIME(6) NOT NULL,"
           " PRIMARY KEY (job_id)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS reservation_items ("
           " job_id VARBINARY(128) NOT NULL,"
           " item_index INT NOT NULL,"
           " state ENUM('reserved', 'charged', 'released') NOT NULL,"
           " PRIMARY KEY (job_id, item_index)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS ledger ("
           " id BIGINT NOT NULL AUTO_INCREMENT,"
           " idempotency_key VARBINARY(200) NOT NULL,"
           " kind ENUM('grant', 'reserve', 'charge', 'release') NOT NULL,"
           " source ENUM('credits', 'pass', 'free') NOT NULL,"
           " owner VARBINARY(255) NOT NULL,"
           " order_id VARBINARY(128) NULL,"
           " job_id VARBINARY(128) NULL,"
           " item_index INT NULL,"
           " amount BIGINT NOT NULL,"
           " created_at DATETIME(6) NOT NULL,"
           " PRIMARY KEY (id),"
           " UNIQUE KEY ledger_idempotency_key (idempotency_key),"
           " CONSTRAINT ledger_amount_nonnegative CHECK (amount >= 0)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       }},
  };
  return *kMigrations;
}

}  // namespace citecheck

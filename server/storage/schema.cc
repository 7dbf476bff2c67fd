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
      {2,
       "jobs",
       {
           "CREATE TABLE IF NOT EXISTS jobs ("
           " job_id VARBINARY(64) NOT NULL,"
           " owner_key VARBINARY(255) NOT NULL,"
           " request_id VARBINARY(64) NULL,"
           " input_fingerprint CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
           " style TINYINT NOT NULL,"
           " model VARBINARY(255) NOT NULL,"
           " state TINYINT NOT NULL,"
           " total INT NOT NULL,"
           " accepted INT NOT NULL,"
           " succeeded INT NOT NULL DEFAULT 0,"
           " failed INT NOT NULL DEFAULT 0,"
           " limit_type TINYINT NOT NULL,"
           " user_status BLOB NOT NULL,"  // serialized citecheck.v1.UserStatus
           " error BLOB NULL,"            // serialized google.rpc.Status, when FAILED
           " create_time DATETIME(6) NOT NULL,"
           " finish_time DATETIME(6) NULL,"
           " deadline DATETIME(6) NOT NULL,"
           " last_sequence BIGINT NOT NULL,"
           " document TINYINT NOT NULL DEFAULT 0,"  // document input
           " inline_total INT NOT NULL DEFAULT 0,"  // in-text citations found
           " inline_skipped TINYINT NOT NULL DEFAULT 0,"
           " inline_done INT NOT NULL DEFAULT 0,"  // in-text citations with a verdict
           " uncited TEXT NULL,"  // uncited reference indices, comma-separated, once ended
           " PRIMARY KEY (job_id),"
           " UNIQUE KEY jobs_request (owner_key, request_id),"
           " KEY jobs_owner_time (owner_key, create_time, job_id),"
           " KEY jobs_owner_state_time (owner_key, state, create_time, job_id),"
           " KEY jobs_state_deadline (state, deadline),"
           " KEY jobs_finish_time (finish_time)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS job_items ("
           " job_id VARBINARY(64) NOT NULL,"
           " kind TINYINT NOT NULL,"
           " item_index INT NOT NULL,"
           " state TINYINT NOT NULL,"
           " input MEDIUMBLOB NOT NULL,"           // the citation or in-text citation (UTF-8)
           " body_offset INT NOT NULL DEFAULT 0,"  // in-text citations: offset in the body
           " outcome MEDIUMBLOB NULL,"             // serialized CitationResult or ItemFailure
           " PRIMARY KEY (job_id, kind, item_index)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS job_chunks ("
           " chunk_id BIGINT NOT NULL AUTO_INCREMENT,"
           " job_id VARBINARY(64) NOT NULL,"
           " kind TINYINT NOT NULL,"
           " first_index INT NOT NULL,"
           " item_count INT NOT NULL,"
           " turn BIGINT NOT NULL,"
           " owner VARBINARY(128) NULL,"
           " token BIGINT NOT NULL DEFAULT 0,"
           " deaths INT NOT NULL DEFAULT 0,"
           " claim_id BIGINT NULL,"  // the Claim call that took it (replays find their claims)
           " PRIMARY KEY (chunk_id),"
           " KEY job_chunks_claim (owner, turn, chunk_id),"
           " KEY job_chunks_job (job_id),"
           " KEY job_chunks_claim_id (owner, claim_id)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS job_events ("
           " job_id VARBINARY(64) NOT NULL,"
           " seq BIGINT NOT NULL,"
           " kind TINYINT NOT NULL,"
           " item_kind TINYINT NULL,"
           " item_index INT NULL,"      // result, failure and inline events: their item
           " payload MEDIUMBLOB NULL,"  // job_update: the serialized snapshot
           " event_time DATETIME(6) NOT NULL,"
           " PRIMARY KEY (job_id, seq)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS processes ("
           " name VARBINARY(128) NOT NULL,"
           " incarnation BIGINT NOT NULL,"
           " heartbeat_at DATETIME(6) NOT NULL,"
           " started_at DATETIME(6) NOT NULL,"
           " PRIMARY KEY (name)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "CREATE TABLE IF NOT EXISTS queue_counts ("
           " shard INT NOT NULL,"
           " chunks BIGINT NOT NULL,"
           " PRIMARY KEY (shard)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           "INSERT IGNORE INTO queue_counts (shard, chunks) SELECT seq, 0 FROM seq_0_to_15",

           "CREATE TABLE IF NOT EXISTS server_keys ("
           " name VARBINARY(64) NOT NULL,"
           " secret VARBINARY(64) NOT NULL,"
           " PRIMARY KEY (name)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
       }},
      {3,
       "free_address_usage",
       {
           "CREATE TABLE IF NOT EXISTS free_address_usage ("
           " address_key VARBINARY(255) NOT NULL,"
           " day DATE NOT NULL,"
           " used INT NOT NULL,"
           " PRIMARY KEY (address_key, day),"
           " CONSTRAINT free_address_usage_used_nonnegative CHECK (used >= 0)"
           ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",

           // Nullable columns at the end: instant in MariaDB, whatever the table's size.
           "ALTER TABLE reservations"
           " ADD COLUMN IF NOT EXISTS address_key VARBINARY(255) NULL,"
           " ADD COLUMN IF NOT EXISTS address_day DATE NULL",
       }},
  };
  return *kMigrations;
}

}  // namespace citecheck

#include "bench/general_log.h"

#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace citecheck::bench {
namespace {

using ::testing::ElementsAre;

// A general query log as MariaDB 10.11 writes it (log_output=FILE): a header, then
// "<time or nothing>\t<id> <Command>\t<argument>" lines of interleaved connections.
constexpr char kLog[] =
    "/usr/sbin/mariadbd, Version: 10.11.19-MariaDB-0+deb12u1 (Debian 12). started with:\n"
    "Tcp port: 14039  Unix socket: /dev/shm/x/mysqld.sock\n"
    "Time\t\t    Id Command\tArgument\n"
    "261204 21:39:59\t    33 Connect\tbench_a@127.0.0.1 on citecheck_x using TCP/IP\n"
    "\t\t    33 Query\tSET autocommit=1\n"
    "\t\t    33 Query\tSHOW SESSION VARIABLES LIKE 'lower_case_table_names'\n"
    "\t\t    34 Connect\tbench_b@127.0.0.1 on citecheck_x using TCP/IP\n"
    "\t\t    33 Query\tSET autocommit=0\n"
    "\t\t    33 Query\tSET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED\n"
    "\t\t    33 Prepare\tSELECT chunk_id FROM job_chunks WHERE owner IS NULL ORDER BY turn,"
    " chunk_id LIMIT ? FOR UPDATE SKIP LOCKED\n"
    "\t\t    33 Execute\tSELECT chunk_id FROM job_chunks WHERE owner IS NULL ORDER BY turn,"
    " chunk_id LIMIT 4 FOR UPDATE SKIP LOCKED\n"
    "\t\t    34 Execute\tUPDATE processes SET heartbeat_at = '2026-12-04 21:39:59.000000'"
    " WHERE name = 'b' AND incarnation = 7\n"
    "261204 21:40:00\t    33 Execute\tUPDATE job_chunks SET owner = 'a', token = token + 1,"
    " claim_id = 5 WHERE chunk_id IN (1, 2)\n"
    "\t\t    33 Close stmt\t\n"
    "\t\t    33 Query\tCOMMIT\n"
    "\t\t    33 Execute\tSELECT chunk_id FROM job_chunks WHERE owner IS NULL ORDER BY turn,"
    " chunk_id LIMIT 4 FOR UPDATE SKIP LOCKED\n"
    "\t\t    33 Query\tROLLBACK\n"
    "\t\t    33 Execute\tSELECT job_id, last_sequence, state FROM jobs WHERE job_id IN ('j')\n"
    "\t\t    33 Quit\t\n";

std::vector<LoggedTransaction> Parse(const std::string& text) {
  std::istringstream in(text);
  return ParseGeneralLog(in);
}

TEST(GeneralLogTest, CutsEachConnectionIntoTransactionsInTheOrderTheyEnded) {
  const std::vector<LoggedTransaction> log = Parse(kLog);
  ASSERT_EQ(log.size(), 5u);

  EXPECT_EQ(log[0].connection, 33);
  EXPECT_EQ(log[0].user, "bench_a");
  EXPECT_TRUE(log[0].autocommit);
  EXPECT_THAT(
      log[0].statements,
      ElementsAre("SET autocommit=1", "SHOW SESSION VARIABLES LIKE 'lower_case_table_names'"));

  EXPECT_EQ(log[1].connection, 34);  // autocommit: the statement is its own transaction
  EXPECT_EQ(log[1].user, "bench_b");
  EXPECT_TRUE(log[1].autocommit);
  EXPECT_EQ(log[1].statements.size(), 1u);

  // The SETs before a transaction are its round trips too; a Prepare is counted apart.
  EXPECT_EQ(log[2].connection, 33);
  EXPECT_TRUE(log[2].committed);
  EXPECT_FALSE(log[2].autocommit);
  EXPECT_EQ(log[2].prepares, 1);
  ASSERT_EQ(log[2].statements.size(), 5u);
  EXPECT_EQ(log[2].statements[0], "SET autocommit=0");
  EXPECT_EQ(log[2].statements[4], "COMMIT");

  EXPECT_FALSE(log[3].committed);  // rolled back
  EXPECT_EQ(log[3].statements.size(), 2u);

  // Open when the connection quit: returned, neither committed nor autocommit.
  EXPECT_FALSE(log[4].committed);
  EXPECT_FALSE(log[4].autocommit);
  EXPECT_EQ(log[4].statements.size(), 1u);
  EXPECT_LT(log[2].end_offset, log[3].end_offset);
}

TEST(GeneralLogTest, ClassifiesTheServersTransactionsByTheirStatements) {
  const std::vector<LoggedTransaction> log = Parse(kLog);
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(Classify(log[0]), TransactionKind::kConnectionSetup);
  EXPECT_EQ(Classify(log[1]), TransactionKind::kReplica);
  EXPECT_EQ(Classify(log[2]), TransactionKind::kClaim);
  EXPECT_EQ(Classify(log[3]), TransactionKind::kClaimEmpty);
  EXPECT_EQ(Classify(log[4]), TransactionKind::kHeadRead);

  LoggedTransaction record;
  record.statements = {
      "SELECT chunk_id, job_id, first_index, item_count, owner, token, kind FROM job_chunks"
      " WHERE chunk_id IN (1, 2) ORDER BY chunk_id FOR UPDATE",
      "INSERT INTO job_items (job_id, kind, item_index, state, input, outcome) VALUES"
      " ('j', 0, 0, 1, '', UNHEX('0a01')), ('j', 0, 1, 2, '', UNHEX('0b02'))"
      " ON DUPLICATE KEY UPDATE state = VALUES(state), outcome = VALUES(outcome)",
      "COMMIT"};
  EXPECT_EQ(Classify(record), TransactionKind::kRecord);
  EXPECT_EQ(RecordedItems(record), 2);

  LoggedTransaction cancel;
  cancel.statements = {
      "SELECT chunk_id FROM job_chunks WHERE job_id = 'j' ORDER BY chunk_id FOR UPDATE",
      "INSERT INTO job_items (job_id, kind, item_index, state, input, outcome) VALUES"
      " ('j', 0, 3, 3, '', UNHEX(NULL)) ON DUPLICATE KEY UPDATE state = VALUES(state),"
      " outcome = VALUES(outcome)",
      "COMMIT"};
  EXPECT_EQ(Classify(cancel), TransactionKind::kEndJob);
  EXPECT_EQ(RecordedItems(cancel), 0);  // cancelled items carry no outcome

  LoggedTransaction queue_size;
  queue_size.statements = {"SELECT CAST(COALESCE(SUM(chunks), 0) AS SIGNED) FROM queue_counts",
                           "COMMIT"};
  EXPECT_EQ(Classify(queue_size), TransactionKind::kMaintenance);

  LoggedTransaction submit;
  submit.statements = {"INSERT INTO jobs (job_id) VALUES ('j')", "COMMIT"};
  EXPECT_EQ(Classify(submit), TransactionKind::kSubmit);
}

TEST(GeneralLogTest, TalliesTheUsersTransactionsThatEndedAfterTheOffset) {
  const std::vector<LoggedTransaction> log = Parse(kLog);
  const auto a = TallyByKind(log, "bench_a", log[2].end_offset);
  EXPECT_EQ(a.count(TransactionKind::kConnectionSetup), 0u);  // ended before the offset
  ASSERT_EQ(a.count(TransactionKind::kClaim), 1u);
  EXPECT_EQ(a.at(TransactionKind::kClaim).transactions, 1);
  EXPECT_EQ(a.at(TransactionKind::kClaim).statements, 5);
  EXPECT_EQ(a.at(TransactionKind::kClaim).prepares, 1);
  EXPECT_EQ(a.count(TransactionKind::kReplica), 0u);  // bench_b's

  const auto everyone = TallyByKind(log, "bench_");
  EXPECT_EQ(everyone.at(TransactionKind::kReplica).transactions, 1);
  EXPECT_EQ(everyone.at(TransactionKind::kConnectionSetup).transactions, 1);
}

}  // namespace
}  // namespace citecheck::bench

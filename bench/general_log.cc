#include "bench/general_log.h"

#include <algorithm>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace citecheck::bench {
namespace {

// One line of the log: connection id, command and argument.
struct LogLine {
  int64_t connection = 0;
  absl::string_view command;
  absl::string_view argument;
};

// Lines look like "<time or nothing>\t[\t] <id> <Command>\t<argument>"; the time column is
// "YYMMDD HH:MM:SS" on the first line of each second and empty on the others.
bool ParseLine(absl::string_view line, LogLine* out) {
  const size_t tab = line.find('\t');
  if (tab == absl::string_view::npos) return false;
  absl::string_view rest = line.substr(tab + 1);
  while (!rest.empty() && (rest.front() == '\t' || rest.front() == ' ')) rest.remove_prefix(1);
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits >= rest.size() || rest[digits] != ' ') return false;
  if (!absl::SimpleAtoi(rest.substr(0, digits), &out->connection)) return false;
  rest.remove_prefix(digits + 1);
  const size_t end = rest.find('\t');
  out->command = rest.substr(0, end);
  out->argument = end == absl::string_view::npos ? absl::string_view() : rest.substr(end + 1);
  static constexpr absl::string_view kCommands[] = {
      "Connect", "Quit",      "Query", "Prepare", "Execute",    "Close stmt", "Reset stmt",
      "Init DB", "Long Data", "Fetch", "Ping",    "Statistics", "Field List", "Change user"};
  return std::find(std::begin(kCommands), std::end(kCommands), out->command) != std::end(kCommands);
}

bool StartsWithWords(absl::string_view text, absl::string_view prefix) {
  return absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(text), prefix);
}

// Folds "SET autocommit = 0" and "SET autocommit=0" alike.
bool IsSetAutocommit(absl::string_view statement, char value) {
  std::string squeezed;
  for (char c : statement) {
    if (c != ' ') squeezed += absl::ascii_tolower(static_cast<unsigned char>(c));
  }
  return squeezed == std::string("setautocommit=") + value;
}

struct Connection {
  std::string user;
  bool autocommit = true;  // a new connection starts in autocommit mode
  bool open = false;       // a statement of the current transaction was sent
  LoggedTransaction current;
};

void Finish(int64_t id, int64_t offset, Connection& c, std::vector<LoggedTransaction>& out) {
  c.current.connection = id;
  c.current.end_offset = offset;
  c.current.user = c.user;
  out.push_back(std::move(c.current));
  c.current = LoggedTransaction();
  c.open = false;
}

void AddStatement(int64_t id, int64_t offset, Connection& c, absl::string_view statement,
                  std::vector<LoggedTransaction>& out) {
  c.current.statements.emplace_back(statement);
  if (IsSetAutocommit(statement, '0')) {
    c.autocommit = false;
    return;
  }
  if (IsSetAutocommit(statement, '1')) {
    if (c.open) {  // turning autocommit on commits what is open
      c.current.committed = true;
      Finish(id, offset, c, out);
    }
    c.autocommit = true;
    return;
  }
  if (StartsWithWords(statement, "COMMIT") || StartsWithWords(statement, "ROLLBACK")) {
    c.current.committed = StartsWithWords(statement, "COMMIT");
    Finish(id, offset, c, out);
    return;
  }
  // Setting the next transaction's isolation level opens no transaction.
  if (StartsWithWords(statement, "SET SESSION TRANSACTION")) return;
  if (c.autocommit) {
    c.current.autocommit = true;
    Finish(id, offset, c, out);
  } else {
    c.open = true;
  }
}

bool Any(const LoggedTransaction& t, absl::string_view needle) {
  for (const std::string& statement : t.statements) {
    if (absl::StrContains(statement, needle)) return true;
  }
  return false;
}

int Occurrences(absl::string_view text, absl::string_view needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != absl::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

}  // namespace

std::vector<LoggedTransaction> ParseGeneralLog(std::istream& log) {
  std::vector<LoggedTransaction> out;
  std::unordered_map<int64_t, Connection> connections;
  std::string line;
  int64_t offset = 0;
  for (int64_t next = 0; std::getline(log, line); offset = next) {
    next = offset + static_cast<int64_t>(line.size()) + 1;
    LogLine parsed;
    if (!ParseLine(line, &parsed)) continue;
    Connection& c = connections[parsed.connection];
    if (parsed.command == "Connect") {
      c.user = std::string(parsed.argument.substr(0, parsed.argument.find('@')));
    } else if (parsed.command == "Prepare") {
      ++c.current.prepares;
    } else if (parsed.command == "Query" || parsed.command == "Execute") {
      AddStatement(parsed.connection, offset, c, parsed.argument, out);
    } else if (parsed.command == "Quit") {
      if (!c.current.statements.empty()) Finish(parsed.connection, offset, c, out);
      connections.erase(parsed.connection);
    }
  }
  for (auto& [id, c] : connections) {
    if (!c.current.statements.empty()) Finish(id, offset, c, out);
  }
  return out;
}

const char* KindName(TransactionKind kind) {
  switch (kind) {
    case TransactionKind::kSubmit:
      return "submit (job + reservation)";
    case TransactionKind::kClaim:
      return "claim";
    case TransactionKind::kClaimEmpty:
      return "claim that found nothing";
    case TransactionKind::kMarkRunning:
      return "mark jobs RUNNING";
    case TransactionKind::kRecord:
      return "record (results + charges + events)";
    case TransactionKind::kHandBack:
      return "hand back";
    case TransactionKind::kEndJob:
      return "cancel / deadline";
    case TransactionKind::kEventRead:
      return "read events (watch catch-up, poller)";
    case TransactionKind::kHeadRead:
      return "read job heads (poller, cancel watch)";
    case TransactionKind::kJobRead:
      return "read a job (GetJob, WatchJob's check)";
    case TransactionKind::kReplica:
      return "replica (register, heartbeat, sweep)";
    case TransactionKind::kMaintenance:
      return "maintenance (deadlines, retention, orphans, queue size)";
    case TransactionKind::kAccount:
      return "accounts (grants, balances)";
    case TransactionKind::kConnectionSetup:
      return "connection setup";
    case TransactionKind::kOther:
      return "other";
  }
  return "?";
}

TransactionKind Classify(const LoggedTransaction& t) {
  if (Any(t, "INSERT INTO jobs ")) return TransactionKind::kSubmit;
  if (Any(t, "SKIP LOCKED") || Any(t, "AND claim_id = ")) {
    return Any(t, "token = token + 1") ? TransactionKind::kClaim : TransactionKind::kClaimEmpty;
  }
  if (Any(t, "first_index, item_count, owner, token")) return TransactionKind::kRecord;
  if (Any(t, "SELECT chunk_id FROM job_chunks WHERE job_id =")) return TransactionKind::kEndJob;
  if (Any(t, "UPDATE job_chunks SET owner = NULL")) return TransactionKind::kHandBack;
  if (Any(t, "processes") || Any(t, "_LOCK(")) return TransactionKind::kReplica;
  if (Any(t, "UPDATE jobs SET state")) return TransactionKind::kMarkRunning;
  if (Any(t, "FROM job_events e")) return TransactionKind::kEventRead;
  if (Any(t, "SELECT job_id, last_sequence, state FROM jobs")) return TransactionKind::kHeadRead;
  if (Any(t, "AND deadline <") || Any(t, "WHERE finish_time <") || Any(t, "LEFT JOIN jobs j") ||
      Any(t, "FROM queue_counts")) {
    return TransactionKind::kMaintenance;
  }
  if (Any(t, "FROM accounts") || Any(t, "INTO orders") || Any(t, "INTO ledger")) {
    return TransactionKind::kAccount;
  }
  if (Any(t, "FROM jobs")) return TransactionKind::kJobRead;
  const bool only_session =
      std::all_of(t.statements.begin(), t.statements.end(), [](const std::string& statement) {
        return StartsWithWords(statement, "SET ") || StartsWithWords(statement, "SHOW ");
      });
  return only_session ? TransactionKind::kConnectionSetup : TransactionKind::kOther;
}

int RecordedItems(const LoggedTransaction& t) {
  int items = 0;
  for (const std::string& statement : t.statements) {
    if (!absl::StartsWith(statement, "INSERT INTO job_items") ||
        !absl::StrContains(statement, "outcome)")) {
      continue;
    }
    // Each row is "(..., '', UNHEX('<outcome>'))"; cancelled rows have UNHEX(NULL).
    items += Occurrences(statement, "'', UNHEX('");
  }
  return items;
}

std::map<TransactionKind, KindTally> TallyByKind(const std::vector<LoggedTransaction>& log,
                                                 const std::string& user_prefix,
                                                 int64_t since_offset) {
  std::map<TransactionKind, KindTally> tally;
  for (const LoggedTransaction& t : log) {
    if (!absl::StartsWith(t.user, user_prefix) || t.end_offset < since_offset) continue;
    const TransactionKind kind = Classify(t);
    KindTally& k = tally[kind];
    ++k.transactions;
    k.statements += static_cast<int64_t>(t.statements.size());
    k.prepares += t.prepares;
    if (kind == TransactionKind::kRecord) k.recorded_items += RecordedItems(t);
  }
  return tally;
}

}  // namespace citecheck::bench

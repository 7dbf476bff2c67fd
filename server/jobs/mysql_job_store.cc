#include "server/jobs/mysql_job_store.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "server/accounts/gating.h"
#include "server/checking/checker.h"
#include "server/checking/inline_matcher.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/common/status_macros.h"
#include "server/jobs/job_metrics.h"
#include "server/jobs/job_protos.h"
#include "server/jobs/job_rules.h"

namespace citecheck {
namespace {

constexpr size_t kMaxOwnerKeyBytes = 255;  // jobs.owner_key, as the account store keys owners
constexpr int kQueueShards = 16;           // rows of queue_counts

// job_items.state
enum ItemStateCode { kItemPending = 0, kItemSucceeded = 1, kItemFailed = 2, kItemCancelled = 3 };
// job_events.kind
enum EventKindCode { kEventJobUpdate = 0, kEventResult = 1, kEventFailure = 2, kEventInline = 3 };
// job_items.kind
constexpr int kReferenceItem = static_cast<int>(ItemKind::kReference);
constexpr int kInlineItem = static_cast<int>(ItemKind::kInline);

using Outbox = std::vector<std::pair<std::string, std::vector<v1::JobEvent>>>;

int64_t RandomId() {
  thread_local absl::BitGen gen;
  return absl::Uniform<int64_t>(gen, 1, std::numeric_limits<int64_t>::max());
}

int RandomShard() {
  thread_local absl::BitGen gen;
  return absl::Uniform<int>(gen, 0, kQueueShards);
}

std::string Hex(const google::protobuf::MessageLite& message) {
  return absl::BytesToHexString(message.SerializeAsString());
}

template <typename Message>
absl::Status ParseHex(const std::string& hex, Message* out) {
  if (!out->ParseFromString(absl::HexStringToBytes(hex))) {
    return absl::InternalError("storage: a stored message does not parse");
  }
  return absl::OkStatus();
}

std::string MicrosSql(absl::string_view column) {
  return absl::StrCat("TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ", column, ")");
}

std::vector<SqlValue> Values(const std::vector<std::string>& strings) {
  return std::vector<SqlValue>(strings.begin(), strings.end());
}
std::vector<SqlValue> Values(const std::vector<int64_t>& ints) {
  return std::vector<SqlValue>(ints.begin(), ints.end());
}

// "column IN (?, ...)" for `values` appended to `sql`, values to `params`.
void In(std::string* sql, std::vector<SqlValue>* params, absl::string_view column,
        const std::vector<SqlValue>& values) {
  absl::StrAppend(sql, column, " IN ");
  AppendInList(sql, params, values);
}

// Item ranges of several chunks, read with ONE statement (a range scan of job_items' primary
// key) instead of one per chunk: each range is [first, first + count) of one job's items of one
// kind; ranges of one job and kind never overlap.
class ItemRanges {
 public:
  void Add(const std::string& job_id, int kind, int first, int count) {
    by_start_[{job_id, kind, first}] = static_cast<int>(ranges_.size());
    ranges_.push_back({job_id, kind, first, count});
  }
  bool empty() const { return ranges_.empty(); }

  // Appends "((job_id = ? AND kind = ? AND item_index BETWEEN ? AND ?) OR ...)" to `sql` and
  // its values to `params`, padded to the next power of two with copies of the last range (an
  // OR ignores them), so that batches of any size share few statement texts.
  void AppendCondition(std::string* sql, std::vector<SqlValue>* params) const {
    size_t padded = 1;
    while (padded < ranges_.size()) padded *= 2;
    *sql += "(";
    for (size_t i = 0; i < padded; ++i) {
      const Range& r = ranges_[std::min(i, ranges_.size() - 1)];
      absl::StrAppend(sql, i == 0 ? "" : " OR ",
                      "(job_id = ? AND kind = ? AND item_index BETWEEN ? AND ?)");
      params->insert(params->end(), {r.job_id, r.kind, r.first, r.first + r.count - 1});
    }
    *sql += ")";
  }

  // The position (in the order of Add) of the range holding the item, or -1.
  int Find(const std::string& job_id, int kind, int index) const {
    auto it = by_start_.upper_bound({job_id, kind, index});
    if (it == by_start_.begin()) return -1;
    --it;
    const Range& r = ranges_[it->second];
    const bool inside = r.job_id == job_id && r.kind == kind && index < r.first + r.count;
    return inside ? it->second : -1;
  }

 private:
  struct Range {
    std::string job_id;
    int kind;
    int first;
    int count;
  };
  std::vector<Range> ranges_;
  std::map<std::tuple<std::string, int, int>, int> by_start_;  // (job, kind, first) -> position
};

// ---- Job rows --------------------------------------------------------------------------------

// The columns ReadJobRow parses, in order.
const std::string& JobColumns() {
  static const std::string* const kColumns = new std::string(absl::StrCat(
      "job_id, owner_key, state, style, total, accepted, succeeded, failed, limit_type,"
      " HEX(user_status), HEX(error), ",
      MicrosSql("create_time"), ", ", MicrosSql("finish_time"),
      ", last_sequence, model,"
      " request_id, input_fingerprint, ",
      MicrosSql("deadline"), ", document, inline_total, inline_skipped, inline_done, uncited"));
  return *kColumns;
}

struct JobRow {
  v1::Job job;  // without results, failures and inline citations
  std::string owner_key;
  std::string input_fingerprint;
  absl::Time deadline;
  bool document = false;
  int inline_done = 0;
};

std::string UncitedText(const v1::Job& job) { return absl::StrJoin(job.uncited_references(), ","); }

absl::StatusOr<JobRow> ReadJobRow(const SqlRow& row) {
  JobRow out;
  v1::Job& job = out.job;
  job.set_job_id(row.String(0));
  out.owner_key = row.String(1);
  const int state = static_cast<int>(row.Int(2));
  const int style = static_cast<int>(row.Int(3));
  const int limit_type = static_cast<int>(row.Int(8));
  if (!v1::JobState_IsValid(state) || !v1::Style_IsValid(style) ||
      !v1::LimitType_IsValid(limit_type)) {
    return absl::InternalError("storage: a stored job has an unknown enum value");
  }
  job.set_state(static_cast<v1::JobState>(state));
  job.set_style(static_cast<v1::Style>(style));
  job.set_total(static_cast<int32_t>(row.Int(4)));
  job.set_accepted(static_cast<int32_t>(row.Int(5)));
  job.set_locked(job.total() - job.accepted());
  job.set_partial(job.locked() > 0);
  job.set_succeeded(static_cast<int32_t>(row.Int(6)));
  job.set_failed(static_cast<int32_t>(row.Int(7)));
  job.set_limit_type(static_cast<v1::LimitType>(limit_type));
  RETURN_IF_ERROR(ParseHex(row.String(9), job.mutable_user_status()));
  if (!row.IsNull(10)) RETURN_IF_ERROR(ParseHex(row.String(10), job.mutable_error()));
  SetTimestamp(absl::FromUnixMicros(row.Int(11)), job.mutable_create_time());
  if (!row.IsNull(12)) SetTimestamp(absl::FromUnixMicros(row.Int(12)), job.mutable_finish_time());
  job.set_last_sequence(row.Int(13));
  job.set_model(row.String(14));
  job.set_request_id(row.String(15));
  out.input_fingerprint = row.String(16);
  out.deadline = absl::FromUnixMicros(row.Int(17));
  out.document = row.Int(18) != 0;
  job.set_inline_total(static_cast<int32_t>(row.Int(19)));
  job.set_inline_skipped(row.Int(20) != 0);
  out.inline_done = static_cast<int>(row.Int(21));
  for (absl::string_view index : absl::StrSplit(row.String(22), ',', absl::SkipEmpty())) {
    int32_t value = 0;
    if (!absl::SimpleAtoi(index, &value)) {
      return absl::InternalError("storage: a stored job has malformed uncited references");
    }
    job.add_uncited_references(value);
  }
  return out;
}

// The job rows of `job_ids` (sorted), locked FOR UPDATE when `lock`, by job id.
absl::StatusOr<std::map<std::string, JobRow>> ReadJobRows(Session& tx,
                                                          const std::vector<std::string>& job_ids,
                                                          bool lock) {
  std::map<std::string, JobRow> jobs;
  if (job_ids.empty()) return jobs;
  std::string sql = absl::StrCat("SELECT ", JobColumns(), " FROM jobs WHERE ");
  std::vector<SqlValue> params;
  In(&sql, &params, "job_id", Values(job_ids));
  absl::StrAppend(&sql, " ORDER BY job_id", lock ? " FOR UPDATE" : "");
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
  for (const SqlRow& row : rows) {
    ASSIGN_OR_RETURN(JobRow job, ReadJobRow(row));
    std::string id = job.job.job_id();
    jobs.emplace(std::move(id), std::move(job));
  }
  return jobs;
}

absl::StatusOr<std::optional<JobRow>> ReadOneJob(Session& tx, const std::string& job_id,
                                                 bool lock) {
  ASSIGN_OR_RETURN(auto jobs, ReadJobRows(tx, {job_id}, lock));
  if (jobs.empty()) return std::optional<JobRow>();
  return std::optional<JobRow>(std::move(jobs.begin()->second));
}

// The job with its results and failures.
absl::StatusOr<v1::Job> WithOutcomes(Session& tx, JobRow row) {
  ASSIGN_OR_RETURN(std::vector<SqlRow> items,
                   tx.Query("SELECT item_index, state, HEX(outcome), kind FROM job_items"
                            " WHERE job_id = ? AND state IN (1, 2)"
                            " ORDER BY kind, item_index",
                            {row.job.job_id()}));
  for (const SqlRow& item : items) {
    if (item.Int(3) == kInlineItem) {
      RETURN_IF_ERROR(ParseHex(item.String(2), row.job.add_inline_citations()));
    } else if (item.Int(1) == kItemSucceeded) {
      RETURN_IF_ERROR(ParseHex(item.String(2), row.job.add_results()));
    } else {
      RETURN_IF_ERROR(ParseHex(item.String(2), row.job.add_failures()));
    }
  }
  return std::move(row.job);
}

// ---- Changing jobs inside a transaction ------------------------------------------------------

// A job locked by the current transaction, with what the transaction does to it.
struct LockedJob {
  JobRow row;
  std::vector<v1::JobEvent> events;  // new events, full payloads, in sequence order
  google::rpc::Status last_failure;
  std::vector<v1::InlineCitation> new_verdicts;  // in-text verdicts recorded by this transaction
  bool changed = false;
};

// What a transaction writes besides the jobs themselves.
struct Writes {
  std::vector<SqlValue> item_rows;  // (job_id, kind, item_index, state, outcome hex)
  std::vector<Settlement> settlements;
  std::vector<int64_t> deleted_chunks;
};

void AddJobUpdate(LockedJob& job, absl::Time now) {
  const int64_t sequence = job.row.job.last_sequence() + 1;
  job.row.job.set_last_sequence(sequence);
  job.events.push_back(JobUpdateEvent(job.row.job, sequence, now));
  job.changed = true;
}

// Records `outcome` for pending item `index` of `job`.
void RecordItem(LockedJob& job, int index, const absl::StatusOr<v1::CitationResult>& outcome,
                absl::Time now, Writes& writes) {
  v1::Job& snapshot = job.row.job;
  const int64_t sequence = snapshot.last_sequence() + 1;
  snapshot.set_last_sequence(sequence);
  v1::JobEvent event = ItemEvent(snapshot.job_id(), outcome, index, sequence, now);
  if (outcome.ok()) {
    snapshot.set_succeeded(snapshot.succeeded() + 1);
    writes.item_rows.insert(writes.item_rows.end(), {snapshot.job_id(), kReferenceItem, index,
                                                     kItemSucceeded, Hex(event.result())});
  } else {
    snapshot.set_failed(snapshot.failed() + 1);
    job.last_failure = event.failure().status();
    writes.item_rows.insert(writes.item_rows.end(), {snapshot.job_id(), kReferenceItem, index,
                                                     kItemFailed, Hex(event.failure())});
  }
  writes.settlements.push_back(
      {snapshot.job_id(), index,
       outcome.ok() ? Settlement::Kind::kCharge : Settlement::Kind::kRelease});
  job.events.push_back(std::move(event));
  job.changed = true;
}

// Records the verdict of pending in-text item `citation.index()` of `job` (never charged).
void RecordInline(LockedJob& job, const v1::InlineCitation& citation, absl::Time now,
                  Writes& writes) {
  v1::Job& snapshot = job.row.job;
  const int64_t sequence = snapshot.last_sequence() + 1;
  snapshot.set_last_sequence(sequence);
  writes.item_rows.insert(writes.item_rows.end(),
                          {snapshot.job_id(), kInlineItem, citation.index(),
                           citation.has_error() ? kItemFailed : kItemSucceeded, Hex(citation)});
  ++job.row.inline_done;
  job.new_verdicts.push_back(citation);
  job.events.push_back(InlineEvent(snapshot.job_id(), citation, sequence, now));
  job.changed = true;
}

// Ends `job` by its outcome when every item is done; a document gets its uncited references
// from every in-text verdict (those stored before and those of this transaction).
absl::Status FinishIfDone(Session& tx, LockedJob& job, absl::Time now) {
  if (IsTerminalState(job.row.job.state()) || !AllItemsDone(job.row.job, job.row.inline_done)) {
    return absl::OkStatus();
  }
  if (job.row.document && !job.row.job.inline_skipped()) {
    ASSIGN_OR_RETURN(std::vector<SqlRow> stored,
                     tx.Query("SELECT HEX(outcome) FROM job_items WHERE job_id = ? AND kind = 1"
                              " AND state IN (1, 2)",
                              {job.row.job.job_id()}));
    std::vector<v1::InlineCitation> verdicts = job.new_verdicts;
    for (const SqlRow& row : stored) {
      verdicts.emplace_back();
      RETURN_IF_ERROR(ParseHex(row.String(0), &verdicts.back()));
    }
    for (int32_t uncited : UncitedReferences(job.row.job.total(), verdicts)) {
      job.row.job.add_uncited_references(uncited);
    }
  }
  FinishByOutcome(job.row.job, job.last_failure, now);
  AddJobUpdate(job, now);
  return absl::OkStatus();
}

// The pending item indices of `job_id` in [first, first + count), locked.
// The pending items of `kind` of `job_id` in [first, first + count), locked, with their input
// and body offset.
struct PendingItem {
  std::string input;
  int offset = 0;
};
absl::StatusOr<std::map<int, PendingItem>> LockPendingItems(Session& tx, const std::string& job_id,
                                                            int kind, int first, int count) {
  ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                   tx.Query("SELECT item_index, HEX(input), body_offset FROM job_items"
                            " WHERE job_id = ? AND kind = ? AND item_index BETWEEN ? AND ?"
                            " AND state = 0 ORDER BY item_index FOR UPDATE",
                            {job_id, kind, first, first + count - 1}));
  std::map<int, PendingItem> pending;
  for (const SqlRow& row : rows) {
    pending[static_cast<int>(row.Int(0))] = {absl::HexStringToBytes(row.String(1)),
                                             static_cast<int>(row.Int(2))};
  }
  return pending;
}

// Fails the pending items of `kind` of `job` in [first, first + count) with `status`
// (references are released; in-text citations get their verdict with `error` set).
absl::Status FailPending(Session& tx, LockedJob& job, int kind, int first, int count,
                         const absl::Status& status, absl::Time now, Writes& writes) {
  if (count <= 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto pending, LockPendingItems(tx, job.row.job.job_id(), kind, first, count));
  for (const auto& [index, item] : pending) {
    if (kind == kInlineItem) {
      RecordInline(job, UncheckedInline(index, item.input, item.offset, status), now, writes);
    } else {
      RecordItem(job, index, status, now, writes);
    }
  }
  return absl::OkStatus();
}

// Writes the heads of changed jobs: `rows` of (job_id, state, succeeded, failed, last_sequence,
// finish_time, hex error, inline_done, uncited), all jobs in one statement per 64 (a recording
// usually changes as many jobs as it has chunks, since jobs take turns). Rows are padded to a
// power of two with copies of the last one (a joined row updates its job once) so that few
// statement texts are prepared.
absl::Status UpdateJobHeads(Session& tx, absl::Span<const SqlValue> rows) {
  constexpr size_t kWidth = 9;
  constexpr size_t kMaxRows = 64;
  for (size_t next = 0; next < rows.size(); next += kWidth * kMaxRows) {
    const absl::Span<const SqlValue> part = rows.subspan(next, kWidth * kMaxRows);
    const size_t count = part.size() / kWidth;
    size_t padded = 1;
    while (padded < count) padded *= 2;
    std::string sql =
        "UPDATE jobs j JOIN (SELECT ? AS id, ? AS st, ? AS ok, ? AS bad, ? AS seq, ? AS fin,"
        " UNHEX(?) AS err, ? AS idone, ? AS unc";
    for (size_t i = 1; i < padded; ++i)
      sql.append(" UNION ALL SELECT ?, ?, ?, ?, ?, ?, UNHEX(?), ?, ?");
    sql.append(
        ") v ON j.job_id = v.id SET j.state = v.st, j.succeeded = v.ok, j.failed = v.bad,"
        " j.last_sequence = v.seq, j.finish_time = v.fin, j.error = v.err,"
        " j.inline_done = v.idone, j.uncited = v.unc");
    std::vector<SqlValue> params(part.begin(), part.end());
    for (size_t i = count; i < padded; ++i)
      params.insert(params.end(), part.end() - kWidth, part.end());
    RETURN_IF_ERROR(tx.Execute(sql, params).status());
  }
  return absl::OkStatus();
}

// Writes the changed jobs, their events, the items, the deleted chunks and the settlements.
absl::Status WriteAll(Transaction& tx, MysqlAccountStore& accounts,
                      std::map<std::string, LockedJob>& jobs, Writes& writes, absl::Time now) {
  RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                  "INSERT INTO job_items (job_id, kind, item_index, state, input,"
                                  " outcome)",
                                  "(?, ?, ?, ?, '', UNHEX(?))",
                                  "ON DUPLICATE KEY UPDATE state = VALUES(state),"
                                  " outcome = VALUES(outcome)",
                                  5, writes.item_rows)
                      .status());
  RETURN_IF_ERROR(accounts.SettleIn(tx, writes.settlements, now));
  std::vector<SqlValue> events;
  std::vector<SqlValue> heads;
  for (auto& [job_id, job] : jobs) {
    if (!job.changed) continue;
    const v1::Job& s = job.row.job;
    const bool finished = IsTerminalState(s.state());
    heads.insert(
        heads.end(),
        {job_id, static_cast<int>(s.state()), s.succeeded(), s.failed(), s.last_sequence(),
         finished ? SqlValue(ToSqlDatetime(FromTimestamp(s.finish_time()))) : SqlValue(nullptr),
         s.has_error() ? SqlValue(Hex(s.error())) : SqlValue(nullptr), job.row.inline_done,
         finished && job.row.document ? SqlValue(UncitedText(s)) : SqlValue(nullptr)});
    for (const v1::JobEvent& event : job.events) {
      const std::string time = ToSqlDatetime(FromTimestamp(event.time()));
      if (event.has_job_update()) {
        events.insert(events.end(), {job_id, event.sequence(), kEventJobUpdate, nullptr, nullptr,
                                     Hex(event.job_update()), time});
      } else if (event.has_inline_citation()) {
        events.insert(events.end(), {job_id, event.sequence(), kEventInline, kInlineItem,
                                     event.inline_citation().index(), nullptr, time});
      } else if (event.has_result()) {
        events.insert(events.end(), {job_id, event.sequence(), kEventResult, 0,
                                     event.result().index(), nullptr, time});
      } else {
        events.insert(events.end(), {job_id, event.sequence(), kEventFailure, 0,
                                     event.failure().index(), nullptr, time});
      }
    }
  }
  RETURN_IF_ERROR(UpdateJobHeads(tx, heads));
  RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                  "INSERT INTO job_events (job_id, seq, kind, item_kind,"
                                  " item_index, payload, event_time)",
                                  "(?, ?, ?, ?, ?, UNHEX(?), ?)", "", 7, events)
                      .status());
  if (!writes.deleted_chunks.empty()) {
    std::string sql = "DELETE FROM job_chunks WHERE ";
    std::vector<SqlValue> params;
    In(&sql, &params, "chunk_id", Values(writes.deleted_chunks));
    RETURN_IF_ERROR(tx.Execute(sql, params).status());
    RETURN_IF_ERROR(tx.Execute("UPDATE queue_counts SET chunks = chunks - ? WHERE shard = ?",
                               {static_cast<int64_t>(writes.deleted_chunks.size()), RandomShard()})
                        .status());
  }
  return absl::OkStatus();
}

Outbox TakeEvents(std::map<std::string, LockedJob>& jobs) {
  Outbox outbox;
  for (auto& [job_id, job] : jobs) {
    if (!job.events.empty()) outbox.emplace_back(job_id, std::move(job.events));
  }
  return outbox;
}

absl::StatusOr<std::map<std::string, LockedJob>> LockJobs(Session& tx,
                                                          std::vector<std::string> job_ids) {
  std::sort(job_ids.begin(), job_ids.end());
  job_ids.erase(std::unique(job_ids.begin(), job_ids.end()), job_ids.end());
  ASSIGN_OR_RETURN(auto rows, ReadJobRows(tx, job_ids, /*lock=*/true));
  std::map<std::string, LockedJob> jobs;
  for (auto& [job_id, row] : rows) jobs[job_id].row = std::move(row);
  return jobs;
}

// A job row's "last failure": the status of its highest-index failure (as MemoryJobStore).
absl::Status LoadLastFailure(Session& tx, LockedJob& job) {
  if (job.row.job.failed() == 0) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                   tx.QueryRow("SELECT HEX(outcome) FROM job_items WHERE job_id = ? AND kind = 0"
                               " AND state = 2 ORDER BY item_index DESC LIMIT 1",
                               {job.row.job.job_id()}));
  if (!row.has_value()) return absl::OkStatus();
  v1::ItemFailure failure;
  RETURN_IF_ERROR(ParseHex(row->String(0), &failure));
  job.last_failure = failure.status();
  return absl::OkStatus();
}

// Fails every pending item of `job` with `status` (released), drops its chunks, and ends it.
absl::Status FailPendingAndFinish(Session& tx, LockedJob& job, const absl::Status& status,
                                  absl::Time now, Writes& writes) {
  const std::string& job_id = job.row.job.job_id();
  ASSIGN_OR_RETURN(std::vector<SqlRow> chunks,
                   tx.Query("SELECT chunk_id FROM job_chunks WHERE job_id = ? ORDER BY chunk_id"
                            " FOR UPDATE",
                            {job_id}));
  for (const SqlRow& chunk : chunks) writes.deleted_chunks.push_back(chunk.Int(0));
  RETURN_IF_ERROR(LoadLastFailure(tx, job));
  RETURN_IF_ERROR(
      FailPending(tx, job, kReferenceItem, 0, job.row.job.accepted(), status, now, writes));
  RETURN_IF_ERROR(
      FailPending(tx, job, kInlineItem, 0, InlineToCheck(job.row.job), status, now, writes));
  return FinishIfDone(tx, job, now);
}

}  // namespace

// ---- MysqlJobStore ---------------------------------------------------------------------------

MysqlJobStore::MysqlJobStore(MysqlJobStoreOptions options, MysqlPool* pool,
                             MysqlAccountStore* accounts, EventSink* sink)
    : options_(options), pool_(pool), accounts_(accounts), sink_(sink) {}

TransactionOptions MysqlJobStore::WriteOptions() const {
  TransactionOptions options{IsolationLevel::kReadCommitted, 8};
  options.deadline = absl::Now() + options_.transaction_budget;
  return options;
}

TransactionOptions MysqlJobStore::ReadOptions() const {
  TransactionOptions options{IsolationLevel::kRepeatableRead, 5};
  options.deadline = absl::Now() + options_.transaction_budget;
  return options;
}

void MysqlJobStore::Publish(Outbox outbox) {
  CountCommittedEvents(outbox);
  for (auto& [job_id, events] : outbox) sink_->Publish(job_id, std::move(events));
}

absl::StatusOr<v1::Job> MysqlJobStore::Submit(const NewJob& spec) {
  const absl::Time now = TruncateToMicros(spec.create_time);
  const std::string owner_key = StorageKey(spec.caller.OwnerKey(), kMaxOwnerKeyBytes);
  const int total = static_cast<int>(spec.citations.size());
  const int wanted =
      ChunkCount(total, spec.citations_per_chunk) +
      ChunkCount(static_cast<int>(spec.inline_citations.size()), spec.inline_per_chunk);
  v1::Job result;
  Outbox outbox;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        outbox.clear();
        // A rerun after an unknown commit, or a request id used before: the job exists.
        std::optional<std::string> existing;
        ASSIGN_OR_RETURN(std::optional<SqlRow> same,
                         tx.QueryRow("SELECT owner_key FROM jobs WHERE job_id = ?", {spec.job_id}));
        if (same.has_value()) {
          if (same->String(0) != owner_key) return absl::InternalError("job id collision");
          existing = spec.job_id;
        } else if (!spec.request_id.empty()) {
          ASSIGN_OR_RETURN(std::optional<SqlRow> by_request,
                           tx.QueryRow("SELECT job_id, input_fingerprint FROM jobs"
                                       " WHERE owner_key = ? AND request_id = ?",
                                       {owner_key, spec.request_id}));
          if (by_request.has_value()) {
            if (by_request->String(1) != spec.input_fingerprint) return RequestIdReusedError();
            existing = by_request->String(0);
          }
        }
        if (existing.has_value()) {
          ASSIGN_OR_RETURN(std::optional<JobRow> row, ReadOneJob(tx, *existing, false));
          if (!row.has_value()) return RetryTransaction("the job vanished");
          ASSIGN_OR_RETURN(result, WithOutcomes(tx, *std::move(row)));
          return absl::OkStatus();
        }

        // The queue bound, counted over every replica's chunks, before anything is reserved.
        ASSIGN_OR_RETURN(std::optional<SqlRow> queued_row,
                         tx.QueryRow("SELECT CAST(COALESCE(SUM(chunks), 0) AS SIGNED)"
                                     " FROM queue_counts"));
        const int64_t queued = queued_row.has_value() ? queued_row->Int(0) : 0;
        if (queued + wanted > options_.store.max_queued_chunks) {
          return QueueFullError(static_cast<int>(queued), wanted, options_.store.max_queued_chunks);
        }

        ASSIGN_OR_RETURN(Reservation reservation,
                         accounts_->ReserveIn(tx, {spec.caller, spec.job_id, total, now}));
        v1::Job job = NewJobSnapshot(spec, reservation, now);
        const int accepted = job.accepted();
        v1::JobEvent first = JobUpdateEvent(job, 1, now);
        job.set_last_sequence(1);
        ASSIGN_OR_RETURN(
            bool inserted,
            tx.InsertUnlessDuplicate(
                "INSERT INTO jobs (job_id, owner_key, request_id, input_fingerprint, style, model,"
                " state, total, accepted, limit_type, user_status, create_time, finish_time,"
                " deadline, last_sequence, document, inline_total, inline_skipped)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, UNHEX(?), ?, ?, ?, 1, ?, ?, ?)",
                {spec.job_id, owner_key,
                 spec.request_id.empty() ? SqlValue(nullptr) : SqlValue(spec.request_id),
                 spec.input_fingerprint, static_cast<int>(spec.style), spec.model,
                 static_cast<int>(job.state()), total, accepted, static_cast<int>(job.limit_type()),
                 Hex(job.user_status()), ToSqlDatetime(now),
                 accepted == 0 ? SqlValue(ToSqlDatetime(now)) : SqlValue(nullptr),
                 ToSqlDatetime(TruncateToMicros(spec.deadline)), spec.document ? 1 : 0,
                 job.inline_total(), job.inline_skipped() ? 1 : 0}));
        if (!inserted) return RetryTransaction("the request id was used concurrently");

        std::vector<SqlValue> items;
        items.reserve(3 * static_cast<size_t>(accepted));
        for (int i = 0; i < accepted; ++i) {
          items.insert(items.end(), {spec.job_id, i, absl::BytesToHexString(spec.citations[i])});
        }
        RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                        "INSERT INTO job_items (job_id, kind, item_index, state,"
                                        " input)",
                                        "(?, 0, ?, 0, UNHEX(?))", "", 3, items)
                            .status());
        const int inline_count = InlineToCheck(job);
        std::vector<SqlValue> inline_items;
        for (int i = 0; i < inline_count; ++i) {
          const NewJob::InlineItem& item = spec.inline_citations[i];
          inline_items.insert(inline_items.end(),
                              {spec.job_id, i, absl::BytesToHexString(item.text), item.offset});
        }
        RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                        "INSERT INTO job_items (job_id, kind, item_index, state,"
                                        " input, body_offset)",
                                        "(?, 1, ?, 0, UNHEX(?), ?)", "", 4, inline_items)
                            .status());
        // The new job's chunks take their turns among the queued ones (round-robin by job):
        // its references first, then its in-text citations.
        std::vector<SqlValue> rows;
        int chunks = 0;
        int64_t turn = 0;
        if (accepted + inline_count > 0) {
          ASSIGN_OR_RETURN(std::optional<SqlRow> base_row,
                           tx.QueryRow("SELECT COALESCE(MIN(turn), 0) FROM job_chunks"
                                       " WHERE owner IS NULL"));
          turn = base_row.has_value() ? base_row->Int(0) : 0;
        }
        auto cut = [&](int kind, int items, int per_chunk) {
          per_chunk = std::max(1, per_chunk);
          for (int first = 0; first < items; first += per_chunk, ++chunks) {
            rows.insert(rows.end(),
                        {spec.job_id, kind, first, std::min(per_chunk, items - first), turn++});
          }
        };
        cut(kReferenceItem, accepted, spec.citations_per_chunk);
        cut(kInlineItem, inline_count, spec.inline_per_chunk);
        if (chunks > 0) {
          RETURN_IF_ERROR(ExecuteMultiRow(tx,
                                          "INSERT INTO job_chunks (job_id, kind, first_index,"
                                          " item_count, turn)",
                                          "(?, ?, ?, ?, ?)", "", 5, rows)
                              .status());
          RETURN_IF_ERROR(tx.Execute("UPDATE queue_counts SET chunks = chunks + ? WHERE shard = ?",
                                     {chunks, RandomShard()})
                              .status());
        }
        RETURN_IF_ERROR(tx.Execute("INSERT INTO job_events (job_id, seq, kind, payload,"
                                   " event_time) VALUES (?, 1, 0, UNHEX(?), ?)",
                                   {spec.job_id, Hex(first.job_update()), ToSqlDatetime(now)})
                            .status());
        result = std::move(job);
        outbox = {{spec.job_id, {std::move(first)}}};
        return absl::OkStatus();
      },
      WriteOptions());
  if (!status.ok()) return status;
  if (!outbox.empty()) {  // a new job, not a replay
    CountSubmittedJob(result);
  }
  Publish(std::move(outbox));
  return result;
}

absl::StatusOr<std::vector<Chunk>> MysqlJobStore::Claim(const std::string& owner, int max_chunks,
                                                        absl::Time now) {
  if (max_chunks <= 0) return std::vector<Chunk>();
  now = TruncateToMicros(now);
  const int64_t claim_id = RandomId();
  std::vector<Chunk> claimed;
  std::vector<std::string> pending_jobs;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        claimed.clear();
        pending_jobs.clear();
        // A rerun after an unknown commit finds what the first run claimed.
        ASSIGN_OR_RETURN(std::vector<SqlRow> ids,
                         tx.Query("SELECT chunk_id FROM job_chunks WHERE owner = ?"
                                  " AND claim_id = ?",
                                  {owner, claim_id}));
        if (ids.empty()) {
          ASSIGN_OR_RETURN(ids, tx.Query("SELECT chunk_id FROM job_chunks WHERE owner IS NULL"
                                         " ORDER BY turn, chunk_id LIMIT ?"
                                         " FOR UPDATE SKIP LOCKED",
                                         {max_chunks}));
          if (ids.empty()) return absl::OkStatus();
          std::vector<SqlValue> chunk_ids;
          for (const SqlRow& row : ids) chunk_ids.emplace_back(row.Int(0));
          std::string sql =
              "UPDATE job_chunks SET owner = ?, token = token + 1, claim_id = ? WHERE ";
          std::vector<SqlValue> params = {owner, claim_id};
          In(&sql, &params, "chunk_id", chunk_ids);
          RETURN_IF_ERROR(tx.Execute(sql, params).status());
        }
        std::vector<SqlValue> chunk_ids;
        for (const SqlRow& row : ids) chunk_ids.emplace_back(row.Int(0));
        std::string sql = absl::StrCat(
            "SELECT c.chunk_id, c.job_id, c.kind, c.first_index, c.item_count, c.token, j.style,"
            " j.model, ",
            MicrosSql("j.deadline"),
            ", j.state FROM job_chunks c"
            " JOIN jobs j ON j.job_id = c.job_id WHERE ");
        std::vector<SqlValue> params;
        In(&sql, &params, "c.chunk_id", chunk_ids);
        sql += " ORDER BY c.turn, c.chunk_id";
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
        ItemRanges ranges;  // claimed[i]'s items are range i
        for (const SqlRow& row : rows) {
          Chunk chunk;
          chunk.chunk_id = row.Int(0);
          chunk.job_id = row.String(1);
          chunk.kind = static_cast<ItemKind>(row.Int(2));
          const int first = static_cast<int>(row.Int(3));
          const int count = static_cast<int>(row.Int(4));
          chunk.token = row.Int(5);
          chunk.style = static_cast<v1::Style>(row.Int(6));
          chunk.model = row.String(7);
          chunk.deadline = absl::FromUnixMicros(row.Int(8));
          if (row.Int(9) == v1::JOB_STATE_PENDING) pending_jobs.push_back(chunk.job_id);
          ranges.Add(chunk.job_id, static_cast<int>(chunk.kind), first, count);
          if (chunk.kind == ItemKind::kInline) {
            ASSIGN_OR_RETURN(std::vector<SqlRow> references,
                             tx.Query("SELECT HEX(input) FROM job_items WHERE job_id = ?"
                                      " AND kind = 0 ORDER BY item_index",
                                      {chunk.job_id}));
            for (const SqlRow& reference : references) {
              chunk.references.push_back(absl::HexStringToBytes(reference.String(0)));
            }
          }
          claimed.push_back(std::move(chunk));
        }
        if (ranges.empty()) return absl::OkStatus();
        std::string items_sql =
            "SELECT job_id, kind, item_index, HEX(input), body_offset FROM job_items WHERE ";
        std::vector<SqlValue> items_params;
        ranges.AppendCondition(&items_sql, &items_params);
        items_sql += " ORDER BY job_id, kind, item_index";
        ASSIGN_OR_RETURN(std::vector<SqlRow> items, tx.Query(items_sql, items_params));
        for (const SqlRow& item : items) {
          const int index = static_cast<int>(item.Int(2));
          const int at = ranges.Find(item.String(0), static_cast<int>(item.Int(1)), index);
          if (at < 0) continue;
          Chunk& chunk = claimed[at];
          chunk.indices.push_back(index);
          chunk.citations.push_back(absl::HexStringToBytes(item.String(3)));
          if (chunk.kind == ItemKind::kInline) {
            chunk.offsets.push_back(static_cast<int>(item.Int(4)));
          }
        }
        return absl::OkStatus();
      },
      WriteOptions());
  if (!status.ok()) return status;
  if (!pending_jobs.empty()) {
    // The chunks are ours either way; a job left PENDING by a failure here moves to RUNNING
    // when its first results are recorded.
    MarkRunning(std::move(pending_jobs), now).IgnoreError();
  }
  return claimed;
}

absl::Status MysqlJobStore::MarkRunning(std::vector<std::string> job_ids, absl::Time now) {
  Outbox outbox;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        outbox.clear();
        ASSIGN_OR_RETURN(auto jobs, LockJobs(tx, job_ids));
        for (auto& [job_id, job] : jobs) {
          if (job.row.job.state() != v1::JOB_STATE_PENDING) continue;
          job.row.job.set_state(v1::JOB_STATE_RUNNING);
          AddJobUpdate(job, now);
        }
        Writes none;
        RETURN_IF_ERROR(WriteAll(tx, *accounts_, jobs, none, now));
        outbox = TakeEvents(jobs);
        return absl::OkStatus();
      },
      WriteOptions());
  if (status.ok()) Publish(std::move(outbox));
  return status;
}

absl::StatusOr<RecordResult> MysqlJobStore::Record(const std::string& owner,
                                                   std::vector<ChunkOutcome> outcomes,
                                                   absl::Time now) {
  now = TruncateToMicros(now);
  std::sort(outcomes.begin(), outcomes.end(),
            [](const ChunkOutcome& a, const ChunkOutcome& b) { return a.chunk_id < b.chunk_id; });
  RecordResult result;
  Outbox outbox;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        result = RecordResult();
        outbox.clear();
        if (outcomes.empty()) return absl::OkStatus();
        std::vector<std::string> job_ids;
        std::vector<SqlValue> chunk_ids;
        for (const ChunkOutcome& outcome : outcomes) {
          job_ids.push_back(outcome.job_id);
          chunk_ids.emplace_back(outcome.chunk_id);
        }
        ASSIGN_OR_RETURN(auto jobs, LockJobs(tx, job_ids));
        std::string sql =
            "SELECT chunk_id, job_id, first_index, item_count, owner, token, kind FROM job_chunks"
            " WHERE ";
        std::vector<SqlValue> params;
        In(&sql, &params, "chunk_id", chunk_ids);
        sql += " ORDER BY chunk_id FOR UPDATE";
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
        std::map<int64_t, const SqlRow*> chunks;
        for (const SqlRow& row : rows) chunks[row.Int(0)] = &row;

        // The chunks still this owner's under this token; the pending items of all of them,
        // locked by one statement.
        struct Accepted {
          const ChunkOutcome* outcome;
          int kind;
        };
        std::vector<Accepted> accepted;
        ItemRanges ranges;  // accepted[i]'s items are range i
        for (const ChunkOutcome& outcome : outcomes) {
          auto it = chunks.find(outcome.chunk_id);
          const SqlRow* row = it == chunks.end() ? nullptr : it->second;
          if (row == nullptr || row->IsNull(4) || row->String(4) != owner ||
              row->Int(5) != outcome.token || row->String(1) != outcome.job_id ||
              jobs.count(outcome.job_id) == 0) {
            result.fenced.push_back(outcome.chunk_id);
            continue;
          }
          const int kind = static_cast<int>(row->Int(6));
          accepted.push_back({&outcome, kind});
          ranges.Add(outcome.job_id, kind, static_cast<int>(row->Int(2)),
                     static_cast<int>(row->Int(3)));
        }
        std::vector<std::map<int, int>> pending(accepted.size());  // index -> body offset
        if (!ranges.empty()) {
          std::string items_sql =
              "SELECT job_id, kind, item_index, body_offset FROM job_items WHERE ";
          std::vector<SqlValue> items_params;
          ranges.AppendCondition(&items_sql, &items_params);
          items_sql += " AND state = 0 ORDER BY job_id, kind, item_index FOR UPDATE";
          ASSIGN_OR_RETURN(std::vector<SqlRow> items, tx.Query(items_sql, items_params));
          for (const SqlRow& item : items) {
            const int index = static_cast<int>(item.Int(2));
            const int at = ranges.Find(item.String(0), static_cast<int>(item.Int(1)), index);
            if (at >= 0) pending[at][index] = static_cast<int>(item.Int(3));
          }
        }

        Writes writes;
        for (size_t i = 0; i < accepted.size(); ++i) {
          const ChunkOutcome& outcome = *accepted[i].outcome;
          const int kind = accepted[i].kind;
          LockedJob& job = jobs.at(outcome.job_id);
          if (job.row.job.state() == v1::JOB_STATE_PENDING) {
            // Its claim could not mark it RUNNING: the state change comes first.
            job.row.job.set_state(v1::JOB_STATE_RUNNING);
            AddJobUpdate(job, now);
          }
          if (job.row.job.failed() > 0 && job.last_failure.code() == 0) {
            RETURN_IF_ERROR(LoadLastFailure(tx, job));
          }
          for (const ItemOutcome& item : outcome.items) {
            auto found = pending[i].find(item.index);
            if (found == pending[i].end()) continue;  // not pending (or not this chunk's)
            if (kind == kInlineItem) {
              if (!item.inline_citation.has_value()) continue;
              v1::InlineCitation verdict = *item.inline_citation;
              verdict.set_index(item.index);
              verdict.set_offset(found->second);
              RecordInline(job, verdict, now, writes);
            } else {
              RecordItem(job, item.index, item.result, now, writes);
            }
            pending[i].erase(found);
          }
          writes.deleted_chunks.push_back(outcome.chunk_id);
          result.recorded.push_back(outcome.chunk_id);
        }
        for (auto& [job_id, job] : jobs) RETURN_IF_ERROR(FinishIfDone(tx, job, now));
        RETURN_IF_ERROR(WriteAll(tx, *accounts_, jobs, writes, now));
        outbox = TakeEvents(jobs);
        return absl::OkStatus();
      },
      WriteOptions());
  if (!status.ok()) return status;
  Publish(std::move(outbox));
  return result;
}

absl::Status MysqlJobStore::HandBack(const std::string& owner, absl::Span<const Chunk> chunks) {
  if (chunks.empty()) return absl::OkStatus();
  return pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        for (const Chunk& chunk : chunks) {
          RETURN_IF_ERROR(tx.Execute("UPDATE job_chunks SET owner = NULL, claim_id = NULL"
                                     " WHERE chunk_id = ? AND owner = ? AND token = ?",
                                     {chunk.chunk_id, owner, chunk.token})
                              .status());
        }
        return absl::OkStatus();
      },
      WriteOptions());
}

absl::StatusOr<v1::Job> MysqlJobStore::Cancel(const std::string& job_id,
                                              const std::string& owner_key, absl::Time now) {
  now = TruncateToMicros(now);
  const std::string owner = StorageKey(owner_key, kMaxOwnerKeyBytes);
  v1::Job result;
  Outbox outbox;
  int released = 0;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        outbox.clear();
        released = 0;
        ASSIGN_OR_RETURN(auto jobs, LockJobs(tx, {job_id}));
        if (jobs.empty() || jobs.begin()->second.row.owner_key != owner) {
          return JobNotFoundError();
        }
        LockedJob& job = jobs.begin()->second;
        Writes writes;
        if (!IsTerminalState(job.row.job.state())) {
          ASSIGN_OR_RETURN(std::vector<SqlRow> chunks,
                           tx.Query("SELECT chunk_id FROM job_chunks WHERE job_id = ?"
                                    " ORDER BY chunk_id FOR UPDATE",
                                    {job_id}));
          for (const SqlRow& chunk : chunks) writes.deleted_chunks.push_back(chunk.Int(0));
          ASSIGN_OR_RETURN(auto pending, LockPendingItems(tx, job_id, kReferenceItem, 0,
                                                          std::max(job.row.job.accepted(), 1)));
          for (const auto& [index, item] : pending) {
            writes.item_rows.insert(writes.item_rows.end(),
                                    {job_id, kReferenceItem, index, kItemCancelled, nullptr});
            writes.settlements.push_back({job_id, index, Settlement::Kind::kRelease});
          }
          if (InlineToCheck(job.row.job) > 0) {
            ASSIGN_OR_RETURN(auto pending_inline, LockPendingItems(tx, job_id, kInlineItem, 0,
                                                                   InlineToCheck(job.row.job)));
            for (const auto& [index, item] : pending_inline) {
              writes.item_rows.insert(writes.item_rows.end(),
                                      {job_id, kInlineItem, index, kItemCancelled, nullptr});
            }
          }
          SetTerminal(job.row.job, v1::JOB_STATE_CANCELLED, now);
          AddJobUpdate(job, now);
          released = static_cast<int>(writes.settlements.size());
          RETURN_IF_ERROR(WriteAll(tx, *accounts_, jobs, writes, now));
        }
        ASSIGN_OR_RETURN(result, WithOutcomes(tx, job.row));
        outbox = TakeEvents(jobs);
        return absl::OkStatus();
      },
      WriteOptions());
  if (!status.ok()) return status;
  CountCancelReleases(released);
  Publish(std::move(outbox));
  return result;
}

absl::StatusOr<v1::Job> MysqlJobStore::Get(const std::string& job_id,
                                           const std::string& owner_key) {
  const std::string owner = StorageKey(owner_key, kMaxOwnerKeyBytes);
  v1::Job result;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<JobRow> row, ReadOneJob(tx, job_id, false));
        if (!row.has_value() || row->owner_key != owner) return JobNotFoundError();
        ASSIGN_OR_RETURN(result, WithOutcomes(tx, *std::move(row)));
        return absl::OkStatus();
      },
      ReadOptions());
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<JobHead> MysqlJobStore::Head(const std::string& job_id,
                                            const std::string& owner_key) {
  const std::string owner = StorageKey(owner_key, kMaxOwnerKeyBytes);
  JobHead head;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                         tx.QueryRow("SELECT owner_key, last_sequence, state FROM jobs"
                                     " WHERE job_id = ?",
                                     {job_id}));
        if (!row.has_value() || row->String(0) != owner) return JobNotFoundError();
        head = {job_id, row->Int(1), IsTerminalState(static_cast<v1::JobState>(row->Int(2)))};
        return absl::OkStatus();
      },
      ReadOptions());
  if (!status.ok()) return status;
  return head;
}

absl::StatusOr<std::vector<v1::JobEvent>> MysqlJobStore::ReadEvents(const std::string& job_id,
                                                                    int64_t after, int limit) {
  std::vector<v1::JobEvent> events;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        events.clear();
        ASSIGN_OR_RETURN(
            std::vector<SqlRow> rows,
            tx.Query(
                absl::StrCat("SELECT e.seq, e.kind, HEX(e.payload), ", MicrosSql("e.event_time"),
                             ", HEX(i.outcome) FROM job_events e LEFT JOIN job_items i"
                             " ON i.job_id = e.job_id AND i.kind = e.item_kind"
                             " AND i.item_index = e.item_index"
                             " WHERE e.job_id = ? AND e.seq > ? ORDER BY e.seq LIMIT ?"),
                {job_id, after, limit}));
        for (const SqlRow& row : rows) {
          v1::JobEvent event;
          event.set_job_id(job_id);
          event.set_sequence(row.Int(0));
          SetTimestamp(absl::FromUnixMicros(row.Int(3)), event.mutable_time());
          switch (row.Int(1)) {
            case kEventJobUpdate:
              RETURN_IF_ERROR(ParseHex(row.String(2), event.mutable_job_update()));
              break;
            case kEventResult:
              RETURN_IF_ERROR(ParseHex(row.String(4), event.mutable_result()));
              break;
            case kEventFailure:
              RETURN_IF_ERROR(ParseHex(row.String(4), event.mutable_failure()));
              break;
            case kEventInline:
              RETURN_IF_ERROR(ParseHex(row.String(4), event.mutable_inline_citation()));
              break;
            default:
              return absl::InternalError("storage: a stored event has an unknown kind");
          }
          events.push_back(std::move(event));
        }
        return absl::OkStatus();
      },
      ReadOptions());
  if (!status.ok()) return status;
  return events;
}

absl::StatusOr<std::vector<JobHead>> MysqlJobStore::ReadHeads(
    absl::Span<const std::string> job_ids) {
  std::vector<JobHead> heads;
  if (job_ids.empty()) return heads;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        heads.clear();
        std::string sql = "SELECT job_id, last_sequence, state FROM jobs WHERE ";
        std::vector<SqlValue> params;
        In(&sql, &params, "job_id", std::vector<SqlValue>(job_ids.begin(), job_ids.end()));
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
        for (const SqlRow& row : rows) {
          heads.push_back(
              {row.String(0), row.Int(1), IsTerminalState(static_cast<v1::JobState>(row.Int(2)))});
        }
        return absl::OkStatus();
      },
      ReadOptions());
  if (!status.ok()) return status;
  return heads;
}

absl::StatusOr<JobPage> MysqlJobStore::List(const std::string& owner_key,
                                            const JobListQuery& query) {
  const std::string owner = StorageKey(owner_key, kMaxOwnerKeyBytes);
  const int limit = std::max(query.limit, 1);
  JobPage page;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        page = JobPage();
        std::string sql = absl::StrCat("SELECT ", JobColumns(), " FROM jobs WHERE owner_key = ?");
        std::vector<SqlValue> params = {owner};
        if (query.state != v1::JOB_STATE_UNSPECIFIED) {
          sql += " AND state = ?";
          params.emplace_back(static_cast<int>(query.state));
        }
        if (query.after.has_value()) {
          const std::string time = ToSqlDatetime(query.after->create_time);
          sql += " AND (create_time < ? OR (create_time = ? AND job_id < ?))";
          params.insert(params.end(), {time, time, query.after->job_id});
        }
        sql += " ORDER BY create_time DESC, job_id DESC LIMIT ?";
        params.emplace_back(limit + 1);
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(sql, params));
        for (const SqlRow& row : rows) {
          if (static_cast<int>(page.jobs.size()) == limit) {
            const v1::Job& last = page.jobs.back();
            page.next = JobPosition{FromTimestamp(last.create_time()), last.job_id()};
            break;
          }
          ASSIGN_OR_RETURN(JobRow job, ReadJobRow(row));
          page.jobs.push_back(std::move(job.job));
        }
        return absl::OkStatus();
      },
      ReadOptions());
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<int> MysqlJobStore::ExpireDeadlines(absl::Time now, int max_jobs) {
  now = TruncateToMicros(now);
  std::vector<std::string> expired;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        expired.clear();
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                         tx.Query("SELECT job_id FROM jobs WHERE state IN (1, 2)"
                                  " AND deadline < ? ORDER BY deadline LIMIT ?",
                                  {ToSqlDatetime(now), max_jobs}));
        for (const SqlRow& row : rows) expired.push_back(row.String(0));
        return absl::OkStatus();
      },
      ReadOptions()));
  int ended = 0;
  for (const std::string& job_id : expired) {
    Outbox outbox;
    const absl::Status status = pool_->RunInTransaction(
        [&](Transaction& tx) -> absl::Status {
          outbox.clear();
          ASSIGN_OR_RETURN(auto jobs, LockJobs(tx, {job_id}));
          if (jobs.empty()) return absl::OkStatus();
          LockedJob& job = jobs.begin()->second;
          if (IsTerminalState(job.row.job.state()) || job.row.deadline >= now) {
            return absl::OkStatus();  // ended or changed meanwhile
          }
          Writes writes;
          RETURN_IF_ERROR(FailPendingAndFinish(tx, job, JobDeadlineExceededError(), now, writes));
          RETURN_IF_ERROR(WriteAll(tx, *accounts_, jobs, writes, now));
          outbox = TakeEvents(jobs);
          return absl::OkStatus();
        },
        WriteOptions());
    if (!status.ok()) return status;
    ended += outbox.empty() ? 0 : 1;
    Publish(std::move(outbox));
  }
  return ended;
}

absl::StatusOr<int> MysqlJobStore::Sweep(absl::Time cutoff, int max_jobs) {
  int removed = 0;
  const absl::Status status = pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        removed = 0;
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                         tx.Query("SELECT job_id FROM jobs WHERE finish_time < ?"
                                  " ORDER BY finish_time LIMIT ? FOR UPDATE",
                                  {ToSqlDatetime(cutoff), max_jobs}));
        if (rows.empty()) return absl::OkStatus();
        std::vector<SqlValue> ids;
        for (const SqlRow& row : rows) ids.emplace_back(row.String(0));
        for (const char* table : {"job_events", "job_items", "job_chunks", "jobs"}) {
          std::string sql = absl::StrCat("DELETE FROM ", table, " WHERE ");
          std::vector<SqlValue> params;
          In(&sql, &params, "job_id", ids);
          RETURN_IF_ERROR(tx.Execute(sql, params).status());
        }
        removed = static_cast<int>(rows.size());
        return absl::OkStatus();
      },
      WriteOptions());
  if (!status.ok()) return status;
  if (absl::Status usage = SweepAddressUsage(cutoff); !usage.ok()) {
    spdlog::warn("retention: deleting old free address counts failed: {}", usage.ToString());
  }
  return removed;
}

absl::Status MysqlJobStore::SweepAddressUsage(absl::Time cutoff) {
  const absl::CivilDay before = UtcDay(cutoff) - 1;
  {
    absl::MutexLock lock(&mu_);
    if (address_usage_swept_before_.has_value() && *address_usage_swept_before_ >= before) {
      return absl::OkStatus();
    }
  }
  constexpr int kBatch = 1000;
  int deleted = 0;
  do {
    ASSIGN_OR_RETURN(deleted, accounts_->DeleteAddressUsageBefore(before, kBatch));
  } while (deleted == kBatch);
  absl::MutexLock lock(&mu_);
  address_usage_swept_before_ = before;
  return absl::OkStatus();
}

namespace {

// The chunks `holder` held when its process died: each returns to the queue, or fails with
// WORKER_LOST once holders died on it kMaxChunkDeaths times. Adds to *requeued and *lost.
absl::Status HolderDiedIn(Transaction& tx, MysqlAccountStore& accounts, const std::string& holder,
                          absl::Time now, Outbox& outbox, int* requeued, int* lost) {
  ASSIGN_OR_RETURN(std::vector<SqlRow> held,
                   tx.Query("SELECT job_id FROM job_chunks WHERE owner = ?", {holder}));
  if (held.empty()) return absl::OkStatus();
  std::vector<std::string> job_ids;
  for (const SqlRow& row : held) job_ids.push_back(row.String(0));
  ASSIGN_OR_RETURN(auto jobs, LockJobs(tx, job_ids));
  ASSIGN_OR_RETURN(std::vector<SqlRow> chunks,
                   tx.Query("SELECT chunk_id, job_id, first_index, item_count, deaths, kind"
                            " FROM job_chunks WHERE owner = ? ORDER BY chunk_id FOR UPDATE",
                            {holder}));
  Writes writes;
  std::vector<SqlValue> again;
  for (const SqlRow& chunk : chunks) {
    if (chunk.Int(4) + 1 < kMaxChunkDeaths) {
      again.emplace_back(chunk.Int(0));
      continue;
    }
    auto job = jobs.find(chunk.String(1));
    if (job == jobs.end()) continue;
    ++*lost;
    writes.deleted_chunks.push_back(chunk.Int(0));
    RETURN_IF_ERROR(FailPending(tx, job->second, static_cast<int>(chunk.Int(5)),
                                static_cast<int>(chunk.Int(2)), static_cast<int>(chunk.Int(3)),
                                WorkerLostFailure(), now, writes));
  }
  *requeued += static_cast<int>(chunks.size());
  if (!again.empty()) {
    std::string sql =
        "UPDATE job_chunks SET owner = NULL, claim_id = NULL, deaths = deaths + 1 WHERE ";
    std::vector<SqlValue> params;
    In(&sql, &params, "chunk_id", again);
    RETURN_IF_ERROR(tx.Execute(sql, params).status());
  }
  for (auto& [job_id, job] : jobs) RETURN_IF_ERROR(FinishIfDone(tx, job, now));
  RETURN_IF_ERROR(WriteAll(tx, accounts, jobs, writes, now));
  for (auto& entry : TakeEvents(jobs)) outbox.push_back(std::move(entry));
  return absl::OkStatus();
}

// The named lock of replica `name` of `database`. Named locks are server-wide, so the name of
// the database is part of it; MariaDB lock names are at most 64 characters.
std::string ReplicaLockName(const std::string& database, const std::string& name) {
  return absl::StrCat("citecheck_replica_",
                      Sha256Hex(absl::StrCat(database.size(), ":", database, name)).substr(0, 40));
}

// Holds the replica's name on this thread's connection: OK when held (already, or now, after
// waiting up to `wait` for another connection to let it go).
absl::Status HoldReplicaName(Session& session, const std::string& database, const std::string& name,
                             absl::Duration wait) {
  const std::string lock = ReplicaLockName(database, name);
  ASSIGN_OR_RETURN(std::optional<SqlRow> holder,
                   session.QueryRow("SELECT IS_USED_LOCK(?) = CONNECTION_ID()", {lock}));
  if (holder.has_value() && !holder->IsNull(0) && holder->Int(0) == 1) return absl::OkStatus();
  // GET_LOCK waits whole seconds.
  const int64_t wait_seconds =
      absl::ToInt64Seconds(absl::Ceil(std::max(wait, absl::ZeroDuration()), absl::Seconds(1)));
  ASSIGN_OR_RETURN(std::optional<SqlRow> taken,
                   session.QueryRow("SELECT GET_LOCK(?, ?)", {lock, wait_seconds}));
  if (!taken.has_value() || taken->IsNull(0) || taken->Int(0) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("another live process holds the replica name '", name,
                     "'; give each replica its own --replica_name"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ReplicaRegistration> MysqlJobStore::RegisterReplica(const std::string& name,
                                                                   absl::Time now) {
  now = TruncateToMicros(now);
  RETURN_IF_ERROR(pool_->RunInSession([&](Session& s) {
    return HoldReplicaName(s, pool_->url().database, name, options_.replica_name_wait);
  }));
  ReplicaRegistration registration;
  Outbox outbox;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        registration = ReplicaRegistration();
        outbox.clear();
        registration.incarnation = RandomId();
        // Whatever this name still holds was held by a process that died.
        RETURN_IF_ERROR(HolderDiedIn(tx, *accounts_, name, now, outbox,
                                     &registration.requeued_chunks,
                                     &registration.worker_lost_chunks));
        return tx
            .Execute(
                "INSERT INTO processes (name, incarnation, heartbeat_at, started_at)"
                " VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE"
                " incarnation = VALUES(incarnation), heartbeat_at = VALUES(heartbeat_at),"
                " started_at = VALUES(started_at)",
                {name, registration.incarnation, ToSqlDatetime(now), ToSqlDatetime(now)})
            .status();
      },
      WriteOptions()));
  Publish(std::move(outbox));
  return registration;
}

absl::Status MysqlJobStore::Heartbeat(const std::string& name, int64_t incarnation,
                                      absl::Time now) {
  return pool_->RunInSession([&](Session& s) -> absl::Status {
    // A lost connection (e.g. the database restarted) lost the name's lock: take it again.
    RETURN_IF_ERROR(HoldReplicaName(s, pool_->url().database, name, options_.replica_name_wait));
    ASSIGN_OR_RETURN(int64_t updated,
                     s.Execute("UPDATE processes SET heartbeat_at = ? WHERE name = ?"
                               " AND incarnation = ?",
                               {ToSqlDatetime(TruncateToMicros(now)), name, incarnation}));
    if (updated == 0) {
      ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                       s.QueryRow("SELECT 1 FROM processes WHERE name = ? AND incarnation = ?",
                                  {name, incarnation}));
      if (!row.has_value()) return absl::FailedPreconditionError("the replica's lease was lost");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<int> MysqlJobStore::SweepDeadReplicas(const std::string& self, absl::Time now,
                                                     absl::Duration dead_after) {
  now = TruncateToMicros(now);
  const std::string cutoff = ToSqlDatetime(now - dead_after);
  std::vector<std::string> dead;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        dead.clear();
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                         tx.Query("SELECT name FROM processes WHERE name <> ? AND heartbeat_at < ?",
                                  {self, cutoff}));
        for (const SqlRow& row : rows) dead.push_back(row.String(0));
        return absl::OkStatus();
      },
      ReadOptions()));
  int swept = 0;
  for (const std::string& name : dead) {
    Outbox outbox;
    int requeued = 0;
    int lost = 0;
    RETURN_IF_ERROR(pool_->RunInTransaction(
        [&](Transaction& tx) -> absl::Status {
          outbox.clear();
          requeued = lost = 0;
          ASSIGN_OR_RETURN(int64_t deleted,
                           tx.Execute("DELETE FROM processes WHERE name = ? AND heartbeat_at < ?",
                                      {name, cutoff}));
          if (deleted == 0) return absl::OkStatus();  // it came back, or another replica swept it
          return HolderDiedIn(tx, *accounts_, name, now, outbox, &requeued, &lost);
        },
        WriteOptions()));
    swept += requeued;
    Publish(std::move(outbox));
  }
  return swept;
}

absl::Status MysqlJobStore::UnregisterReplica(const std::string& name, int64_t incarnation) {
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.Execute("DELETE FROM processes WHERE name = ? AND incarnation = ?",
                                   {name, incarnation})
                            .status());
        // What the exiting process still holds (a hand-back that failed) returns to the queue:
        // no replica sweeps a name that has no row.
        return tx
            .Execute("UPDATE job_chunks SET owner = NULL, claim_id = NULL WHERE owner = ?", {name})
            .status();
      },
      WriteOptions()));
  return pool_->RunInSession([&](Session& s) -> absl::Status {
    return s.Query("SELECT RELEASE_LOCK(?)", {ReplicaLockName(pool_->url().database, name)})
        .status();
  });
}

absl::StatusOr<int> MysqlJobStore::ReleaseOrphanReservations(absl::Time now) {
  std::vector<std::string> orphans;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        orphans.clear();
        ASSIGN_OR_RETURN(std::vector<SqlRow> rows,
                         tx.Query("SELECT DISTINCT i.job_id FROM reservation_items i"
                                  " LEFT JOIN jobs j ON j.job_id = i.job_id"
                                  " WHERE i.state = 'reserved' AND j.job_id IS NULL"));
        for (const SqlRow& row : rows) orphans.push_back(row.String(0));
        return absl::OkStatus();
      },
      ReadOptions()));
  int released = 0;
  for (const std::string& job_id : orphans) {
    int count = 0;
    RETURN_IF_ERROR(pool_->RunInTransaction(
        [&](Transaction& tx) -> absl::Status {
          count = 0;
          // Still without a job (a submit makes its job and reservation in one transaction,
          // so none is being created now).
          ASSIGN_OR_RETURN(std::optional<SqlRow> job,
                           tx.QueryRow("SELECT 1 FROM jobs WHERE job_id = ?", {job_id}));
          if (job.has_value()) return absl::OkStatus();
          ASSIGN_OR_RETURN(std::vector<SqlRow> items,
                           tx.Query("SELECT item_index FROM reservation_items"
                                    " WHERE job_id = ? AND state = 'reserved'",
                                    {job_id}));
          std::vector<Settlement> releases;
          for (const SqlRow& item : items) {
            releases.push_back({job_id, static_cast<int>(item.Int(0)), Settlement::Kind::kRelease});
          }
          count = static_cast<int>(releases.size());
          return accounts_->SettleIn(tx, releases, now);
        },
        WriteOptions()));
    released += count;
  }
  return released;
}

absl::StatusOr<int64_t> MysqlJobStore::QueuedChunks() {
  int64_t queued = 0;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                         tx.QueryRow("SELECT CAST(COALESCE(SUM(chunks), 0) AS SIGNED)"
                                     " FROM queue_counts"));
        queued = row.has_value() ? row->Int(0) : 0;
        return absl::OkStatus();
      },
      ReadOptions()));
  return queued;
}

absl::StatusOr<std::string> MysqlJobStore::PageTokenKey() {
  {
    absl::MutexLock lock(&mu_);
    if (!page_token_key_.empty()) return page_token_key_;
  }
  std::string candidate(32, '\0');
  absl::BitGen gen;
  for (char& c : candidate) c = static_cast<char>(absl::Uniform<uint8_t>(gen));
  std::string key;
  RETURN_IF_ERROR(pool_->RunInTransaction(
      [&](Transaction& tx) -> absl::Status {
        RETURN_IF_ERROR(tx.Execute("INSERT IGNORE INTO server_keys (name, secret)"
                                   " VALUES ('page_token', UNHEX(?))",
                                   {absl::BytesToHexString(candidate)})
                            .status());
        ASSIGN_OR_RETURN(std::optional<SqlRow> row,
                         tx.QueryRow("SELECT HEX(secret) FROM server_keys"
                                     " WHERE name = 'page_token'"));
        if (!row.has_value()) return absl::InternalError("storage: no page token key");
        key = absl::HexStringToBytes(row->String(0));
        return absl::OkStatus();
      },
      WriteOptions()));
  absl::MutexLock lock(&mu_);
  page_token_key_ = key;
  return page_token_key_;
}

}  // namespace citecheck

#include "server/jobs/memory_job_store.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "server/checking/checker.h"
#include "server/checking/inline_matcher.h"
#include "server/common/errors.h"
#include "server/common/proto_time.h"
#include "server/jobs/job_metrics.h"
#include "server/jobs/job_protos.h"
#include "server/jobs/job_rules.h"

namespace citecheck {
namespace {

std::string RandomKey() {
  absl::BitGen gen;
  std::string key(32, '\0');
  for (char& c : key) c = static_cast<char>(absl::Uniform<uint8_t>(gen));
  return key;
}

bool Before(const v1::Job& a, const v1::Job& b) {  // newest first
  const absl::Time ta = FromTimestamp(a.create_time());
  const absl::Time tb = FromTimestamp(b.create_time());
  if (ta != tb) return ta > tb;
  return a.job_id() > b.job_id();
}

bool AfterPosition(const v1::Job& job, const JobPosition& position) {
  const absl::Time t = FromTimestamp(job.create_time());
  return t < position.create_time || (t == position.create_time && job.job_id() < position.job_id);
}

}  // namespace

MemoryJobStore::MemoryJobStore(JobStoreOptions options, MemoryAccountStore* accounts,
                               EventSink* sink)
    : options_(options), accounts_(accounts), sink_(sink), page_token_key_(RandomKey()) {}

void MemoryJobStore::Publish(Outbox outbox) {
  CountCommittedEvents(outbox);
  for (auto& [job_id, events] : outbox) sink_->Publish(job_id, std::move(events));
}

MemoryJobStore::JobRecord* MemoryJobStore::FindOwned(const std::string& job_id,
                                                     const std::string& owner_key) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second->owner_key != owner_key) return nullptr;
  return it->second.get();
}

const v1::JobEvent& MemoryJobStore::AddEvent(JobRecord& record, v1::JobEvent event) {
  event.set_job_id(record.job.job_id());
  event.set_sequence(static_cast<int64_t>(record.events.size()) + 1);
  record.events.push_back(std::move(event));
  record.job.set_last_sequence(record.events.back().sequence());
  return record.events.back();
}

v1::JobEvent& MemoryJobStore::AddJobUpdate(JobRecord& record, absl::Time now) {
  const int64_t sequence = static_cast<int64_t>(record.events.size()) + 1;
  record.job.set_last_sequence(sequence);
  record.events.push_back(JobUpdateEvent(record.job, sequence, now));
  return record.events.back();
}

v1::Job MemoryJobStore::Snapshot(const JobRecord& record) {
  v1::Job job = record.job;
  for (const auto& [index, result] : record.results) *job.add_results() = result;
  for (const auto& [index, failure] : record.failures) *job.add_failures() = failure;
  for (const auto& [index, citation] : record.inline_results)
    *job.add_inline_citations() = citation;
  return job;
}

v1::JobEvent MemoryJobStore::RecordInline(JobRecord& record, v1::InlineCitation citation,
                                          absl::Time now) {
  Item& item = record.inline_items[citation.index()];
  item.state = citation.has_error() ? ItemState::kFailed : ItemState::kSucceeded;
  citation.set_offset(item.offset);
  record.inline_results[citation.index()] = citation;
  return AddEvent(record, InlineEvent(record.job.job_id(), citation, 0, now));
}

void MemoryJobStore::FinishIfDone(JobRecord& record, const google::rpc::Status& last_failure,
                                  absl::Time now, std::vector<v1::JobEvent>& events) {
  if (IsTerminalState(record.job.state()) ||
      !AllItemsDone(record.job, static_cast<int>(record.inline_results.size()))) {
    return;
  }
  if (record.document && !record.job.inline_skipped()) {
    std::vector<v1::InlineCitation> verdicts;
    for (const auto& [index, citation] : record.inline_results) verdicts.push_back(citation);
    for (int32_t uncited : UncitedReferences(record.job.total(), verdicts)) {
      record.job.add_uncited_references(uncited);
    }
  }
  FinishByOutcome(record.job, last_failure, now);
  record.finish_time = now;
  events.push_back(AddJobUpdate(record, now));
}

void MemoryJobStore::FailPending(JobRecord& record, ItemKind kind, int first, int count,
                                 const absl::Status& status, absl::Time now,
                                 std::vector<v1::JobEvent>& events) {
  std::vector<Settlement> releases;
  std::vector<Item>& items = kind == ItemKind::kReference ? record.items : record.inline_items;
  for (int i = first; i < first + count && i < static_cast<int>(items.size()); ++i) {
    if (items[i].state != ItemState::kPending) continue;
    if (kind == ItemKind::kReference) {
      releases.push_back({record.job.job_id(), i, Settlement::Kind::kRelease});
      events.push_back(RecordItem(record, i, status, now));
    } else {
      events.push_back(
          RecordInline(record, UncheckedInline(i, items[i].input, items[i].offset, status), now));
    }
  }
  accounts_->Settle(releases).IgnoreError();  // in memory: never fails for reserved items
}

v1::JobEvent MemoryJobStore::RecordItem(JobRecord& record, int index,
                                        const absl::StatusOr<v1::CitationResult>& outcome,
                                        absl::Time now) {
  v1::JobEvent event = ItemEvent(record.job.job_id(), outcome, index, 0, now);
  if (outcome.ok()) {
    record.items[index].state = ItemState::kSucceeded;
    record.job.set_succeeded(record.job.succeeded() + 1);
    record.results[index] = event.result();
  } else {
    record.items[index].state = ItemState::kFailed;
    record.job.set_failed(record.job.failed() + 1);
    record.failures[index] = event.failure();
  }
  return AddEvent(record, std::move(event));
}

void MemoryJobStore::DropChunks(const std::string& job_id) {
  for (auto it = chunks_.begin(); it != chunks_.end();) {
    if (it->second.job_id == job_id) {
      queue_.erase({it->second.turn, it->first});
      chunks_.erase(it++);
    } else {
      ++it;
    }
  }
}

void MemoryJobStore::FailPendingAndFinish(JobRecord& record, const absl::Status& status,
                                          absl::Time now, std::vector<v1::JobEvent>& events) {
  FailPending(record, ItemKind::kReference, 0, static_cast<int>(record.items.size()), status, now,
              events);
  FailPending(record, ItemKind::kInline, 0, static_cast<int>(record.inline_items.size()), status,
              now, events);
  DropChunks(record.job.job_id());
  const google::rpc::Status last =
      record.failures.empty() ? ToRpcStatus(status) : record.failures.rbegin()->second.status();
  FinishIfDone(record, last, now, events);
}

absl::StatusOr<v1::Job> MemoryJobStore::Submit(const NewJob& spec) {
  const absl::Time now = TruncateToMicros(spec.create_time);
  Outbox outbox;
  v1::Job snapshot;
  {
    absl::MutexLock lock(&mu_);
    if (JobRecord* same = FindOwned(spec.job_id, spec.caller.OwnerKey())) {
      return Snapshot(*same);  // submitted before (a retried call)
    }
    if (!spec.request_id.empty()) {
      auto it = request_ids_.find({spec.caller.OwnerKey(), spec.request_id});
      if (it != request_ids_.end()) {
        const JobRecord& existing = *jobs_.at(it->second);
        if (existing.input_fingerprint != spec.input_fingerprint) return RequestIdReusedError();
        return Snapshot(existing);
      }
    }
    const int total = static_cast<int>(spec.citations.size());
    const int wanted =
        ChunkCount(total, spec.citations_per_chunk) +
        ChunkCount(static_cast<int>(spec.inline_citations.size()), spec.inline_per_chunk);
    const int queued = static_cast<int>(chunks_.size());
    if (queued + wanted > options_.max_queued_chunks) {
      return QueueFullError(queued, wanted, options_.max_queued_chunks);
    }
    absl::StatusOr<Reservation> reservation =
        accounts_->Reserve({spec.caller, spec.job_id, total, now});
    if (!reservation.ok()) return reservation.status();

    auto record = std::make_unique<JobRecord>();
    record->job = NewJobSnapshot(spec, *reservation, now);
    record->owner_key = spec.caller.OwnerKey();
    record->input_fingerprint = spec.input_fingerprint;
    record->create_time = now;
    record->deadline = TruncateToMicros(spec.deadline);
    const int accepted = record->job.accepted();
    for (int i = 0; i < accepted; ++i) record->items.push_back({spec.citations[i]});
    record->document = spec.document;
    if (InlineToCheck(record->job) > 0) {
      for (const NewJob::InlineItem& item : spec.inline_citations) {
        record->inline_items.push_back({item.text, ItemState::kPending, item.offset});
      }
    }
    if (accepted == 0) record->finish_time = now;

    // The new job's chunks take their turns among the queued ones (round-robin by job).
    const int64_t base = queue_.empty() ? 0 : queue_.begin()->first;
    int64_t turn = base;
    auto cut = [&](ItemKind kind, int items, int per_chunk) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      per_chunk = std::max(1, per_chunk);
      for (int begin = 0; begin < items; begin += per_chunk) {
        ChunkRecord chunk;
        chunk.job_id = spec.job_id;
        chunk.kind = kind;
        chunk.first_index = begin;
        chunk.count = std::min(per_chunk, items - begin);
        chunk.turn = turn++;
        const int64_t id = next_chunk_id_++;
        Enqueue(id, chunk);
        chunks_.emplace(id, std::move(chunk));
      }
    };
    cut(ItemKind::kReference, accepted, spec.citations_per_chunk);
    cut(ItemKind::kInline, static_cast<int>(record->inline_items.size()), spec.inline_per_chunk);
    outbox.push_back({spec.job_id, {AddJobUpdate(*record, now)}});
    snapshot = Snapshot(*record);
    if (!spec.request_id.empty()) request_ids_[{record->owner_key, spec.request_id}] = spec.job_id;
    jobs_[spec.job_id] = std::move(record);
  }
  CountSubmittedJob(snapshot);
  Publish(std::move(outbox));
  return snapshot;
}

absl::StatusOr<std::vector<Chunk>> MemoryJobStore::Claim(const std::string& owner, int max_chunks,
                                                         absl::Time now) {
  now = TruncateToMicros(now);
  std::vector<Chunk> claimed;
  Outbox outbox;
  {
    absl::MutexLock lock(&mu_);
    while (static_cast<int>(claimed.size()) < max_chunks && !queue_.empty()) {
      const int64_t id = queue_.begin()->second;
      queue_.erase(queue_.begin());
      ChunkRecord& row = chunks_.at(id);
      row.owner = owner;
      ++row.token;
      JobRecord& record = *jobs_.at(row.job_id);
      Chunk chunk;
      chunk.job_id = row.job_id;
      chunk.chunk_id = id;
      chunk.token = row.token;
      chunk.kind = row.kind;
      chunk.style = record.job.style();
      chunk.model = record.job.model();
      chunk.deadline = record.deadline;
      const std::vector<Item>& items =
          row.kind == ItemKind::kReference ? record.items : record.inline_items;
      for (int i = row.first_index; i < row.first_index + row.count; ++i) {
        chunk.indices.push_back(i);
        chunk.citations.push_back(items[i].input);
        if (row.kind == ItemKind::kInline) chunk.offsets.push_back(items[i].offset);
      }
      if (row.kind == ItemKind::kInline) {
        for (const Item& reference : record.items) chunk.references.push_back(reference.input);
      }
      claimed.push_back(std::move(chunk));
      if (record.job.state() == v1::JOB_STATE_PENDING) {
        record.job.set_state(v1::JOB_STATE_RUNNING);
        outbox.push_back({row.job_id, {AddJobUpdate(record, now)}});
      }
    }
  }
  Publish(std::move(outbox));
  return claimed;
}

absl::StatusOr<RecordResult> MemoryJobStore::Record(const std::string& owner,
                                                    std::vector<ChunkOutcome> outcomes,
                                                    absl::Time now) {
  now = TruncateToMicros(now);
  RecordResult result;
  Outbox outbox;
  {
    absl::MutexLock lock(&mu_);
    std::map<std::string, std::vector<v1::JobEvent>> events;  // by job, in commit order
    std::vector<Settlement> settlements;
    for (ChunkOutcome& outcome : outcomes) {
      auto chunk = chunks_.find(outcome.chunk_id);
      if (chunk == chunks_.end() || chunk->second.owner != owner ||
          chunk->second.token != outcome.token || chunk->second.job_id != outcome.job_id) {
        result.fenced.push_back(outcome.chunk_id);
        continue;
      }
      const ChunkRecord& row = chunk->second;
      JobRecord& record = *jobs_.at(row.job_id);
      std::vector<v1::JobEvent>& job_events = events[row.job_id];
      for (const ItemOutcome& item : outcome.items) {
        if (item.index < row.first_index || item.index >= row.first_index + row.count) continue;
        if (row.kind == ItemKind::kInline) {
          if (!item.inline_citation.has_value() ||
              record.inline_items[item.index].state != ItemState::kPending) {
            continue;
          }
          v1::InlineCitation citation = *item.inline_citation;
          citation.set_index(item.index);
          job_events.push_back(RecordInline(record, std::move(citation), now));
          continue;
        }
        if (record.items[item.index].state != ItemState::kPending) continue;
        settlements.push_back(
            {row.job_id, item.index,
             item.result.ok() ? Settlement::Kind::kCharge : Settlement::Kind::kRelease});
        job_events.push_back(RecordItem(record, item.index, item.result, now));
      }
      chunks_.erase(chunk);
      result.recorded.push_back(outcome.chunk_id);
      const google::rpc::Status last_failure = record.failures.empty()
                                                   ? google::rpc::Status()
                                                   : record.failures.rbegin()->second.status();
      FinishIfDone(record, last_failure, now, job_events);
    }
    accounts_->Settle(settlements).IgnoreError();  // in memory: never fails for reserved items
    for (auto& [job_id, job_events] : events) {
      if (!job_events.empty()) outbox.emplace_back(job_id, std::move(job_events));
    }
  }
  Publish(std::move(outbox));
  return result;
}

absl::Status MemoryJobStore::HandBack(const std::string& owner, absl::Span<const Chunk> chunks) {
  absl::MutexLock lock(&mu_);
  for (const Chunk& chunk : chunks) {
    auto it = chunks_.find(chunk.chunk_id);
    if (it == chunks_.end() || it->second.owner != owner || it->second.token != chunk.token) {
      continue;
    }
    it->second.owner.clear();
    Enqueue(it->first, it->second);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Job> MemoryJobStore::Cancel(const std::string& job_id,
                                               const std::string& owner_key, absl::Time now) {
  now = TruncateToMicros(now);
  Outbox outbox;
  v1::Job snapshot;
  int released = 0;
  {
    absl::MutexLock lock(&mu_);
    JobRecord* record = FindOwned(job_id, owner_key);
    if (record == nullptr) return JobNotFoundError();
    if (!IsTerminalState(record->job.state())) {
      std::vector<Settlement> releases;
      for (size_t i = 0; i < record->items.size(); ++i) {
        if (record->items[i].state != ItemState::kPending) continue;
        releases.push_back({job_id, static_cast<int>(i), Settlement::Kind::kRelease});
        record->items[i].state = ItemState::kCancelled;
      }
      for (Item& item : record->inline_items) {
        if (item.state == ItemState::kPending) item.state = ItemState::kCancelled;
      }
      accounts_->Settle(releases).IgnoreError();  // in memory: never fails for reserved items
      released = static_cast<int>(releases.size());
      DropChunks(job_id);
      SetTerminal(record->job, v1::JOB_STATE_CANCELLED, now);
      record->finish_time = now;
      outbox.push_back({job_id, {AddJobUpdate(*record, now)}});
    }
    snapshot = Snapshot(*record);
  }
  CountCancelReleases(released);
  Publish(std::move(outbox));
  return snapshot;
}

absl::StatusOr<v1::Job> MemoryJobStore::Get(const std::string& job_id,
                                            const std::string& owner_key) {
  absl::MutexLock lock(&mu_);
  const JobRecord* record = FindOwned(job_id, owner_key);
  if (record == nullptr) return JobNotFoundError();
  return Snapshot(*record);
}

absl::StatusOr<JobHead> MemoryJobStore::Head(const std::string& job_id,
                                             const std::string& owner_key) {
  absl::MutexLock lock(&mu_);
  const JobRecord* record = FindOwned(job_id, owner_key);
  if (record == nullptr) return JobNotFoundError();
  return JobHead{job_id, record->job.last_sequence(), IsTerminalState(record->job.state())};
}

absl::StatusOr<std::vector<v1::JobEvent>> MemoryJobStore::ReadEvents(const std::string& job_id,
                                                                     int64_t after, int limit) {
  std::vector<v1::JobEvent> events;
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return events;
  const std::vector<v1::JobEvent>& log = it->second->events;
  for (size_t i = static_cast<size_t>(std::max<int64_t>(after, 0));
       i < log.size() && static_cast<int>(events.size()) < limit; ++i) {
    events.push_back(log[i]);
  }
  return events;
}

absl::StatusOr<std::vector<JobHead>> MemoryJobStore::ReadHeads(
    absl::Span<const std::string> job_ids) {
  std::vector<JobHead> heads;
  absl::MutexLock lock(&mu_);
  for (const std::string& job_id : job_ids) {
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) continue;
    const v1::Job& job = it->second->job;
    heads.push_back({job_id, job.last_sequence(), IsTerminalState(job.state())});
  }
  return heads;
}

absl::StatusOr<JobPage> MemoryJobStore::List(const std::string& owner_key,
                                             const JobListQuery& query) {
  std::vector<v1::Job> matching;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [job_id, record] : jobs_) {
      const v1::Job& job = record->job;
      if (record->owner_key != owner_key) continue;
      if (query.state != v1::JOB_STATE_UNSPECIFIED && job.state() != query.state) continue;
      if (query.after.has_value() && !AfterPosition(job, *query.after)) continue;
      matching.push_back(job);
    }
  }
  std::sort(matching.begin(), matching.end(), Before);
  JobPage page;
  const size_t limit = static_cast<size_t>(std::max(query.limit, 1));
  for (size_t i = 0; i < matching.size() && i < limit; ++i) page.jobs.push_back(matching[i]);
  if (matching.size() > limit) {
    page.next =
        JobPosition{FromTimestamp(page.jobs.back().create_time()), page.jobs.back().job_id()};
  }
  return page;
}

absl::StatusOr<int> MemoryJobStore::ExpireDeadlines(absl::Time now, int max_jobs) {
  now = TruncateToMicros(now);
  Outbox outbox;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [job_id, record] : jobs_) {
      if (static_cast<int>(outbox.size()) >= max_jobs) break;
      if (IsTerminalState(record->job.state()) || record->deadline >= now) continue;
      std::vector<v1::JobEvent> events;
      FailPendingAndFinish(*record, JobDeadlineExceededError(), now, events);
      outbox.emplace_back(job_id, std::move(events));
    }
  }
  const int ended = static_cast<int>(outbox.size());
  Publish(std::move(outbox));
  return ended;
}

absl::StatusOr<int> MemoryJobStore::Sweep(absl::Time cutoff, int max_jobs) {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> removed;
  for (auto it = jobs_.begin(); it != jobs_.end() && static_cast<int>(removed.size()) < max_jobs;) {
    const JobRecord& record = *it->second;
    if (IsTerminalState(record.job.state()) && record.finish_time < cutoff) {
      if (!record.job.request_id().empty()) {
        request_ids_.erase({record.owner_key, record.job.request_id()});
      }
      removed.push_back(it->first);
      jobs_.erase(it++);
    } else {
      ++it;
    }
  }
  // A finished job has nothing reserved: its reservation and ledger entries go with it.
  accounts_->Forget(removed);
  return static_cast<int>(removed.size());
}

void MemoryJobStore::ChunkHolderDied(int64_t chunk_id, absl::Time now, Outbox& outbox) {
  ChunkRecord& chunk = chunks_.at(chunk_id);
  chunk.owner.clear();
  ++chunk.deaths;
  if (chunk.deaths < kMaxChunkDeaths) {
    Enqueue(chunk_id, chunk);
    return;
  }
  // Its holders kept dying on it: its pending items fail with WORKER_LOST (released).
  JobRecord& record = *jobs_.at(chunk.job_id);
  std::vector<v1::JobEvent> events;
  FailPending(record, chunk.kind, chunk.first_index, chunk.count, WorkerLostFailure(), now, events);
  const std::string job_id = chunk.job_id;
  chunks_.erase(chunk_id);
  FinishIfDone(record, ToRpcStatus(WorkerLostFailure()), now, events);
  outbox.emplace_back(job_id, std::move(events));
}

absl::StatusOr<ReplicaRegistration> MemoryJobStore::RegisterReplica(const std::string& name,
                                                                    absl::Time now) {
  now = TruncateToMicros(now);
  ReplicaRegistration registration;
  Outbox outbox;
  {
    absl::MutexLock lock(&mu_);
    // A previous process under this name died holding these chunks.
    std::vector<int64_t> held;
    for (const auto& [id, chunk] : chunks_) {
      if (chunk.owner == name) held.push_back(id);
    }
    for (int64_t id : held) {
      const bool lost = chunks_.at(id).deaths + 1 >= kMaxChunkDeaths;
      ChunkHolderDied(id, now, outbox);
      ++registration.requeued_chunks;
      if (lost) ++registration.worker_lost_chunks;
    }
    registration.incarnation = next_incarnation_++;
    processes_[name] = {registration.incarnation, now};
  }
  Publish(std::move(outbox));
  return registration;
}

absl::Status MemoryJobStore::Heartbeat(const std::string& name, int64_t incarnation,
                                       absl::Time now) {
  absl::MutexLock lock(&mu_);
  auto it = processes_.find(name);
  if (it == processes_.end() || it->second.incarnation != incarnation) {
    return absl::FailedPreconditionError("the replica's lease was lost");
  }
  it->second.heartbeat = TruncateToMicros(now);
  return absl::OkStatus();
}

absl::StatusOr<int> MemoryJobStore::SweepDeadReplicas(const std::string& self, absl::Time now,
                                                      absl::Duration dead_after) {
  now = TruncateToMicros(now);
  int swept = 0;
  Outbox outbox;
  {
    absl::MutexLock lock(&mu_);
    std::vector<std::string> dead;
    for (const auto& [name, process] : processes_) {
      if (name != self && process.heartbeat < now - dead_after) dead.push_back(name);
    }
    for (const std::string& name : dead) {
      processes_.erase(name);
      std::vector<int64_t> held;
      for (const auto& [id, chunk] : chunks_) {
        if (chunk.owner == name) held.push_back(id);
      }
      for (int64_t id : held) ChunkHolderDied(id, now, outbox);
      swept += static_cast<int>(held.size());
    }
  }
  Publish(std::move(outbox));
  return swept;
}

absl::Status MemoryJobStore::UnregisterReplica(const std::string& name, int64_t incarnation) {
  absl::MutexLock lock(&mu_);
  auto it = processes_.find(name);
  if (it != processes_.end() && it->second.incarnation == incarnation) processes_.erase(it);
  for (auto& [chunk_id, chunk] : chunks_) {
    if (chunk.owner != name) continue;
    chunk.owner.clear();
    Enqueue(chunk_id, chunk);
  }
  return absl::OkStatus();
}

absl::StatusOr<int> MemoryJobStore::ReleaseOrphanReservations(absl::Time) {
  // Jobs and reservations live and die together in this process: no orphan can exist.
  return 0;
}

absl::StatusOr<std::string> MemoryJobStore::PageTokenKey() { return page_token_key_; }

absl::StatusOr<int64_t> MemoryJobStore::QueuedChunks() {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(chunks_.size());
}

}  // namespace citecheck

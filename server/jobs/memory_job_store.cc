#include "server/jobs/memory_job_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/common/errors.h"
#include "server/jobs/job_protos.h"

namespace citecheck {
namespace {

absl::Status JobNotFound(const std::string& job_id) {
  return MakeError(absl::StatusCode::kNotFound, reason::kJobNotFound,
                   absl::StrCat("job ", job_id, " not found"));
}

}  // namespace

MemoryJobStore::JobRecord* MemoryJobStore::FindOwned(const std::string& job_id,
                                                     const std::string& owner_key) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || it->second->owner_key != owner_key) return nullptr;
  return it->second.get();
}

v1::JobEvent MemoryJobStore::JobUpdate(const JobRecord& record, absl::Time now) {
  v1::JobEvent event;
  SetTimestamp(now, event.mutable_time());
  *event.mutable_job_update() = record.job;
  event.mutable_job_update()->set_last_sequence(record.log->last_sequence() + 1);
  return event;
}

v1::Job MemoryJobStore::Snapshot(const JobRecord& record) {
  v1::Job job = record.job;
  job.set_last_sequence(record.log->last_sequence());
  for (const auto& [index, result] : record.results) *job.add_results() = result;
  for (const auto& [index, failure] : record.failures) *job.add_failures() = failure;
  return job;
}

void MemoryJobStore::Finish(JobRecord& record, v1::JobState state, absl::Time now) {
  record.job.set_state(state);
  SetTimestamp(now, record.job.mutable_finish_time());
  record.finish_time = now;
  record.queued.clear();
  record.log->Append(JobUpdate(record, now), /*terminal=*/true);
}

absl::StatusOr<v1::Job> MemoryJobStore::Create(const NewJob& spec) {
  absl::MutexLock lock(&mu_);
  if (!spec.request_id.empty() &&
      request_ids_.count({spec.owner_key, spec.request_id}) > 0) {
    return MakeError(absl::StatusCode::kAlreadyExists, reason::kRequestIdReused,
                     "request id already used");
  }
  auto record = std::make_unique<JobRecord>();
  const int total = static_cast<int>(spec.citations.size());
  const int accepted = std::min(spec.reservation.accepted, total);
  v1::Job& job = record->job;
  job.set_job_id(spec.job_id);
  job.set_state(v1::JOB_STATE_PENDING);
  job.set_style(spec.style);
  job.set_total(total);
  job.set_accepted(accepted);
  job.set_locked(total - accepted);
  job.set_partial(total > accepted);
  job.set_limit_type(spec.reservation.limit_type);
  *job.mutable_user_status() = spec.reservation.user_status;
  SetTimestamp(spec.create_time, job.mutable_create_time());
  job.set_model(spec.model);
  job.set_request_id(spec.request_id);
  record->owner_key = spec.owner_key;
  record->input_fingerprint = spec.input_fingerprint;
  record->items.assign(accepted, ItemState::kPending);
  record->log = std::make_shared<EventLog>(spec.job_id);
  record->cancelled = std::make_shared<std::atomic<bool>>(false);

  const int per_chunk = std::max(1, spec.citations_per_chunk);
  for (int begin = 0; begin < accepted; begin += per_chunk) {
    Chunk chunk;
    chunk.job_id = spec.job_id;
    chunk.chunk_id = next_chunk_id_++;
    chunk.style = spec.style;
    chunk.model = spec.model;
    chunk.deadline = spec.deadline;
    chunk.cancelled = record->cancelled;
    for (int i = begin; i < std::min(accepted, begin + per_chunk); ++i) {
      chunk.indices.push_back(i);
      chunk.citations.push_back(spec.citations[i]);
    }
    record->queued.push_back(std::move(chunk));
  }

  if (accepted == 0) {
    Finish(*record, v1::JOB_STATE_SUCCEEDED, spec.create_time);
  } else {
    record->log->Append(JobUpdate(*record, spec.create_time), /*terminal=*/false);
    ready_.push_back(spec.job_id);
  }
  v1::Job snapshot = Snapshot(*record);
  if (!spec.request_id.empty()) request_ids_[{spec.owner_key, spec.request_id}] = spec.job_id;
  jobs_[spec.job_id] = std::move(record);
  return snapshot;
}

std::vector<Chunk> MemoryJobStore::Claim(int max_chunks, absl::Time now) {
  std::vector<Chunk> claimed;
  absl::MutexLock lock(&mu_);
  while (static_cast<int>(claimed.size()) < max_chunks && !ready_.empty()) {
    std::string job_id = std::move(ready_.front());
    ready_.pop_front();
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second->queued.empty()) continue;
    JobRecord& record = *it->second;
    claimed.push_back(std::move(record.queued.front()));
    record.queued.pop_front();
    if (!record.queued.empty()) ready_.push_back(job_id);  // back of the line: jobs take turns
    if (record.job.state() == v1::JOB_STATE_PENDING) {
      record.job.set_state(v1::JOB_STATE_RUNNING);
      record.log->Append(JobUpdate(record, now), /*terminal=*/false);
    }
  }
  return claimed;
}

absl::StatusOr<std::vector<Settlement>> MemoryJobStore::Record(const std::string& job_id,
                                                               int64_t /*chunk_id*/,
                                                               std::vector<ItemOutcome> outcomes,
                                                               absl::Time now) {
  std::vector<Settlement> settlements;
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return JobNotFound(job_id);
  JobRecord& record = *it->second;
  // Discard outcomes of items that are no longer pending (cancelled, or already recorded).
  outcomes.erase(std::remove_if(outcomes.begin(), outcomes.end(),
                                [&record](const ItemOutcome& outcome) {
                                  return outcome.index < 0 ||
                                         outcome.index >= static_cast<int>(record.items.size()) ||
                                         record.items[outcome.index] != ItemState::kPending;
                                }),
                 outcomes.end());
  for (const ItemOutcome& outcome : outcomes) {
    settlements.push_back({job_id, outcome.index,
                           outcome.result.ok() ? Settlement::Kind::kCharge
                                               : Settlement::Kind::kRelease});
  }
  if (!settlements.empty()) {
    absl::Status settled = accounts_->Settle(settlements);
    if (!settled.ok()) return settled;  // nothing changed; the items stay pending
  }
  std::vector<v1::JobEvent> events;
  for (ItemOutcome& outcome : outcomes) {
    v1::JobEvent event;
    SetTimestamp(now, event.mutable_time());
    if (outcome.result.ok()) {
      v1::CitationResult result = *std::move(outcome.result);
      result.set_index(outcome.index);
      record.items[outcome.index] = ItemState::kSucceeded;
      record.job.set_succeeded(record.job.succeeded() + 1);
      *event.mutable_result() = result;
      record.results[outcome.index] = std::move(result);
    } else {
      v1::ItemFailure failure;
      failure.set_index(outcome.index);
      *failure.mutable_status() = ToRpcStatus(outcome.result.status());
      record.items[outcome.index] = ItemState::kFailed;
      record.job.set_failed(record.job.failed() + 1);
      *event.mutable_failure() = failure;
      record.failures[outcome.index] = std::move(failure);
    }
    events.push_back(std::move(event));
  }
  record.log->AppendAll(std::move(events), /*last_is_terminal=*/false);

  const bool all_done = record.job.succeeded() + record.job.failed() == record.job.accepted();
  if (all_done && !IsTerminalState(record.job.state())) {
    if (record.job.succeeded() == 0) {
      // Nothing could be checked: the job failed, for the reason its items failed.
      *record.job.mutable_error() = record.failures.rbegin()->second.status();
      Finish(record, v1::JOB_STATE_FAILED, now);
    } else {
      Finish(record, v1::JOB_STATE_SUCCEEDED, now);
    }
  }
  return settlements;
}

absl::StatusOr<CancelOutcome> MemoryJobStore::Cancel(const std::string& job_id,
                                                     const std::string& owner_key,
                                                     absl::Time now) {
  absl::MutexLock lock(&mu_);
  JobRecord* record = FindOwned(job_id, owner_key);
  if (record == nullptr) return JobNotFound(job_id);
  CancelOutcome outcome;
  if (!IsTerminalState(record->job.state())) {
    for (size_t i = 0; i < record->items.size(); ++i) {
      if (record->items[i] != ItemState::kPending) continue;
      outcome.releases.push_back({job_id, static_cast<int>(i), Settlement::Kind::kRelease});
    }
    if (!outcome.releases.empty()) {
      absl::Status settled = accounts_->Settle(outcome.releases);
      if (!settled.ok()) return settled;  // nothing changed
    }
    for (const Settlement& release : outcome.releases) {
      record->items[release.index] = ItemState::kCancelled;
    }
    record->cancelled->store(true);
    outcome.dropped_chunks = static_cast<int>(record->queued.size());
    Finish(*record, v1::JOB_STATE_CANCELLED, now);
  }
  outcome.job = Snapshot(*record);
  return outcome;
}

absl::StatusOr<v1::Job> MemoryJobStore::Get(const std::string& job_id,
                                            const std::string& owner_key) {
  absl::MutexLock lock(&mu_);
  JobRecord* record = FindOwned(job_id, owner_key);
  if (record == nullptr) return JobNotFound(job_id);
  return Snapshot(*record);
}

absl::StatusOr<std::shared_ptr<EventLog>> MemoryJobStore::Events(const std::string& job_id,
                                                                 const std::string& owner_key) {
  absl::MutexLock lock(&mu_);
  JobRecord* record = FindOwned(job_id, owner_key);
  if (record == nullptr) return JobNotFound(job_id);
  return record->log;
}

std::optional<RequestIdEntry> MemoryJobStore::FindRequest(const std::string& owner_key,
                                                          const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  auto it = request_ids_.find({owner_key, request_id});
  if (it == request_ids_.end()) return std::nullopt;
  auto job = jobs_.find(it->second);
  if (job == jobs_.end()) return std::nullopt;
  return RequestIdEntry{it->second, job->second->input_fingerprint};
}

int MemoryJobStore::Sweep(absl::Time cutoff) {
  absl::MutexLock lock(&mu_);
  int removed = 0;
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    const JobRecord& record = *it->second;
    if (IsTerminalState(record.job.state()) && record.finish_time < cutoff) {
      if (!record.job.request_id().empty()) {
        request_ids_.erase({record.owner_key, record.job.request_id()});
      }
      jobs_.erase(it++);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

}  // namespace citecheck

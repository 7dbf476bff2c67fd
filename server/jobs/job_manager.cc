#include "server/jobs/job_manager.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "server/common/errors.h"
#include "server/common/logging.h"
#include "server/common/proto_time.h"
#include "server/common/service_metrics.h"
#include "server/jobs/job_rules.h"

namespace citecheck {
namespace {

absl::Status ShuttingDown() {
  return MakeError(absl::StatusCode::kUnavailable, reason::kServerShuttingDown,
                   "the server is shutting down; retry on another replica");
}

}  // namespace

JobManager::JobManager(JobManagerOptions options, JobStore* store, Checker* checker, Clock* clock)
    : options_(std::move(options)),
      store_(store),
      checker_(checker),
      clock_(clock),
      asynchronous_(checker->Asynchronous()) {}

JobManager::~JobManager() { Shutdown(); }

absl::Status JobManager::Start() {
  {
    absl::MutexLock lock(&mu_);
    started_ = true;
  }
  lease_thread_ = std::thread([this] { LeaseLoop(); });
  registration_done_.WaitForNotification();
  if (!registration_status_.ok()) {
    Shutdown();
    return registration_status_;
  }
  claim_thread_ = std::thread([this] { ClaimLoop(); });
  record_thread_ = std::thread([this] { RecordLoop(); });
  cancel_watch_thread_ = std::thread([this] { CancelWatchLoop(); });
  if (!asynchronous_) {
    for (int i = 0; i < std::max(1, options_.max_inflight); ++i) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }
  return absl::OkStatus();
}

bool JobManager::Ready() const {
  absl::MutexLock lock(&mu_);
  return ready_;
}

void JobManager::OnReadyChange(std::function<void(bool)> callback) {
  absl::MutexLock lock(&mu_);
  on_ready_change_ = std::move(callback);
}

void JobManager::SetReady(bool ready) {
  std::function<void(bool)> callback;
  {
    absl::MutexLock lock(&mu_);
    if (ready_ == ready) return;
    ready_ = ready;
    callback = on_ready_change_;
  }
  if (callback) callback(ready);
}

int JobManager::inflight() const {
  absl::MutexLock lock(&mu_);
  return inflight_;
}

std::string JobManager::NewJobId() {
  thread_local absl::BitGen gen;
  return FormatJobId(absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen));
}

// ---- The job API -----------------------------------------------------------------------------

absl::StatusOr<v1::Job> JobManager::Submit(const Caller& caller, BatchSpec batch) {
  {
    absl::MutexLock lock(&mu_);
    if (draining_ || stopping_) return ShuttingDown();
  }
  NewJob job;
  job.job_id = NewJobId();
  job.caller = caller;
  job.request_id = std::move(batch.request_id);
  job.input_fingerprint = std::move(batch.input_fingerprint);
  job.style = batch.style;
  job.model = batch.model.empty() ? checker_->ModelName() : std::move(batch.model);
  job.citations = std::move(batch.citations);
  job.citations_per_chunk = options_.citations_per_call;
  job.document = batch.document;
  job.inline_citations = std::move(batch.inline_citations);
  job.inline_per_chunk = options_.inline_per_call;
  job.create_time = TruncateToMicros(clock_->Now());
  job.deadline = job.create_time + options_.job_deadline;
  absl::StatusOr<v1::Job> created = store_->Submit(job);
  if (!created.ok()) return created.status();
  if (created->job_id() == job.job_id) {
    spdlog::info("job {} submitted by {}: total={} accepted={}", job.job_id,
                 Redacted(caller.OwnerKey()), created->total(), created->accepted());
  }
  absl::MutexLock lock(&mu_);
  ++claim_wakeups_;
  return created;
}

absl::StatusOr<v1::Job> JobManager::Get(const Caller& caller, const std::string& job_id) {
  return store_->Get(job_id, caller.OwnerKey());
}

absl::StatusOr<v1::Job> JobManager::Cancel(const Caller& caller, const std::string& job_id) {
  absl::StatusOr<v1::Job> job = store_->Cancel(job_id, caller.OwnerKey(), clock_->Now());
  if (job.ok()) registry_.Stop(job_id, StopReason::kJobEnded);
  return job;
}

absl::StatusOr<JobPage> JobManager::List(const Caller& caller, const JobListQuery& query) {
  return store_->List(caller.OwnerKey(), query);
}

// ---- Claiming, checking, recording -----------------------------------------------------------

void JobManager::ClaimLoop() {
  absl::Duration idle = options_.claim_poll_min;
  // Claims keep `slots` chunks being checked, and stop while a full recording's worth of
  // checked chunks waits for the recorder (the store or the recorder is the bottleneck then).
  const int slots = std::max(1, options_.max_inflight);
  const int claimed_max = slots + std::max(1, options_.max_record_batch);
  while (true) {
    int free = 0;
    uint64_t seen = 0;
    {
      absl::MutexLock lock(&mu_);
      auto can_claim = [this, slots, claimed_max]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || draining_ ||
               (registered_ && checking_ < slots && inflight_ < claimed_max);
      };
      mu_.Await(absl::Condition(&can_claim));
      if (stopping_ || draining_) return;
      free = std::min(slots - checking_, claimed_max - inflight_);
      seen = claim_wakeups_;
    }
    absl::StatusOr<std::vector<Chunk>> chunks =
        store_->Claim(options_.replica_name, free, clock_->Now());
    if (!chunks.ok() || chunks->empty()) {
      if (!chunks.ok()) {
        spdlog::warn("claiming chunks failed: {}", chunks.status().ToString());
      }
      absl::MutexLock lock(&mu_);
      auto woken = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || draining_ || claim_wakeups_ != seen;
      };
      if (!mu_.AwaitWithTimeout(absl::Condition(&woken), idle)) {
        idle = std::min(idle * 2, options_.claim_poll_max);
      } else {
        idle = options_.claim_poll_min;
      }
      continue;
    }
    idle = options_.claim_poll_min;
    absl::MutexLock lock(&mu_);
    inflight_ += static_cast<int>(chunks->size());
    if (stopping_ || draining_) {
      // Claimed while Shutdown began (the claim ran without the lock): handed back unchecked.
      // Starting them now could outlast Shutdown's waits, which may have seen no check
      // running, and call the checker or this manager after they are gone.
      for (Chunk& chunk : *chunks) to_hand_back_.push_back(std::move(chunk));
      return;
    }
    checking_ += static_cast<int>(chunks->size());
    if (asynchronous_) {
      mu_.Unlock();
      for (Chunk& chunk : *chunks) StartChunk(std::move(chunk));
      mu_.Lock();
    } else {
      for (Chunk& chunk : *chunks) to_check_.push_back(std::move(chunk));
    }
  }
}

void JobManager::WorkerLoop() {
  while (true) {
    Chunk chunk;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !to_check_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (to_check_.empty()) return;  // stopping
      chunk = std::move(to_check_.front());
      to_check_.pop_front();
    }
    StartChunk(std::move(chunk));  // a synchronous checker: checked on this thread
  }
}

namespace {

ItemOutcome InlineOutcome(const Chunk& chunk, size_t i,
                          absl::StatusOr<v1::InlineCitation> verdict) {
  ItemOutcome outcome;
  outcome.index = chunk.indices[i];
  if (verdict.ok()) {
    outcome.inline_citation = *std::move(verdict);
    outcome.inline_citation->set_index(chunk.indices[i]);
    outcome.inline_citation->set_text(chunk.citations[i]);
    outcome.inline_citation->set_offset(chunk.offsets[i]);
  } else {
    outcome.inline_citation =
        UncheckedInline(chunk.indices[i], chunk.citations[i], chunk.offsets[i], verdict.status());
  }
  return outcome;
}

absl::Status NoAnswer() {
  return MakeError(absl::StatusCode::kInternal, reason::kLlmBadAnswer,
                   "the checker returned no result for this citation");
}

// The outcomes of a chunk of references from the checker's `results` (one per citation; a
// missing one is NoAnswer).
std::vector<ItemOutcome> ReferenceOutcomes(
    const Chunk& chunk, std::vector<absl::StatusOr<v1::CitationResult>> results) {
  std::vector<ItemOutcome> outcomes;
  outcomes.reserve(chunk.indices.size());
  for (size_t i = 0; i < chunk.indices.size(); ++i) {
    ItemOutcome outcome;
    outcome.index = chunk.indices[i];
    outcome.result = i < results.size() ? std::move(results[i]) : NoAnswer();
    outcomes.push_back(std::move(outcome));
  }
  return outcomes;
}

// The same for a chunk of in-text citations.
std::vector<ItemOutcome> InlineOutcomes(const Chunk& chunk,
                                        std::vector<absl::StatusOr<v1::InlineCitation>> verdicts) {
  std::vector<ItemOutcome> outcomes;
  outcomes.reserve(chunk.indices.size());
  for (size_t i = 0; i < chunk.indices.size(); ++i) {
    outcomes.push_back(
        InlineOutcome(chunk, i, i < verdicts.size() ? std::move(verdicts[i]) : NoAnswer()));
  }
  return outcomes;
}

// Every item of a chunk whose deadline passed before it was checked: JOB_DEADLINE_EXCEEDED.
std::vector<ItemOutcome> ExpiredOutcomes(const Chunk& chunk) {
  const size_t n = chunk.indices.size();
  if (chunk.kind == ItemKind::kInline) {
    return InlineOutcomes(
        chunk, std::vector<absl::StatusOr<v1::InlineCitation>>(n, JobDeadlineExceededError()));
  }
  return ReferenceOutcomes(
      chunk, std::vector<absl::StatusOr<v1::CitationResult>>(n, JobDeadlineExceededError()));
}

}  // namespace

CheckRequest JobManager::ReferenceRequest(const Chunk& chunk,
                                          const std::atomic<bool>* cancelled) const {
  CheckRequest request;
  request.style = chunk.style;
  request.citations = chunk.citations;
  request.model = RequestedModel(chunk);
  request.deadline = chunk.deadline;
  request.cancelled = cancelled;
  return request;
}

InlineCheckRequest JobManager::InlineRequest(const Chunk& chunk,
                                             const std::atomic<bool>* cancelled) const {
  InlineCheckRequest request;
  request.style = chunk.style;
  request.references = chunk.references;
  for (size_t i = 0; i < chunk.indices.size(); ++i) {
    request.citations.push_back({chunk.indices[i], chunk.citations[i]});
  }
  request.model = RequestedModel(chunk);
  request.deadline = chunk.deadline;
  request.cancelled = cancelled;
  return request;
}

std::string JobManager::RequestedModel(const Chunk& chunk) const {
  return chunk.model == checker_->ModelName() ? "" : chunk.model;
}

void JobManager::StartChunk(Chunk chunk) {
  std::shared_ptr<CancelRegistry::Entry> entry = registry_.Enter(chunk.job_id);
  ServiceMetrics::Get().executor_inflight_chunks().Increment();
  if (entry->stop.load()) return FinishChunk(std::move(chunk), entry, {});
  if (clock_->Now() >= chunk.deadline) {
    std::vector<ItemOutcome> outcomes = ExpiredOutcomes(chunk);
    return FinishChunk(std::move(chunk), entry, std::move(outcomes));
  }
  if (chunk.kind == ItemKind::kInline) {
    InlineCheckRequest request = InlineRequest(chunk, &entry->stop);
    checker_->StartMatchInline(
        std::move(request), [this, chunk = std::move(chunk), entry](
                                std::vector<absl::StatusOr<v1::InlineCitation>> verdicts) mutable {
          std::vector<ItemOutcome> outcomes = InlineOutcomes(chunk, std::move(verdicts));
          FinishChunk(std::move(chunk), entry, std::move(outcomes));
        });
    return;
  }
  CheckRequest request = ReferenceRequest(chunk, &entry->stop);
  checker_->StartCheck(
      std::move(request), [this, chunk = std::move(chunk),
                           entry](std::vector<absl::StatusOr<v1::CitationResult>> results) mutable {
        std::vector<ItemOutcome> outcomes = ReferenceOutcomes(chunk, std::move(results));
        FinishChunk(std::move(chunk), entry, std::move(outcomes));
      });
}

void JobManager::FinishChunk(Chunk chunk, const std::shared_ptr<CancelRegistry::Entry>& entry,
                             std::vector<ItemOutcome> outcomes) {
  ServiceMetrics::Get().executor_inflight_chunks().Decrement();
  const StopReason reason = entry->Reason();
  registry_.Leave(chunk.job_id);

  bool dropped = false;
  {
    absl::MutexLock lock(&mu_);
    --checking_;
    switch (reason) {
      case StopReason::kJobEnded:
        dropped = true;  // cancelled or expired: the store fences these results out anyway
        break;
      case StopReason::kAbandon:
        to_hand_back_.push_back(std::move(chunk));
        return;
      case StopReason::kNone:
        to_record_.push_back({std::move(chunk), std::move(outcomes)});
        return;
    }
  }
  if (dropped) Done(1);
}

void JobManager::Done(int chunks) {
  absl::MutexLock lock(&mu_);
  inflight_ -= chunks;
}

void JobManager::RecordLoop() {
  absl::Duration backoff = options_.record_retry_initial;
  while (true) {
    std::vector<Finished> batch;
    std::vector<Chunk> hand_back;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !to_record_.empty() || !to_hand_back_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_ && to_record_.empty() && to_hand_back_.empty()) return;
      if (stopping_) {
        // The drain's deadline passed: what could not be stored stays claimed by this replica
        // in the store until UnregisterReplica queues it again (or, when the database is still
        // unreachable then, the dead-replica sweep or a restart under the same name).
        spdlog::error("stopping with {} checked chunks unrecorded and {} not handed back",
                      to_record_.size(), to_hand_back_.size());
        return;
      }
      const size_t take =
          std::min(to_record_.size(), static_cast<size_t>(std::max(1, options_.max_record_batch)));
      batch.assign(std::make_move_iterator(to_record_.begin()),
                   std::make_move_iterator(to_record_.begin() + take));
      to_record_.erase(to_record_.begin(), to_record_.begin() + take);
      hand_back.swap(to_hand_back_);
    }

    if (!hand_back.empty()) {
      absl::Status handed = store_->HandBack(options_.replica_name, hand_back);
      if (handed.ok()) {
        Done(static_cast<int>(hand_back.size()));
      } else {
        spdlog::warn("handing back {} chunks failed: {}", hand_back.size(), handed.ToString());
        absl::MutexLock lock(&mu_);
        to_hand_back_.insert(to_hand_back_.end(), hand_back.begin(), hand_back.end());
        to_record_.insert(to_record_.begin(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
        backoff = std::min(backoff * 2, options_.record_retry_max);
        continue;
      }
    }
    if (batch.empty()) continue;

    std::vector<ChunkOutcome> outcomes;
    outcomes.reserve(batch.size());
    for (const Finished& finished : batch) {
      outcomes.push_back(
          {finished.chunk.job_id, finished.chunk.chunk_id, finished.chunk.token, finished.items});
    }
    absl::StatusOr<RecordResult> recorded =
        store_->Record(options_.replica_name, std::move(outcomes), clock_->Now());
    if (recorded.ok()) {
      backoff = options_.record_retry_initial;
      if (!recorded->fenced.empty()) {
        spdlog::info("{} chunk results fenced out (cancelled, expired or taken over)",
                     recorded->fenced.size());
      }
      Done(static_cast<int>(batch.size()));
      continue;
    }
    // The answers were paid for: keep them until the store takes them (recording is
    // idempotent, so a retry after an outage records and charges each citation once).
    spdlog::warn("recording {} chunks failed, retrying in {}: {}", batch.size(),
                 absl::FormatDuration(backoff), recorded.status().ToString());
    absl::MutexLock lock(&mu_);
    to_record_.insert(to_record_.begin(), std::make_move_iterator(batch.begin()),
                      std::make_move_iterator(batch.end()));
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, options_.record_retry_max);
  }
}

void JobManager::CancelWatchLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.cancel_poll)) return;
    }
    std::vector<std::string> running = registry_.RunningJobs();
    if (running.empty()) continue;
    absl::StatusOr<std::vector<JobHead>> heads = store_->ReadHeads(running);
    if (!heads.ok()) continue;
    for (const JobHead& head : *heads) {
      if (head.terminal) registry_.Stop(head.job_id, StopReason::kJobEnded);
    }
  }
}

// ---- The replica's lease and maintenance -----------------------------------------------------

absl::Status JobManager::Register() {
  absl::StatusOr<ReplicaRegistration> registration =
      store_->RegisterReplica(options_.replica_name, clock_->Now());
  if (!registration.ok()) return registration.status();
  if (registration->requeued_chunks > 0) {
    spdlog::warn(
        "replica {}: took back {} chunks a previous process left ({} failed: "
        "WORKER_LOST)",
        options_.replica_name, registration->requeued_chunks, registration->worker_lost_chunks);
  }
  absl::MutexLock lock(&mu_);
  incarnation_ = registration->incarnation;
  registered_ = true;
  ++claim_wakeups_;
  return absl::OkStatus();
}

void JobManager::Maintain(absl::Time now) {
  if (absl::StatusOr<int64_t> queued = store_->QueuedChunks(); queued.ok()) {
    ServiceMetrics::Get().queue_chunks().Set(static_cast<double>(*queued));
  }
  for (int round = 0; round < 10; ++round) {
    absl::StatusOr<int> ended = store_->ExpireDeadlines(now, options_.maintenance_batch);
    if (!ended.ok() || *ended == 0) break;
    spdlog::info("deadlines: {} jobs ended", *ended);
    if (*ended < options_.maintenance_batch) break;
  }
  for (int round = 0; round < 10; ++round) {
    absl::StatusOr<int> removed =
        store_->Sweep(now - options_.job_retention, options_.maintenance_batch);
    if (!removed.ok() || *removed == 0) break;
    spdlog::info("retention: removed {} finished jobs", *removed);
    if (*removed < options_.maintenance_batch) break;
  }
}

void JobManager::LeaseLoop() {
  // Registration, Heartbeat and Unregister run on this thread (the store may hold the name on
  // this thread's connection).
  registration_status_ = Register();
  registration_done_.Notify();
  if (!registration_status_.ok()) return;
  absl::StatusOr<int> orphans = store_->ReleaseOrphanReservations(clock_->Now());
  if (!orphans.ok()) {
    spdlog::warn("releasing orphan reservations failed: {}", orphans.status().ToString());
  } else if (*orphans > 0) {
    spdlog::warn("released {} citations reserved for jobs that do not exist", *orphans);
  }
  SetReady(true);

  const absl::Duration tick = std::min(options_.heartbeat_interval, options_.maintenance_interval);
  absl::Time healthy_since = clock_->Now();
  absl::Time next_heartbeat = clock_->Now() + options_.heartbeat_interval;
  absl::Time next_maintenance = clock_->Now();
  bool healthy = true;
  while (!stop_lease_.WaitForNotificationWithTimeout(tick)) {
    const absl::Time now = clock_->Now();
    if (now >= next_heartbeat) {
      next_heartbeat = now + options_.heartbeat_interval;
      int64_t incarnation;
      {
        absl::MutexLock lock(&mu_);
        incarnation = incarnation_;
      }
      absl::Status beat = store_->Heartbeat(options_.replica_name, incarnation, now);
      if (beat.code() == absl::StatusCode::kFailedPrecondition) {
        // Another replica declared this one dead and took its chunks: drop what runs here and
        // start over under a new lease.
        spdlog::warn("replica {}: lease lost ({}); abandoning running checks, registering again",
                     options_.replica_name, std::string(beat.message()));
        {
          absl::MutexLock lock(&mu_);
          registered_ = false;  // no claims under a lost lease
        }
        registry_.StopAll(StopReason::kAbandon);
        {
          // Let the abandoned checks return and their chunks go back first, so that the new
          // registration does not count this live process as having died holding them.
          absl::MutexLock lock(&mu_);
          auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ <= 0; };
          mu_.AwaitWithTimeout(absl::Condition(&idle), absl::Seconds(5));
        }
        beat = Register();
      }
      if (beat.ok()) {
        if (!healthy) healthy_since = now;
        healthy = true;
      } else {
        if (healthy)
          spdlog::warn("replica {}: heartbeat failed: {}", options_.replica_name, beat.ToString());
        healthy = false;
      }
      SetReady(healthy);
    }
    if (healthy && now >= next_maintenance) {
      next_maintenance = now + options_.maintenance_interval;
      // Only a replica that has itself been heartbeating for dead_after may judge others dead:
      // after a database outage every replica gets the time to beat again.
      if (now - healthy_since >= options_.replica_dead_after) {
        absl::StatusOr<int> swept =
            store_->SweepDeadReplicas(options_.replica_name, now, options_.replica_dead_after);
        if (swept.ok() && *swept > 0) {
          spdlog::warn("took over {} chunks of replicas that stopped heartbeating", *swept);
          absl::MutexLock lock(&mu_);
          ++claim_wakeups_;
        }
      }
      Maintain(now);
    }
  }
  int64_t incarnation;
  {
    absl::MutexLock lock(&mu_);
    incarnation = incarnation_;
  }
  absl::Status removed = store_->UnregisterReplica(options_.replica_name, incarnation);
  if (!removed.ok()) spdlog::warn("unregistering the replica failed: {}", removed.ToString());
}

// ---- Shutdown --------------------------------------------------------------------------------

void JobManager::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || draining_) return;
    draining_ = true;
  }
  SetReady(false);
  const absl::Time deadline = absl::Now() + options_.shutdown_grace;
  bool drained;
  {
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ <= 0; };
    drained = mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
    if (!drained) {
      spdlog::warn("shutdown grace over with {} chunks in flight: abandoning them", inflight_);
      // Never started: straight back to the queue.
      for (Chunk& chunk : to_check_) to_hand_back_.push_back(std::move(chunk));
      checking_ -= static_cast<int>(to_check_.size());
      to_check_.clear();
    }
  }
  if (!drained) {
    registry_.StopAll(StopReason::kAbandon);
    absl::MutexLock lock(&mu_);
    auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inflight_ <= 0; };
    mu_.AwaitWithDeadline(absl::Condition(&idle), absl::Now() + absl::Seconds(3));
  }
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // The callbacks of asynchronous checks still running use this manager: wait for them (as
    // for a worker thread's check; abandoned checks return promptly).
    auto no_check_running = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return checking_ <= 0; };
    if (asynchronous_) mu_.Await(absl::Condition(&no_check_running));
  }
  if (claim_thread_.joinable()) claim_thread_.join();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  if (record_thread_.joinable()) record_thread_.join();
  if (cancel_watch_thread_.joinable()) cancel_watch_thread_.join();
  stop_lease_.Notify();
  if (lease_thread_.joinable()) lease_thread_.join();
}

}  // namespace citecheck

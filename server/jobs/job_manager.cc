#include "server/jobs/job_manager.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/errors.h"
#include "server/common/logging.h"

namespace citecheck {
namespace {

int ChunksFor(int citations, int per_chunk) { return (citations + per_chunk - 1) / per_chunk; }

}  // namespace

JobManager::JobManager(JobManagerOptions options, JobStore* jobs, AccountStore* accounts,
                       Checker* checker, Clock* clock)
    : options_(options),
      jobs_(jobs),
      accounts_(accounts),
      checker_(checker),
      clock_(clock),
      executor_({options.max_inflight, options.max_queued_chunks, absl::Seconds(1)},
                [this] { return ClaimOne(); }, [this](Chunk chunk) { RunChunk(std::move(chunk)); }) {
}

JobManager::~JobManager() { Shutdown(); }

void JobManager::Start() {
  started_ = true;
  executor_.Start();
  sweeper_ = std::thread([this] {
    while (!stopping_.WaitForNotificationWithTimeout(options_.sweep_interval)) {
      int removed = jobs_->Sweep(clock_->Now() - options_.job_retention);
      if (removed > 0) spdlog::info("retention: forgot {} finished jobs", removed);
    }
  });
}

void JobManager::Shutdown() {
  if (!started_) return;
  started_ = false;
  stopping_.Notify();  // first: a worker waiting to record gives up, so the join below ends
  executor_.Shutdown();
  sweeper_.join();
}

std::string JobManager::NewJobId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("job_%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

absl::StatusOr<v1::Job> JobManager::ExistingRequest(const Caller& caller,
                                                    const BatchSpec& batch) {
  std::optional<RequestIdEntry> entry = jobs_->FindRequest(caller.OwnerKey(), batch.request_id);
  if (!entry.has_value()) {
    return absl::NotFoundError("no job for this request id");  // internal: caller creates one
  }
  if (entry->input_fingerprint != batch.input_fingerprint) {
    return FieldError(reason::kRequestIdReused, "request_id",
                      "this request_id was already used with a different input");
  }
  return jobs_->Get(entry->job_id, caller.OwnerKey());
}

absl::StatusOr<v1::Job> JobManager::Submit(const Caller& caller, BatchSpec batch) {
  if (!batch.request_id.empty()) {
    absl::StatusOr<v1::Job> existing = ExistingRequest(caller, batch);
    if (existing.ok() || !ErrorReason(existing.status()).empty()) return existing;
  }
  const int total = static_cast<int>(batch.citations.size());
  const int admitted = ChunksFor(total, options_.citations_per_call);
  if (!executor_.TryAdmit(admitted)) {
    absl::Status full = MakeError(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                                  "the server's work queue is full; retry later");
    AddRetryInfo(full, absl::Seconds(5));
    return full;
  }

  const absl::Time now = clock_->Now();
  NewJob job;
  job.job_id = NewJobId();
  absl::StatusOr<Reservation> reservation =
      accounts_->Reserve({caller, job.job_id, total, now});
  if (!reservation.ok()) {
    executor_.Release(admitted);
    return reservation.status();
  }
  const int chunks = ChunksFor(reservation->accepted, options_.citations_per_call);
  executor_.Release(admitted - chunks);

  job.owner_key = caller.OwnerKey();
  job.request_id = batch.request_id;
  job.input_fingerprint = batch.input_fingerprint;
  job.style = batch.style;
  job.model = batch.model.empty() ? checker_->ModelName() : batch.model;
  job.citations = std::move(batch.citations);
  job.reservation = *reservation;
  job.citations_per_chunk = options_.citations_per_call;
  job.create_time = now;
  job.deadline = now + options_.job_deadline;
  absl::StatusOr<v1::Job> created = jobs_->Create(job);
  if (!created.ok()) {
    // Nothing was created: give back what was reserved for it.
    executor_.Release(chunks);
    std::vector<Settlement> releases;
    for (int i = 0; i < reservation->accepted; ++i) {
      releases.push_back({job.job_id, i, Settlement::Kind::kRelease});
    }
    Settle(releases);
    if (created.status().code() == absl::StatusCode::kAlreadyExists) {
      // A concurrent submit with the same request id won the race.
      batch.citations = std::move(job.citations);
      return ExistingRequest(caller, batch);
    }
    return created.status();
  }
  spdlog::info("job {} submitted by {}: total={} accepted={} chunks={}", job.job_id,
               Redacted(job.owner_key), total, reservation->accepted, chunks);
  if (chunks > 0) executor_.Notify();
  return created;
}

absl::StatusOr<v1::Job> JobManager::Get(const Caller& caller, const std::string& job_id) {
  return jobs_->Get(job_id, caller.OwnerKey());
}

absl::StatusOr<v1::Job> JobManager::Cancel(const Caller& caller, const std::string& job_id) {
  absl::StatusOr<CancelOutcome> outcome = jobs_->Cancel(job_id, caller.OwnerKey(), clock_->Now());
  if (!outcome.ok()) return outcome.status();
  executor_.Release(outcome->dropped_chunks);
  if (!outcome->releases.empty()) {
    spdlog::info("job {} cancelled: {} citations released", job_id, outcome->releases.size());
  }
  return std::move(outcome->job);
}

absl::StatusOr<std::shared_ptr<EventLog>> JobManager::Events(const Caller& caller,
                                                             const std::string& job_id) {
  return jobs_->Events(job_id, caller.OwnerKey());
}

std::optional<Chunk> JobManager::ClaimOne() {
  std::vector<Chunk> chunks = jobs_->Claim(1, clock_->Now());
  if (chunks.empty()) return std::nullopt;
  return std::move(chunks.front());
}

void JobManager::RunChunk(Chunk chunk) {
  std::vector<ItemOutcome> outcomes;
  outcomes.reserve(chunk.indices.size());
  if (chunk.cancelled->load()) return;  // the cancel released these citations already
  if (clock_->Now() >= chunk.deadline) {
    for (int index : chunk.indices) {
      outcomes.push_back({index, MakeError(absl::StatusCode::kDeadlineExceeded,
                                           reason::kJobDeadlineExceeded,
                                           "the job's deadline passed before this citation "
                                           "could be checked")});
    }
  } else {
    CheckRequest request;
    request.style = chunk.style;
    request.citations = chunk.citations;
    request.model = chunk.model == checker_->ModelName() ? "" : chunk.model;
    request.deadline = chunk.deadline;
    request.cancelled = chunk.cancelled.get();
    std::vector<absl::StatusOr<v1::CitationResult>> results = checker_->Check(request);
    for (size_t i = 0; i < chunk.indices.size(); ++i) {
      if (i < results.size()) {
        outcomes.push_back({chunk.indices[i], std::move(results[i])});
      } else {
        outcomes.push_back({chunk.indices[i],
                            MakeError(absl::StatusCode::kInternal, reason::kLlmBadAnswer,
                                      "the checker returned no result for this citation")});
      }
    }
  }
  RecordUntilStored(chunk, std::move(outcomes));
}

void JobManager::RecordUntilStored(const Chunk& chunk, std::vector<ItemOutcome> outcomes) {
  // The checker's answers were paid for: keep them until the store takes them. Record is
  // idempotent (only pending items change), so retrying after an outage (e.g. the database
  // restarting) records and settles each citation exactly once. Only shutdown gives up.
  absl::Duration backoff = options_.record_retry_initial;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::vector<Settlement>> settled =
        jobs_->Record(chunk.job_id, chunk.chunk_id, outcomes, clock_->Now());
    if (settled.ok()) {
      if (attempt > 1) {
        spdlog::info("job {}: chunk {} recorded after {} attempts", chunk.job_id,
                     chunk.chunk_id, attempt);
      }
      return;
    }
    if (settled.status().code() == absl::StatusCode::kNotFound) return;  // job forgotten
    spdlog::warn("job {}: recording chunk {} failed (attempt {}), retrying in {}: {}",
                 chunk.job_id, chunk.chunk_id, attempt, absl::FormatDuration(backoff),
                 settled.status().ToString());
    if (stopping_.WaitForNotificationWithTimeout(backoff)) {
      spdlog::error("job {}: shutting down with chunk {} unrecorded", chunk.job_id,
                    chunk.chunk_id);
      return;
    }
    backoff = std::min(backoff * 2, options_.record_retry_max);
  }
}

void JobManager::Settle(const std::vector<Settlement>& settlements) {
  if (settlements.empty()) return;
  absl::Status status = accounts_->Settle(settlements);
  if (!status.ok()) {
    spdlog::error("job {}: settling {} citations failed: {}", settlements.front().job_id,
                  settlements.size(), status.ToString());
  }
}

}  // namespace citecheck

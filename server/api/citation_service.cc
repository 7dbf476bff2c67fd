#include "server/api/citation_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/identity.h"
#include "server/api/page_token.h"
#include "server/api/raw_call.h"
#include "server/api/request_wire.pb.h"
#include "server/common/errors.h"
#include "server/jobs/job_rules.h"

namespace citecheck {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

// The blocking pools: threads, and calls that may wait for one.
constexpr int kSubmitThreads = 8;
constexpr int kCallThreads = 8;
constexpr int kMaxQueuedCalls = 1024;

// A job id as a client sent it: INVALID_UTF8 when it is not UTF-8, JOB_NOT_FOUND (the store's
// answer for an unknown job, without the id) when it has not the shape of the ids the server
// issues, so that no store is asked about an id that cannot exist.
absl::Status CheckJobId(absl::string_view job_id) {
  if (absl::Status utf8 = CheckUtf8(job_id, "job_id"); !utf8.ok()) return utf8;
  if (!IsWellFormedJobId(job_id)) return JobNotFoundError();
  return absl::OkStatus();
}

// Parses a job id request (GetJob, CancelJob) and checks its job_id.
template <typename Wire>
absl::StatusOr<std::string> ParseJobIdRequest(const grpc::ServerContextBase& context,
                                              const grpc::ByteBuffer& request,
                                              const CallPolicy& policy, absl::string_view what) {
  Wire wire;
  if (absl::Status parsed = ParseCall(context, request, policy, what, &wire); !parsed.ok()) {
    return parsed;
  }
  if (absl::Status valid = CheckJobId(wire.job_id()); !valid.ok()) return valid;
  return std::move(*wire.mutable_job_id());
}

}  // namespace

CitationServiceImpl::CitationServiceImpl(JobManager* manager, const Checker* checker, WatchHub* hub,
                                         SubmitLimits limits, CallPolicy policy)
    : manager_(manager),
      checker_(checker),
      hub_(hub),
      limits_(limits),
      policy_(std::move(policy)),
      calls_pool_(kCallThreads, kMaxQueuedCalls),
      submit_pool_(kSubmitThreads, kMaxQueuedCalls) {}

grpc::ServerUnaryReactor* CitationServiceImpl::SubmitBatch(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  if (absl::Status metadata = CheckMetadataSize(*context, policy_.max_metadata_bytes);
      !metadata.ok()) {
    return FinishNow(context, metadata);
  }
  absl::StatusOr<BatchSpec> batch =
      ValidateSubmitBatch(FlattenByteBuffer(*request), limits_, *checker_);
  if (!batch.ok()) return FinishNow(context, batch.status());
  return FinishOnPool<v1::Job>(
      context, response, submit_pool_,
      [this, caller = IdentifyCaller(*context, policy_.trusted_proxies),
       batch = *std::move(batch)]() mutable { return manager_->Submit(caller, std::move(batch)); });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* CitationServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  internal::WatchJobWire wire;
  absl::Status valid = ParseCall(*context, *request, policy_, "a WatchJobRequest", &wire);
  if (valid.ok()) valid = CheckJobId(wire.job_id());
  if (!valid.ok()) return FinishedWatch(ToGrpcStatus(valid));
  return hub_->Open(IdentifyCaller(*context, policy_.trusted_proxies).OwnerKey(), wire.job_id(),
                    wire.after_sequence());
}

grpc::ServerUnaryReactor* CitationServiceImpl::GetJob(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  absl::StatusOr<std::string> job_id =
      ParseJobIdRequest<internal::GetJobWire>(*context, *request, policy_, "a GetJobRequest");
  if (!job_id.ok()) return FinishNow(context, job_id.status());
  return FinishOnPool<v1::Job>(
      context, response, calls_pool_,
      [this, caller = IdentifyCaller(*context, policy_.trusted_proxies),
       job_id = *std::move(job_id)] { return manager_->Get(caller, job_id); });
}

grpc::ServerUnaryReactor* CitationServiceImpl::CancelJob(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  absl::StatusOr<std::string> job_id =
      ParseJobIdRequest<internal::CancelJobWire>(*context, *request, policy_, "a CancelJobRequest");
  if (!job_id.ok()) return FinishNow(context, job_id.status());
  return FinishOnPool<v1::Job>(
      context, response, calls_pool_,
      [this, caller = IdentifyCaller(*context, policy_.trusted_proxies),
       job_id = *std::move(job_id)] { return manager_->Cancel(caller, job_id); });
}

grpc::ServerUnaryReactor* CitationServiceImpl::ListJobs(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  internal::ListJobsWire wire;
  if (absl::Status parsed = ParseCall(*context, *request, policy_, "a ListJobsRequest", &wire);
      !parsed.ok()) {
    return FinishNow(context, parsed);
  }
  if (wire.page_size() < 0) {
    return FinishNow(context,
                     FieldError(reason::kMalformedRequest, "page_size", "must not be negative"));
  }
  if (!v1::JobState_IsValid(wire.state())) {
    return FinishNow(context, FieldError(reason::kMalformedRequest, "state", "is not a job state"));
  }
  if (absl::Status utf8 = CheckUtf8(wire.page_token(), "page_token"); !utf8.ok()) {
    return FinishNow(context, utf8);
  }
  return FinishOnPool<v1::ListJobsResponse>(
      context, response, calls_pool_,
      [this, caller = IdentifyCaller(*context, policy_.trusted_proxies),
       wire = std::move(wire)]() -> absl::StatusOr<v1::ListJobsResponse> {
        JobListQuery query;
        query.state = static_cast<v1::JobState>(wire.state());
        query.limit =
            wire.page_size() == 0 ? kDefaultPageSize : std::min(wire.page_size(), kMaxPageSize);
        absl::StatusOr<std::string> key = manager_->PageTokenKey();
        if (!key.ok()) return key.status();
        if (!wire.page_token().empty()) {
          absl::StatusOr<JobPosition> after =
              DecodePageToken(*key, caller.OwnerKey(), query.state, wire.page_token());
          if (!after.ok()) return after.status();
          query.after = *std::move(after);
        }
        absl::StatusOr<JobPage> page = manager_->List(caller, query);
        if (!page.ok()) return page.status();
        v1::ListJobsResponse response;
        for (v1::Job& job : page->jobs) *response.add_jobs() = std::move(job);
        if (page->next.has_value()) {
          response.set_next_page_token(
              EncodePageToken(*key, caller.OwnerKey(), query.state, *page->next));
        }
        return response;
      });
}

}  // namespace citecheck

#include "server/api/citation_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/identity.h"
#include "server/api/page_token.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& slice : slices) {
    out.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return out;
}

}  // namespace

CitationServiceImpl::CitationServiceImpl(JobManager* manager, const Checker* checker, WatchHub* hub,
                                         SubmitLimits limits, SubmitPoolOptions pool)
    : manager_(manager),
      checker_(checker),
      hub_(hub),
      limits_(limits),
      submit_pool_(pool.threads, pool.max_queued) {}

grpc::ServerUnaryReactor* CitationServiceImpl::SubmitBatch(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<BatchSpec> batch = ValidateSubmitBatch(Flatten(*request), limits_, *checker_);
  if (!batch.ok()) {
    reactor->Finish(ToGrpcStatus(batch.status()));
    return reactor;
  }
  const bool scheduled =
      submit_pool_.Schedule([this, reactor, response, caller = IdentifyCaller(*context),
                             batch = *std::move(batch)]() mutable {
        absl::StatusOr<v1::Job> job = manager_->Submit(caller, std::move(batch));
        if (!job.ok()) {
          reactor->Finish(ToGrpcStatus(job.status()));
          return;
        }
        grpc::Slice slice(job->SerializeAsString());
        *response = grpc::ByteBuffer(&slice, 1);
        reactor->Finish(grpc::Status::OK);
      });
  if (!scheduled) {
    absl::Status busy = MakeError(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                                  "too many submissions in progress; retry later");
    AddRetryInfo(busy, absl::Seconds(1));
    reactor->Finish(ToGrpcStatus(busy));
  }
  return reactor;
}

grpc::ServerWriteReactor<v1::JobEvent>* CitationServiceImpl::WatchJob(
    grpc::CallbackServerContext* context, const v1::WatchJobRequest* request) {
  return hub_->Open(IdentifyCaller(*context).OwnerKey(), request->job_id(),
                    request->after_sequence());
}

grpc::Status CitationServiceImpl::GetJob(grpc::ServerContext* context,
                                         const v1::GetJobRequest* request, v1::Job* response) {
  absl::StatusOr<v1::Job> job = manager_->Get(IdentifyCaller(*context), request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  *response = *std::move(job);
  return grpc::Status::OK;
}

grpc::Status CitationServiceImpl::CancelJob(grpc::ServerContext* context,
                                            const v1::CancelJobRequest* request,
                                            v1::Job* response) {
  absl::StatusOr<v1::Job> job = manager_->Cancel(IdentifyCaller(*context), request->job_id());
  if (!job.ok()) return ToGrpcStatus(job.status());
  *response = *std::move(job);
  return grpc::Status::OK;
}

grpc::Status CitationServiceImpl::ListJobs(grpc::ServerContext* context,
                                           const v1::ListJobsRequest* request,
                                           v1::ListJobsResponse* response) {
  if (request->page_size() < 0) {
    return ToGrpcStatus(FieldError(reason::kMalformedRequest, "page_size", "must not be negative"));
  }
  if (!v1::JobState_IsValid(request->state())) {
    return ToGrpcStatus(FieldError(reason::kMalformedRequest, "state", "is not a job state"));
  }
  const Caller caller = IdentifyCaller(*context);
  JobListQuery query;
  query.state = request->state();
  query.limit =
      request->page_size() == 0 ? kDefaultPageSize : std::min(request->page_size(), kMaxPageSize);
  absl::StatusOr<std::string> key = manager_->PageTokenKey();
  if (!key.ok()) return ToGrpcStatus(key.status());
  if (!request->page_token().empty()) {
    absl::StatusOr<JobPosition> after =
        DecodePageToken(*key, caller.OwnerKey(), query.state, request->page_token());
    if (!after.ok()) return ToGrpcStatus(after.status());
    query.after = *std::move(after);
  }
  absl::StatusOr<JobPage> page = manager_->List(caller, query);
  if (!page.ok()) return ToGrpcStatus(page.status());
  for (v1::Job& job : page->jobs) *response->add_jobs() = std::move(job);
  if (page->next.has_value()) {
    response->set_next_page_token(
        EncodePageToken(*key, caller.OwnerKey(), query.state, *page->next));
  }
  return grpc::Status::OK;
}

}  // namespace citecheck

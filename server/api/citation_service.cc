#include "server/api/citation_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/identity.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

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

CitationServiceImpl::CitationServiceImpl(JobManager* manager, const Checker* checker,
                                         WatchHub* hub, SubmitLimits limits)
    : manager_(manager),
      checker_(checker),
      hub_(hub),
      limits_(limits),
      submit_pool_(/*threads=*/8, /*max_queued=*/1024) {}

grpc::ServerUnaryReactor* CitationServiceImpl::SubmitBatch(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<BatchSpec> batch = ValidateSubmitBatch(Flatten(*request), limits_, *checker_);
  if (!batch.ok()) {
    reactor->Finish(ToGrpcStatus(batch.status()));
    return reactor;
  }
  const bool scheduled = submit_pool_.Schedule(
      [this, reactor, response, caller = IdentifyCaller(*context),
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
  absl::StatusOr<std::shared_ptr<EventLog>> log =
      manager_->Events(IdentifyCaller(*context), request->job_id());
  if (!log.ok()) return FinishedWatch(ToGrpcStatus(log.status()));
  const int64_t last = (*log)->last_sequence();
  if (request->after_sequence() < 0 || request->after_sequence() > last) {
    absl::Status out_of_range = MakeError(
        absl::StatusCode::kOutOfRange, reason::kSequenceOutOfRange,
        absl::StrCat("after_sequence ", request->after_sequence(),
                     " is outside the job's events [0, ", last, "]"));
    AddErrorMetadata(out_of_range, "last_sequence", absl::StrCat(last));
    return FinishedWatch(ToGrpcStatus(out_of_range));
  }
  return hub_->Open(*std::move(log), request->after_sequence());
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

}  // namespace citecheck

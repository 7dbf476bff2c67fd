#ifndef CITECHECK_SERVER_API_CITATION_SERVICE_H_
#define CITECHECK_SERVER_API_CITATION_SERVICE_H_

#include "citecheck/v1/citecheck.grpc.pb.h"
#include "server/api/blocking_call_pool.h"
#include "server/api/request_validation.h"
#include "server/api/watch_job_reactor.h"
#include "server/checking/checker.h"
#include "server/jobs/job_manager.h"

namespace citecheck {

// The bounded pool SubmitBatch runs on: `threads` calls reserve at once, `max_queued` more wait;
// beyond that a submit gets QUEUE_FULL.
struct SubmitPoolOptions {
  int threads = 8;
  int max_queued = 1024;
};

// The gRPC face of CitationService. Identity comes from metadata (api/identity.h), every error
// leaves through ToGrpcStatus.
//
// GetJob, CancelJob and ListJobs use the sync API. WatchJob uses the callback API (an idle watcher
// holds no thread). SubmitBatch is a raw callback method: it parses the request itself so that
// invalid UTF-8 and oversized requests get citecheck's own INVALID_ARGUMENT; its reservation may
// wait on the database, so it runs on a BlockingCallPool, never on a gRPC callback thread (a
// full pool answers RESOURCE_EXHAUSTED QUEUE_FULL).
//
// Thread-safe. The manager, the checker and the hub must outlive the service.
class CitationServiceImpl final
    : public v1::CitationService::WithRawCallbackMethod_SubmitBatch<
          v1::CitationService::WithCallbackMethod_WatchJob<v1::CitationService::Service>> {
 public:
  CitationServiceImpl(JobManager* manager, const Checker* checker, WatchHub* hub,
                      SubmitLimits limits, SubmitPoolOptions pool = SubmitPoolOptions());

  grpc::ServerUnaryReactor* SubmitBatch(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<v1::JobEvent>* WatchJob(grpc::CallbackServerContext* context,
                                                   const v1::WatchJobRequest* request) override;
  grpc::Status GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                      v1::Job* response) override;
  grpc::Status CancelJob(grpc::ServerContext* context, const v1::CancelJobRequest* request,
                         v1::Job* response) override;
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override;

 private:
  JobManager* const manager_;
  const Checker* const checker_;
  WatchHub* const hub_;
  const SubmitLimits limits_;
  BlockingCallPool submit_pool_;  // last: drained (every call finished) before the rest goes
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_CITATION_SERVICE_H_

#ifndef CITECHECK_SERVER_API_CITATION_SERVICE_H_
#define CITECHECK_SERVER_API_CITATION_SERVICE_H_

#include "citecheck/v1/citecheck.grpc.pb.h"
#include "server/api/blocking_call_pool.h"
#include "server/api/raw_call.h"
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
// Every method first checks the call's metadata against the policy's max_metadata_bytes
// (INVALID_ARGUMENT REQUEST_TOO_LARGE beyond it); callers are identified with its trusted
// proxies. Every method is a raw callback method (api/raw_call.h): it
// parses its request itself into a
// wire twin, so that bytes that are not the request get INVALID_ARGUMENT MALFORMED_REQUEST and a
// string field that is not UTF-8 gets INVALID_ARGUMENT INVALID_UTF8 naming the field. An idle
// watcher holds no thread (WatchJob streams live in the WatchHub). The unary methods may wait on
// the database, so they run on BlockingCallPools, never on a gRPC callback thread: SubmitBatch
// on its own pool (SubmitPoolOptions), GetJob, CancelJob and ListJobs on another (a full pool
// answers RESOURCE_EXHAUSTED QUEUE_FULL).
//
// Thread-safe. The manager, the checker and the hub must outlive the service.
class CitationServiceImpl final
    : public v1::CitationService::WithRawCallbackMethod_SubmitBatch<
          v1::CitationService::WithRawCallbackMethod_WatchJob<
              v1::CitationService::WithRawCallbackMethod_GetJob<
                  v1::CitationService::WithRawCallbackMethod_CancelJob<
                      v1::CitationService::WithRawCallbackMethod_ListJobs<
                          v1::CitationService::Service>>>>> {
 public:
  // `policy`: what every RPC applies first (api/raw_call.h).
  CitationServiceImpl(JobManager* manager, const Checker* checker, WatchHub* hub,
                      SubmitLimits limits, CallPolicy policy,
                      SubmitPoolOptions pool = SubmitPoolOptions());

  grpc::ServerUnaryReactor* SubmitBatch(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchJob(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;

 private:
  JobManager* const manager_;
  const Checker* const checker_;
  WatchHub* const hub_;
  const SubmitLimits limits_;
  const CallPolicy policy_;
  // Last: drained (every call finished) before the rest goes.
  BlockingCallPool calls_pool_;   // GetJob, CancelJob, ListJobs
  BlockingCallPool submit_pool_;  // SubmitBatch
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_CITATION_SERVICE_H_

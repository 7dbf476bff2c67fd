#ifndef CITECHECK_TESTS_CLIENT_FAKE_SERVER_H_
#define CITECHECK_TESTS_CLIENT_FAKE_SERVER_H_

// An in-process fake citecheck server for the client tests: CitationService and AccountService on
// 127.0.0.1:<ephemeral port>, scripted by the test. Every RPC records its request and metadata.
//
// WatchJob serves `events` (sequences 1..N, see MakeJobEvents) after the request's
// after_sequence. Stream call k (0-based) is shaped by `watch_script[k]` (calls past the end of
// the script serve everything and end OK).

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace citecheck::client::testing {

// A grpc::Status carrying a google.rpc.Status with an ErrorInfo (domain citecheck.v1) and, when
// `field` is not empty, a BadRequest violation.
inline grpc::Status RichStatus(grpc::StatusCode code, const std::string& reason,
                               const std::string& message, const std::string& field = "",
                               const std::string& field_description = "") {
  google::rpc::Status status;
  status.set_code(static_cast<int>(code));
  status.set_message(message);
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("citecheck.v1");
  status.add_details()->PackFrom(info);
  if (!field.empty()) {
    google::rpc::BadRequest bad;
    auto* violation = bad.add_field_violations();
    violation->set_field(field);
    violation->set_description(field_description);
    status.add_details()->PackFrom(bad);
  }
  return grpc::Status(code, message, status.SerializeAsString());
}

// A job's full event log: PENDING, RUNNING, one result per citation (odd indexes invalid), and
// the terminal update in `final_state`.
inline std::vector<v1::JobEvent> MakeJobEvents(const std::string& job_id, int citations,
                                               v1::JobState final_state = v1::JOB_STATE_SUCCEEDED) {
  std::vector<v1::JobEvent> events;
  auto add = [&](v1::JobEvent event) {
    event.set_job_id(job_id);
    event.set_sequence(static_cast<int64_t>(events.size()) + 1);
    events.push_back(std::move(event));
  };
  v1::Job job;
  job.set_job_id(job_id);
  job.set_style(v1::STYLE_APA7);
  job.set_total(citations);
  job.set_accepted(citations);
  job.set_state(v1::JOB_STATE_PENDING);
  v1::JobEvent update;
  *update.mutable_job_update() = job;
  add(update);
  job.set_state(v1::JOB_STATE_RUNNING);
  *update.mutable_job_update() = job;
  add(update);
  for (int i = 0; i < citations; ++i) {
    v1::JobEvent event;
    v1::CitationResult* result = event.mutable_result();
    result->set_index(i);
    result->set_original("Author, A. (2020). Title " + std::to_string(i) + ".");
    result->set_source_type("book");
    result->set_valid(i % 2 == 0);
    if (i % 2 == 1) {
      v1::CitationError* error = result->add_errors();
      error->set_component("Title");
      error->set_problem("Not italicized");
      error->set_correction("<em>Title " + std::to_string(i) + "</em>");
      result->set_corrected_citation("Author, A. (2020). <em>Title " + std::to_string(i) +
                                     "</em>.");
    }
    add(event);
  }
  job.set_state(final_state);
  job.set_succeeded(final_state == v1::JOB_STATE_SUCCEEDED ? citations : 0);
  if (final_state == v1::JOB_STATE_FAILED) {
    job.set_failed(citations);
    job.mutable_error()->set_code(14);
    job.mutable_error()->set_message("the model is unavailable");
  }
  *update.mutable_job_update() = job;
  add(update);
  return events;
}

// How one WatchJob call behaves.
struct WatchStep {
  enum class End { kAll, kDrop, kHang };
  End end = End::kAll;
  int send = 0;  // kDrop/kHang: events to send first
  grpc::Status drop_status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "dropped");
  bool replay_from_start = false;                // ignore after_sequence (a misbehaving server)
  bool heartbeat_first = false;                  // send a heartbeat before the events
  grpc::Status final_status = grpc::Status::OK;  // kAll: how the stream ends
};

class FakeCitationService final : public v1::CitationService::Service {
 public:
  grpc::Status SubmitBatch(grpc::ServerContext* context, const v1::SubmitBatchRequest* request,
                           v1::Job* job) override {
    absl::MutexLock lock(&mu);
    Record(context, "SubmitBatch");
    last_submit = *request;
    if (!unary_status.ok()) return unary_status;
    *job = this->job;
    return grpc::Status::OK;
  }

  grpc::Status GetJob(grpc::ServerContext* context, const v1::GetJobRequest* request,
                      v1::Job* job) override {
    absl::Duration delay;
    {
      absl::MutexLock lock(&mu);
      Record(context, "GetJob");
      last_job_id = request->job_id();
      delay = get_delay;
    }
    if (delay > absl::ZeroDuration()) absl::SleepFor(delay);
    absl::MutexLock lock(&mu);
    if (!unary_status.ok()) return unary_status;
    *job = this->job;
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext* context, const v1::CancelJobRequest* request,
                         v1::Job* job) override {
    absl::MutexLock lock(&mu);
    Record(context, "CancelJob");
    last_job_id = request->job_id();
    if (!unary_status.ok()) return unary_status;
    *job = this->job;
    job->set_state(v1::JOB_STATE_CANCELLED);
    return grpc::Status::OK;
  }

  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobEvent>* writer) override {
    WatchStep step;
    std::vector<v1::JobEvent> log;
    {
      absl::MutexLock lock(&mu);
      Record(context, "WatchJob");
      size_t call = watch_after.size();
      watch_after.push_back(request->after_sequence());
      last_job_id = request->job_id();
      if (!watch_status.ok()) return watch_status;
      if (call < watch_script.size()) step = watch_script[call];
      log = events;
    }
    if (step.heartbeat_first) {
      v1::JobEvent heartbeat;
      heartbeat.set_job_id(request->job_id());
      heartbeat.set_sequence(request->after_sequence());
      heartbeat.mutable_heartbeat();
      writer->Write(heartbeat);
    }
    int sent = 0;
    for (const v1::JobEvent& event : log) {
      if (!step.replay_from_start && event.sequence() <= request->after_sequence()) continue;
      if (step.end != WatchStep::End::kAll && sent >= step.send) break;
      if (!writer->Write(event)) return grpc::Status(grpc::StatusCode::CANCELLED, "gone");
      ++sent;
    }
    switch (step.end) {
      case WatchStep::End::kAll:
        return step.final_status;
      case WatchStep::End::kDrop:
        return step.drop_status;
      case WatchStep::End::kHang:
        while (!context->IsCancelled()) absl::SleepFor(absl::Milliseconds(5));
        return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    }
    return grpc::Status::OK;
  }

  // Serves `listed` in pages of the request's page_size (default 2); the page token is the
  // decimal offset of the next page.
  grpc::Status ListJobs(grpc::ServerContext* context, const v1::ListJobsRequest* request,
                        v1::ListJobsResponse* response) override {
    absl::MutexLock lock(&mu);
    Record(context, "ListJobs");
    list_requests.push_back(*request);
    if (!unary_status.ok()) return unary_status;
    const size_t begin = request->page_token().empty() ? 0 : std::stoul(request->page_token());
    const size_t size = request->page_size() > 0 ? request->page_size() : 2;
    for (size_t i = begin; i < listed.size() && i < begin + size; ++i) {
      *response->add_jobs() = listed[i];
    }
    if (begin + size < listed.size()) response->set_next_page_token(std::to_string(begin + size));
    return grpc::Status::OK;
  }

  // Metadata of the last call of `method` (keys lowercase).
  std::multimap<std::string, std::string> MetadataOf(const std::string& method) {
    absl::MutexLock lock(&mu);
    return metadata[method];
  }
  std::vector<int64_t> WatchAfter() {
    absl::MutexLock lock(&mu);
    return watch_after;
  }

  absl::Mutex mu;
  // Scripts (set before the calls).
  v1::Job job;
  grpc::Status unary_status = grpc::Status::OK;
  grpc::Status watch_status = grpc::Status::OK;
  absl::Duration get_delay;
  std::vector<v1::JobEvent> events;
  std::vector<WatchStep> watch_script;
  std::vector<v1::Job> listed;
  // Records.
  std::vector<v1::ListJobsRequest> list_requests;
  v1::SubmitBatchRequest last_submit;
  std::string last_job_id;
  std::vector<int64_t> watch_after;
  std::map<std::string, std::multimap<std::string, std::string>> metadata;

 private:
  void Record(grpc::ServerContext* context, const std::string& method)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto& md = metadata[method];
    md.clear();
    for (const auto& [key, value] : context->client_metadata()) {
      md.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
    }
  }
};

class FakeAccountService final : public v1::AccountService::Service {
 public:
  grpc::Status GetBalance(grpc::ServerContext*, const v1::GetBalanceRequest*,
                          v1::Balance* balance) override {
    absl::MutexLock lock(&mu);
    *balance = this->balance;
    return status;
  }
  grpc::Status GrantCredits(grpc::ServerContext* context, const v1::GrantCreditsRequest* request,
                            v1::Balance* balance) override {
    absl::MutexLock lock(&mu);
    last_credits = *request;
    admin_key = AdminKey(context);
    *balance = this->balance;
    return status;
  }
  grpc::Status GrantPass(grpc::ServerContext* context, const v1::GrantPassRequest* request,
                         v1::Balance* balance) override {
    absl::MutexLock lock(&mu);
    last_pass = *request;
    admin_key = AdminKey(context);
    *balance = this->balance;
    return status;
  }

  absl::Mutex mu;
  v1::Balance balance;
  grpc::Status status = grpc::Status::OK;
  v1::GrantCreditsRequest last_credits;
  v1::GrantPassRequest last_pass;
  std::string admin_key;

 private:
  static std::string AdminKey(grpc::ServerContext* context) {
    auto it = context->client_metadata().find("x-admin-key");
    if (it == context->client_metadata().end()) return "";
    return std::string(it->second.data(), it->second.size());
  }
};

// Both fake services, serving on 127.0.0.1 until destroyed.
class FakeServer {
 public:
  FakeServer() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&citations);
    builder.RegisterService(&accounts);
    server_ = builder.BuildAndStart();
  }
  ~FakeServer() { server_->Shutdown(std::chrono::system_clock::now()); }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  FakeCitationService citations;
  FakeAccountService accounts;

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace citecheck::client::testing

#endif  // CITECHECK_TESTS_CLIENT_FAKE_SERVER_H_

#include "client/citecheck_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace citecheck::client {
namespace {

// Status codes after which a dropped WatchJob stream is resumed.
bool IsRetryableStreamError(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::CANCELLED:
      return true;
    default:
      return false;
  }
}

// The contents of a PEM file; INVALID_ARGUMENT naming `flag` when it cannot be read.
absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": cannot read ", path, ": ", std::strerror(errno)));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad() || buffer.str().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  return buffer.str();
}

// OpenChannel(options), or, when its files are unusable, a TLS channel that verifies against
// no root at all: every call fails (UNAVAILABLE), nothing goes out in plaintext.
std::shared_ptr<grpc::Channel> ChannelOrFailing(const ClientOptions& options);

grpc::Status StoppedStatus() {
  return grpc::Status(grpc::StatusCode::CANCELLED, "watch stopped by the client");
}

}  // namespace

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

bool UsesTls(const ClientOptions& options) {
  return options.tls || !options.ca_file.empty() || !options.cert_file.empty() ||
         !options.key_file.empty();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options) {
  if (!UsesTls(options)) return grpc::InsecureChannelCredentials();
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(options.cert_file.empty()
                                          ? "--key_file needs --cert_file (mTLS)"
                                          : "--cert_file needs --key_file (mTLS)");
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> pem;
  if (!options.ca_file.empty()) {
    if (!(pem = ReadPem("--ca_file", options.ca_file)).ok()) return pem.status();
    ssl.pem_root_certs = *pem;
  }
  if (!options.cert_file.empty()) {
    if (!(pem = ReadPem("--cert_file", options.cert_file)).ok()) return pem.status();
    ssl.pem_cert_chain = *pem;
    if (!(pem = ReadPem("--key_file", options.key_file)).ok()) return pem.status();
    ssl.pem_private_key = *pem;
  }
  return grpc::SslCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      ChannelCredentialsFor(options);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  if (!options.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls_server_name);
  }
  return grpc::CreateCustomChannel(options.server, *credentials, arguments);
}

namespace {
std::shared_ptr<grpc::Channel> ChannelOrFailing(const ClientOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (channel.ok()) return *std::move(channel);
  grpc::SslCredentialsOptions unusable;
  unusable.pem_root_certs = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
  return grpc::CreateChannel(options.server, grpc::SslCredentials(unusable));
}
}  // namespace

CitecheckClient::CitecheckClient(ClientOptions options)
    : CitecheckClient(ChannelOrFailing(options), options) {}

absl::StatusOr<std::unique_ptr<CitecheckClient>> CitecheckClient::Create(ClientOptions options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options);
  if (!channel.ok()) return channel.status();
  return std::make_unique<CitecheckClient>(*std::move(channel), std::move(options));
}

CitecheckClient::CitecheckClient(std::shared_ptr<grpc::Channel> channel, ClientOptions options)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      citations_(v1::CitationService::NewStub(channel_)),
      accounts_(v1::AccountService::NewStub(channel_)) {}

CitecheckClient::~CitecheckClient() = default;

void CitecheckClient::PrepareContext(grpc::ClientContext* context, bool deadline) const {
  if (!options_.token.empty()) context->AddMetadata("authorization", "Bearer " + options_.token);
  if (!options_.free_user_id.empty()) context->AddMetadata("x-free-user-id", options_.free_user_id);
  if (!options_.admin_key.empty()) context->AddMetadata("x-admin-key", options_.admin_key);
  for (const auto& [key, value] : options_.extra_metadata) context->AddMetadata(key, value);
  context->set_wait_for_ready(false);
  if (deadline) context->set_deadline(absl::ToChronoTime(absl::Now() + options_.rpc_timeout));
}

grpc::Status CitecheckClient::SubmitBatch(const v1::SubmitBatchRequest& request, v1::Job* job) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  return citations_->SubmitBatch(&context, request, job);
}

grpc::Status CitecheckClient::GetJob(const std::string& job_id, v1::Job* job) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  v1::GetJobRequest request;
  request.set_job_id(job_id);
  return citations_->GetJob(&context, request, job);
}

grpc::Status CitecheckClient::CancelJob(const std::string& job_id, v1::Job* job) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  v1::CancelJobRequest request;
  request.set_job_id(job_id);
  return citations_->CancelJob(&context, request, job);
}

grpc::Status CitecheckClient::ListJobs(const v1::ListJobsRequest& request,
                                       v1::ListJobsResponse* response) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  return citations_->ListJobs(&context, request, response);
}

grpc::Status CitecheckClient::GetBalance(v1::Balance* balance) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  return accounts_->GetBalance(&context, v1::GetBalanceRequest(), balance);
}

grpc::Status CitecheckClient::GrantCredits(const std::string& token, int64_t credits,
                                           const std::string& order_id, v1::Balance* balance) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  v1::GrantCreditsRequest request;
  request.set_token(token);
  request.set_credits(credits);
  request.set_order_id(order_id);
  return accounts_->GrantCredits(&context, request, balance);
}

grpc::Status CitecheckClient::GrantPass(const std::string& token, int days,
                                        const std::string& order_id, v1::Balance* balance) {
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/true);
  v1::GrantPassRequest request;
  request.set_token(token);
  request.set_days(days);
  request.set_order_id(order_id);
  return accounts_->GrantPass(&context, request, balance);
}

void CitecheckClient::CancelWatches() {
  absl::MutexLock lock(&mu_);
  ++cancel_generation_;
  for (grpc::ClientContext* context : active_streams_) context->TryCancel();
}

bool CitecheckClient::SleepUnlessCancelled(absl::Duration delay, uint64_t generation) {
  absl::MutexLock lock(&mu_);
  auto cancelled = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return cancel_generation_ != generation;
  };
  mu_.AwaitWithTimeout(absl::Condition(&cancelled), delay);
  return !cancelled();
}

grpc::Status CitecheckClient::WatchOnce(const std::string& job_id,
                                        const std::function<bool(const v1::JobEvent&)>& on_event,
                                        WatchProgress* progress) {
  progress->delivered = 0;
  grpc::ClientContext context;
  PrepareContext(&context, /*deadline=*/false);
  {
    absl::MutexLock lock(&mu_);
    if (cancel_generation_ != progress->generation) {
      progress->stopped = true;
      return StoppedStatus();
    }
    active_streams_.insert(&context);
  }
  v1::WatchJobRequest request;
  request.set_job_id(job_id);
  request.set_after_sequence(progress->last_sequence);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader =
      citations_->WatchJob(&context, request);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    if (!event.has_heartbeat()) {
      // Replayed events (a server resuming from an earlier point) are dropped.
      if (event.sequence() <= progress->last_sequence) continue;
      progress->last_sequence = event.sequence();
      ++progress->delivered;
      if (event.has_job_update() && IsTerminal(event.job_update().state())) {
        progress->terminal = true;
      }
    }
    if (!on_event(event)) {
      progress->stopped = true;
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  {
    absl::MutexLock lock(&mu_);
    active_streams_.erase(&context);
    // A cancellation that raced with the normal end of a finished watch changes nothing.
    if (cancel_generation_ != progress->generation && !progress->terminal) {
      progress->stopped = true;
    }
  }
  return progress->stopped ? StoppedStatus() : status;
}

grpc::Status CitecheckClient::Watch(const std::string& job_id, int64_t after_sequence,
                                    const std::function<bool(const v1::JobEvent&)>& on_event) {
  WatchProgress progress;
  {
    absl::MutexLock lock(&mu_);
    progress.generation = cancel_generation_;
  }
  progress.last_sequence = after_sequence;
  last_watch_reconnects_.store(0);
  absl::Duration backoff = kInitialBackoff;
  for (int reconnects = 0;; ++reconnects) {
    if (reconnects > 0) last_watch_reconnects_.store(reconnects);
    grpc::Status status = WatchOnce(job_id, on_event, &progress);
    if (progress.stopped) return status;
    // An OK end comes only after the job's terminal event (it may precede after_sequence).
    if (progress.terminal || status.ok()) return grpc::Status::OK;
    if (!IsRetryableStreamError(status.error_code())) {
      return status;
    }
    if (reconnects >= options_.max_reconnects) return status;
    if (progress.delivered > 0) backoff = kInitialBackoff;
    absl::Duration delay = backoff;
    if (std::optional<absl::Duration> hint = RetryDelay(status)) delay = std::max(delay, *hint);
    delay = std::min(delay, kMaxBackoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
    if (!SleepUnlessCancelled(delay, progress.generation)) return StoppedStatus();
  }
}

}  // namespace citecheck::client

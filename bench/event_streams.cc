#include "bench/event_streams.h"

#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/client_callback.h>

#include <algorithm>
#include <cmath>

#include "server/common/proto_time.h"

namespace citecheck::bench {

// One WatchJob stream: keeps one read in flight until the server ends the call.
class EventStreams::Stream final : public grpc::ClientReadReactor<v1::JobEvent> {
 public:
  Stream(EventStreams* owner, int target, const std::string& job_id)
      : owner_(owner), target_(target) {
    request_.set_job_id(job_id);
    context_.AddMetadata("authorization", "Bearer " + owner->token_);
  }

  void Start(v1::CitationService::Stub* stub) {
    stub->async()->WatchJob(&context_, &request_, this);
    StartRead(&event_);
    StartCall();
  }

  void Cancel() { context_.TryCancel(); }

  int received() const { return received_.load(); }
  int target() const { return target_; }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the call ends: OnDone follows
    const absl::Time now = absl::Now();
    if (!event_.has_heartbeat()) {
      Arrival arrival;
      arrival.target = target_;
      arrival.job_id = event_.job_id();
      arrival.sequence = event_.sequence();
      arrival.event_time = FromTimestamp(event_.time());
      arrival.arrived = now;
      arrival.terminal =
          event_.has_job_update() && (event_.job_update().state() == v1::JOB_STATE_SUCCEEDED ||
                                      event_.job_update().state() == v1::JOB_STATE_FAILED ||
                                      event_.job_update().state() == v1::JOB_STATE_CANCELLED);
      received_.fetch_add(1);
      owner_->Received(std::move(arrival), this);
    }
    StartRead(&event_);
  }

  void OnDone(const grpc::Status& status) override { owner_->Ended(this, status); }

 private:
  EventStreams* const owner_;
  const int target_;
  grpc::ClientContext context_;
  v1::WatchJobRequest request_;
  v1::JobEvent event_;
  std::atomic<int> received_{0};
};

EventStreams::EventStreams(const std::vector<std::string>& targets, const std::string& token,
                           int channels_per_target)
    : token_(token) {
  for (size_t t = 0; t < targets.size(); ++t) {
    stubs_.emplace_back();
    for (int c = 0; c < std::max(1, channels_per_target); ++c) {
      grpc::ChannelArguments args;
      // A channel of its own (own TCP connection), not one shared by equal arguments.
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("citecheck.bench_channel", c);
      stubs_.back().push_back(v1::CitationService::NewStub(
          grpc::CreateCustomChannel(targets[t], grpc::InsecureChannelCredentials(), args)));
    }
  }
}

EventStreams::~EventStreams() { CancelAll(); }

void EventStreams::Open(int target, const std::string& job_id) {
  Stream* stream;
  v1::CitationService::Stub* stub;
  {
    absl::MutexLock lock(&mu_);
    auto& stubs = stubs_.at(target);
    stub = stubs[opened_ % stubs.size()].get();
    streams_.push_back(std::make_unique<Stream>(this, target, job_id));
    stream = streams_.back().get();
    ++open_;
    ++opened_;
  }
  stream->Start(stub);
}

void EventStreams::Received(Arrival arrival, Stream*) {
  absl::MutexLock lock(&mu_);
  arrivals_.push_back(std::move(arrival));
}

void EventStreams::Ended(Stream*, const grpc::Status& status) {
  absl::MutexLock lock(&mu_);
  --open_;
  const bool cancelled_here = cancelling_ && status.error_code() == grpc::StatusCode::CANCELLED;
  if (!status.ok() && !cancelled_here) {
    ++failed_;
    if (first_error_.empty()) {
      first_error_ = std::to_string(status.error_code()) + " " + status.error_message();
    }
  }
}

bool EventStreams::AwaitAllEnded(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&ended), deadline);
}

bool EventStreams::AwaitEachReceived(int events, absl::Time deadline) {
  while (absl::Now() < deadline) {
    {
      absl::MutexLock lock(&mu_);
      const bool all = std::all_of(streams_.begin(), streams_.end(),
                                   [events](const auto& s) { return s->received() >= events; });
      if (all) return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

void EventStreams::CancelAll() {
  std::vector<Stream*> streams;
  {
    absl::MutexLock lock(&mu_);
    cancelling_ = true;
    for (auto& stream : streams_) streams.push_back(stream.get());
  }
  // Outside the lock: a cancel may end a stream (OnDone -> Ended) on this thread.
  for (Stream* stream : streams) stream->Cancel();
  AwaitAllEnded(absl::InfiniteFuture());
}

std::vector<Arrival> EventStreams::Arrivals() const {
  absl::MutexLock lock(&mu_);
  return arrivals_;
}

int EventStreams::failed_streams() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}

std::string EventStreams::first_error() const {
  absl::MutexLock lock(&mu_);
  return first_error_;
}

double Quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  return values[std::min(values.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace citecheck::bench

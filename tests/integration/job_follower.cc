#include "tests/integration/job_follower.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace citecheck::testing {
namespace {

bool IsTerminalUpdate(const v1::JobEvent& event) {
  if (!event.has_job_update()) return false;
  const v1::JobState state = event.job_update().state();
  return state == v1::JOB_STATE_SUCCEEDED || state == v1::JOB_STATE_FAILED ||
         state == v1::JOB_STATE_CANCELLED;
}

}  // namespace

JobFollower::JobFollower(std::string job_id, std::string token, std::function<std::string()> where)
    : job_id_(std::move(job_id)), token_(std::move(token)), where_(std::move(where)) {}

JobFollower::~JobFollower() {
  Stop();
  if (thread_.joinable()) thread_.join();
}

void JobFollower::FollowOnce(const std::string& address) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token_);
  size_t index = 0;  // of this stream in streams_, which it updates as events come
  int64_t after = 0;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    open_ = &context;
    after = last_sequence_;
    index = streams_.size();
    streams_.emplace_back();
    streams_.back().address = address;
    streams_.back().after_sequence = after;
  }
  auto stub = v1::CitationService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::WatchJobRequest request;
  request.set_job_id(job_id_);
  request.set_after_sequence(after);
  std::unique_ptr<grpc::ClientReader<v1::JobEvent>> reader = stub->WatchJob(&context, request);
  v1::JobEvent event;
  while (reader->Read(&event)) {
    absl::MutexLock lock(&mu_);
    WatchStream& stream = streams_[index];
    if (event.has_heartbeat()) {
      ++stream.heartbeats;
      continue;
    }
    stream.events.push_back(event);
    last_sequence_ = std::max(last_sequence_, event.sequence());
    if (IsTerminalUpdate(event)) ended_ = true;
  }
  const grpc::Status status = reader->Finish();
  absl::MutexLock lock(&mu_);
  open_ = nullptr;
  streams_[index].status = status;
  streams_[index].ended = true;
}

bool JobFollower::Run(absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) break;
      // The stream that brought the terminal event has ended too.
      if (ended_ && !streams_.empty() && streams_.back().ended) return true;
    }
    const std::string address = where_();
    if (address.empty()) {
      absl::SleepFor(absl::Milliseconds(20));
      continue;
    }
    FollowOnce(address);
    bool ended;
    {
      absl::MutexLock lock(&mu_);
      ended = ended_;
    }
    if (!ended) absl::SleepFor(absl::Milliseconds(50));  // a resuming client's backoff
  }
  absl::MutexLock lock(&mu_);
  return ended_;
}

void JobFollower::Start(absl::Duration timeout) {
  thread_ = std::thread([this, timeout] {
    std::thread guard([this, timeout] {
      // Cancels a stream still open at the timeout (e.g. on a frozen replica).
      absl::MutexLock lock(&mu_);
      auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopped_; };
      if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout + absl::Milliseconds(100))) {
        stopped_ = true;
        if (open_ != nullptr) open_->TryCancel();
      }
    });
    thread_result_ = Run(timeout);
    Stop();
    guard.join();
  });
}

bool JobFollower::Join() {
  if (thread_.joinable()) thread_.join();
  return thread_result_;
}

void JobFollower::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  if (open_ != nullptr) open_->TryCancel();
}

std::vector<v1::JobEvent> JobFollower::events() const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::JobEvent> all;
  for (const WatchStream& stream : streams_) {
    all.insert(all.end(), stream.events.begin(), stream.events.end());
  }
  return all;
}

std::vector<WatchStream> JobFollower::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

int64_t JobFollower::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

bool JobFollower::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

::testing::AssertionResult JobFollower::Complete() const {
  std::vector<v1::JobEvent> all = events();
  if (all.empty()) return ::testing::AssertionFailure() << "no event of " << job_id_;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].sequence() != static_cast<int64_t>(i) + 1) {
      std::string got;
      for (const v1::JobEvent& event : all) absl::StrAppend(&got, event.sequence(), " ");
      return ::testing::AssertionFailure()
             << "job " << job_id_ << ": event #" << i + 1 << " has sequence " << all[i].sequence()
             << " (a gap or a duplicate); sequences received: " << got;
    }
    if (IsTerminalUpdate(all[i]) != (i + 1 == all.size())) {
      return ::testing::AssertionFailure()
             << "job " << job_id_ << ": the terminal job_update is event #" << i + 1 << " of "
             << all.size();
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace citecheck::testing

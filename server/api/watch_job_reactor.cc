#include "server/api/watch_job_reactor.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/raw_call.h"
#include "server/common/errors.h"
#include "server/common/service_metrics.h"
#include "server/jobs/job_protos.h"

namespace citecheck {
namespace {

bool IsTerminalEvent(const v1::JobEvent& event) {
  return event.has_job_update() && IsTerminalState(event.job_update().state());
}

grpc::Status TooManyStreamsStatus(int max_streams) {
  absl::Status status =
      MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyStreams,
                absl::StrCat("this caller has ", max_streams,
                             " WatchJob streams open, the most allowed; "
                             "close one (or resume it later) before opening another"));
  AddErrorMetadata(status, "max_streams", absl::StrCat(max_streams));
  AddQuotaFailure(status, "watch_streams",
                  absl::StrCat("at most ", max_streams, " open WatchJob streams per caller"));
  return ToGrpcStatus(status);
}

grpc::Status ShuttingDownStatus() {
  return ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable, reason::kServerShuttingDown,
                                "the server is shutting down; resume the watch"));
}

// A store read that failed (e.g. the database is restarting) is tried again after this.
constexpr absl::Duration kReadRetry = absl::Milliseconds(500);

}  // namespace

// The state of one WatchJob stream, shared by the gRPC reactor, the feed's listener, the read
// pool's callbacks and the hub's wakeup queue, any of which may outlive the others by a moment.
// Every decision is taken under mu_; the reactor's StartWrite/Finish are called after mu_ is
// released (a reaction may run inline), and only while a write is outstanding or before Finish, so
// the reactor is alive.
//
// Invariants: at most one write and one store read in flight; Finish called exactly once; the
// events written have strictly increasing sequences (cursor_), with no gap.
class WatchSession : public std::enable_shared_from_this<WatchSession>, public Wakeable {
 public:
  WatchSession(WatchHub* hub, std::string owner_key, std::string job_id, int64_t after)
      : hub_(hub),
        owner_key_(std::move(owner_key)),
        job_id_(std::move(job_id)),
        cursor_(after),
        last_write_(hub->clock_->Now()),
        wake_at_(last_write_ + hub->options_.heartbeat) {}

  // When the hub's wakeup queue first wakes the session (its first heartbeat).
  absl::Time first_wake() {
    absl::MutexLock lock(&mu_);
    return wake_at_;
  }

  void Attach(grpc::ServerWriteReactor<grpc::ByteBuffer>* reactor) {
    reactor_ = reactor;
    ServiceMetrics::Get().watch_streams().Increment();
  }

  // Validates the request against the store, on the read pool.
  void Start() {
    std::weak_ptr<WatchSession> weak = weak_from_this();
    const bool scheduled = hub_->reads_.Schedule([weak] {
      if (auto session = weak.lock()) session->LookUp();
    });
    if (!scheduled) {
      absl::Status busy = MakeError(absl::StatusCode::kResourceExhausted, reason::kQueueFull,
                                    "too many watch requests in progress; retry later");
      AddRetryInfo(busy, absl::Seconds(1));
      End(ToGrpcStatus(busy));
    }
  }

  // Writes the next event, starts a store read, or finishes the stream.
  void Pump() {
    Action action = Action::kNone;
    grpc::Status finish_status;
    {
      absl::MutexLock lock(&mu_);
      action = Decide();
      if (action == Action::kFinish) finish_status = *end_status_;
    }
    Perform(action, finish_status);
  }

  // Sends a heartbeat when nothing was written for the heartbeat interval; retries a failed
  // store read. Returns when to be woken again: when the next heartbeat is due (writes in
  // between push it later), or soon when a write or the lookup kept it from being sent.
  std::optional<absl::Time> Wake(absl::Time now, absl::Time due) override {
    const absl::Duration interval = hub_->options_.heartbeat;
    Action action = Action::kNone;
    bool retry = false;
    absl::Time next;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || due != wake_at_) return std::nullopt;  // ended, or a newer entry exists
      const bool can_write = !write_in_flight_ && !end_status_.has_value() && feed_ != nullptr;
      retry = can_write && retry_at_.has_value() && now >= *retry_at_;
      if (can_write && now - last_write_ >= interval) {
        pending_.Clear();
        pending_.set_job_id(job_id_);
        pending_.set_sequence(cursor_);  // repeats the last real event's; never replayed
        SetTimestamp(now, pending_.mutable_time());
        pending_.mutable_heartbeat();
        action = Action::kWrite;
        Commit(action);
      }
      next = last_write_ + interval;
      if (next <= now) next = now + std::max(absl::Milliseconds(20), interval / 5);  // busy
      if (retry_at_.has_value() && !retry) next = std::min(next, std::max(now, *retry_at_));
      wake_at_ = next;
    }
    Perform(action, grpc::Status::OK);
    if (retry) Pump();
    return next;
  }

  void OnWriteDone(bool ok) {
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
      pending_.Clear();  // a job_update holds a whole job snapshot: not kept while idle
      if (!ok && !end_status_.has_value()) {
        end_status_ = grpc::Status(grpc::StatusCode::CANCELLED, "the stream broke");
      }
    }
    Pump();
  }

  // The client went away or the deadline passed.
  void OnCancel() { End(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }

  // Ends the stream with `status` as soon as no write is in flight.
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      if (!end_status_.has_value()) end_status_ = std::move(status);
    }
    Pump();
  }

  void OnDone() {
    std::shared_ptr<JobFeed> feed;
    int64_t listener = 0;
    {
      absl::MutexLock lock(&mu_);
      reactor_ = nullptr;
      feed = feed_;
      listener = listener_id_;
    }
    if (feed != nullptr) feed->Unsubscribe(listener);
    hub_->Unregister(this, owner_key_);
    ServiceMetrics::Get().watch_streams().Decrement();
  }

 private:
  enum class Action { kNone, kWrite, kFinish, kRead };

  void LookUp() {
    absl::StatusOr<JobHead> head = hub_->store_->Head(job_id_, owner_key_);
    if (!head.ok()) {
      End(ToGrpcStatus(head.status()));
      return;
    }
    int64_t after;
    {
      absl::MutexLock lock(&mu_);
      after = cursor_;
    }
    if (after < 0 || after > head->last_sequence) {
      absl::Status out_of_range =
          MakeError(absl::StatusCode::kOutOfRange, reason::kSequenceOutOfRange,
                    absl::StrCat("after_sequence ", after, " is outside the job's events [0, ",
                                 head->last_sequence, "]"));
      AddErrorMetadata(out_of_range, "last_sequence", absl::StrCat(head->last_sequence));
      End(ToGrpcStatus(out_of_range));
      return;
    }
    if (head->terminal && after == head->last_sequence) {
      End(grpc::Status::OK);  // nothing follows the terminal event
      return;
    }
    std::shared_ptr<JobFeed> feed = hub_->events_->Follow(*head);
    std::weak_ptr<WatchSession> weak = weak_from_this();
    const int64_t listener = feed->Subscribe([weak] {
      if (auto session = weak.lock()) session->Pump();
    });
    {
      absl::MutexLock lock(&mu_);
      feed_ = std::move(feed);
      listener_id_ = listener;
    }
    Pump();
  }

  // The next action, committed. REQUIRES: mu_ held.
  Action Decide() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || write_in_flight_) return Action::kNone;
    Action action = Action::kNone;
    if (end_status_.has_value()) {
      action = Action::kFinish;
    } else if (feed_ == nullptr) {
      return Action::kNone;  // still looking the job up
    } else if (wrote_terminal_) {
      end_status_ = grpc::Status::OK;
      action = Action::kFinish;
    } else {
      while (page_next_ < page_.size() && page_[page_next_].sequence() <= cursor_) ++page_next_;
      if (page_next_ < page_.size() && page_[page_next_].sequence() == cursor_ + 1) {
        pending_ = std::move(page_[page_next_++]);
        action = Action::kWrite;
      } else {
        page_.clear();
        page_next_ = 0;
        std::vector<v1::JobEvent> next;
        switch (feed_->Read(cursor_, 1, &next)) {
          case JobFeed::ReadResult::kEvents:
            pending_ = std::move(next.front());
            action = Action::kWrite;
            break;
          case JobFeed::ReadResult::kNothingNew:
            break;
          case JobFeed::ReadResult::kNeedStore:
            if (!read_in_flight_ && (!retry_at_.has_value() || hub_->clock_->Now() >= *retry_at_)) {
              action = Action::kRead;
            }
            break;
        }
      }
      if (action == Action::kWrite) {
        cursor_ = pending_.sequence();
        wrote_terminal_ = IsTerminalEvent(pending_);
      }
    }
    Commit(action);
    return action;
  }

  void Commit(Action action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (action == Action::kWrite) {
      write_in_flight_ = true;
      last_write_ = hub_->clock_->Now();
    } else if (action == Action::kFinish) {
      finished_ = true;
    } else if (action == Action::kRead) {
      read_in_flight_ = true;
      retry_at_.reset();
    }
  }

  // Called without mu_ (a reaction may run inline). Safe: a write in flight or a pending Finish
  // keeps the reactor alive, and pending_ is not touched again until OnWriteDone.
  void Perform(Action action, const grpc::Status& finish_status) {
    switch (action) {
      case Action::kWrite:
        ServiceMetrics::Get().WatchEventsSent();
        pending_bytes_ = SerializeToByteBuffer(pending_);
        reactor_->StartWrite(&pending_bytes_);
        break;
      case Action::kFinish:
        reactor_->Finish(finish_status);
        break;
      case Action::kRead:
        ReadPage();
        break;
      case Action::kNone:
        break;
    }
  }

  // Reads the events after the cursor from the store, on the read pool.
  void ReadPage() {
    int64_t after;
    {
      absl::MutexLock lock(&mu_);
      after = cursor_;
    }
    std::weak_ptr<WatchSession> weak = weak_from_this();
    const int limit = hub_->options_.page_size;
    const bool scheduled = hub_->reads_.Schedule([weak, after, limit] {
      auto session = weak.lock();
      if (session == nullptr) return;
      session->OnPage(after, session->hub_->store_->ReadEvents(session->job_id_, after, limit));
    });
    if (!scheduled) OnPage(after, absl::ResourceExhaustedError("the read pool is full"));
  }

  void OnPage(int64_t after, absl::StatusOr<std::vector<v1::JobEvent>> events) {
    std::shared_ptr<JobFeed> feed;
    int64_t newest = 0;
    bool retry = false;  // wake earlier than the next heartbeat, to read again
    absl::Time retry_at;
    {
      absl::MutexLock lock(&mu_);
      read_in_flight_ = false;
      if (!events.ok() || events->empty() || after != cursor_) {
        // Try again later (the database may be restarting); the stream stays open.
        retry_at_ = hub_->clock_->Now() + kReadRetry;
        retry_at = *retry_at_;
        retry = retry_at < wake_at_;
        if (retry) wake_at_ = retry_at;
      } else {
        page_ = *std::move(events);
        page_next_ = 0;
        newest = page_.back().sequence();
        feed = feed_;
      }
    }
    if (retry) hub_->wakeups_.Add(weak_from_this(), retry_at);
    // The store is ahead of what this process's feed knows: have the poller catch it up.
    if (feed != nullptr && feed->Want(newest)) hub_->events_->RequestPoll();
    Pump();
  }

  WatchHub* const hub_;
  const std::string owner_key_;
  const std::string job_id_;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* reactor_ = nullptr;

  absl::Mutex mu_;
  std::shared_ptr<JobFeed> feed_ ABSL_GUARDED_BY(mu_);  // set once the job was looked up
  int64_t listener_id_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t cursor_ ABSL_GUARDED_BY(mu_);                  // last sequence handed to the stream
  std::vector<v1::JobEvent> page_ ABSL_GUARDED_BY(mu_);  // read from the store, after cursor_
  size_t page_next_ ABSL_GUARDED_BY(mu_) = 0;            // the first of page_ not yet taken
  std::optional<absl::Time> retry_at_ ABSL_GUARDED_BY(mu_);
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
  absl::Time wake_at_ ABSL_GUARDED_BY(mu_);  // of the session's live entry in the wakeup queue
  bool read_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool wrote_terminal_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  v1::JobEvent pending_;            // the event being written; owned by the write in flight
  grpc::ByteBuffer pending_bytes_;  // pending_, serialized; owned by the write in flight
};

namespace {

class WatchJobReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit WatchJobReactor(std::shared_ptr<WatchSession> session) : session_(std::move(session)) {
    session_->Attach(this);
  }

  void OnWriteDone(bool ok) override { session_->OnWriteDone(ok); }
  void OnCancel() override { session_->OnCancel(); }
  void OnDone() override {
    session_->OnDone();
    delete this;
  }

 private:
  const std::shared_ptr<WatchSession> session_;
};

class FinishedWatchReactor final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit FinishedWatchReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* FinishedWatch(const grpc::Status& status) {
  return new FinishedWatchReactor(status);
}

WatchHub::WatchHub(WatchHubOptions options, JobStore* store, EventHub* events, Clock* clock)
    : options_(options),
      store_(store),
      events_(events),
      clock_(clock),
      reads_(options.read_threads, options.max_queued_reads),
      wakeups_(clock, absl::Milliseconds(100)) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start() { wakeups_.Start(); }

std::vector<std::shared_ptr<WatchSession>> WatchHub::Sessions() const {
  std::vector<std::shared_ptr<WatchSession>> sessions;
  absl::MutexLock lock(&mu_);
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) sessions.push_back(std::move(session));
  }
  return sessions;
}

void WatchHub::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  for (const auto& session : Sessions()) session->End(ShuttingDownStatus());
  wakeups_.Stop();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchHub::Open(const std::string& owner_key,
                                                           const std::string& job_id,
                                                           int64_t after_sequence) {
  auto session = std::make_shared<WatchSession>(this, owner_key, job_id, after_sequence);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return FinishedWatch(ShuttingDownStatus());
    const int limit = options_.max_streams_per_caller;
    auto open = streams_by_owner_.try_emplace(owner_key, 0).first;
    if (limit > 0 && open->second >= limit) return FinishedWatch(TooManyStreamsStatus(limit));
    ++open->second;
    sessions_.push_back(session);
  }
  auto* reactor = new WatchJobReactor(session);
  wakeups_.Add(session, session->first_wake());
  session->Start();
  return reactor;
}

void WatchHub::Unregister(const WatchSession* session, const std::string& owner_key) {
  absl::MutexLock lock(&mu_);
  if (auto open = streams_by_owner_.find(owner_key);
      open != streams_by_owner_.end() && --open->second <= 0) {
    streams_by_owner_.erase(open);
  }
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                 [session](const std::weak_ptr<WatchSession>& weak) {
                                   auto locked = weak.lock();
                                   return !locked || locked.get() == session;
                                 }),
                  sessions_.end());
}

int WatchHub::open_streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(sessions_.size());
}

}  // namespace citecheck

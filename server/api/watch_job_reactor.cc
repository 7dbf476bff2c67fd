#include "server/api/watch_job_reactor.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "server/api/grpc_status.h"
#include "server/common/errors.h"
#include "server/jobs/job_protos.h"

namespace citecheck {

// The state of one WatchJob stream, shared between the gRPC reactor, the event log's listener
// and the hub's ticker, any of which may outlive the others by a moment. Every decision is taken
// under mu_; the reactor's StartWrite/Finish are called after mu_ is released (a reaction may
// run inline), and only while a write is outstanding or before Finish, so the reactor is alive.
//
// Invariants: at most one write in flight; Finish called exactly once (finished_).
class WatchSession : public std::enable_shared_from_this<WatchSession> {
 public:
  WatchSession(std::shared_ptr<EventLog> log, int64_t after, WatchHub* hub, Clock* clock)
      : log_(std::move(log)), hub_(hub), clock_(clock), cursor_(after),
        last_write_(clock->Now()) {}

  void Attach(grpc::ServerWriteReactor<v1::JobEvent>* reactor) {
    reactor_ = reactor;
    std::weak_ptr<WatchSession> weak = weak_from_this();
    listener_id_ = log_->Subscribe([weak] {
      if (auto session = weak.lock()) session->Pump();
    });
  }

  // Writes the next event, or finishes the stream when the log is closed and fully delivered.
  void Pump() {
    Action action = Action::kNone;
    grpc::Status finish_status;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || write_in_flight_) return;
      if (end_status_.has_value()) {
        action = Action::kFinish;
      } else {
        std::vector<v1::JobEvent> next;
        log_->Read(cursor_, 1, &next);
        if (!next.empty()) {
          pending_ = std::move(next.front());
          cursor_ = pending_.sequence();
          action = Action::kWrite;
        } else if (log_->closed() && cursor_ >= log_->last_sequence()) {
          end_status_ = grpc::Status::OK;
          action = Action::kFinish;
        }
      }
      Commit(action);
      if (action == Action::kFinish) finish_status = *end_status_;
    }
    Perform(action, finish_status);
  }

  // Sends a heartbeat when nothing was written for `interval`.
  void MaybeHeartbeat(absl::Duration interval) {
    Action action = Action::kNone;
    {
      absl::MutexLock lock(&mu_);
      if (finished_ || write_in_flight_ || end_status_.has_value()) return;
      const absl::Time now = clock_->Now();
      if (now - last_write_ < interval) return;
      pending_.Clear();
      pending_.set_job_id(log_->job_id());
      pending_.set_sequence(cursor_);  // repeats the last real event's; never replayed
      SetTimestamp(now, pending_.mutable_time());
      pending_.mutable_heartbeat();
      action = Action::kWrite;
      Commit(action);
    }
    Perform(action, grpc::Status::OK);
  }

  void OnWriteDone(bool ok) {
    {
      absl::MutexLock lock(&mu_);
      write_in_flight_ = false;
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
    log_->Unsubscribe(listener_id_);
    hub_->Unregister(this);
    absl::MutexLock lock(&mu_);
    reactor_ = nullptr;
  }

 private:
  enum class Action { kNone, kWrite, kFinish };

  void Commit(Action action) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (action == Action::kWrite) {
      write_in_flight_ = true;
      last_write_ = clock_->Now();
    } else if (action == Action::kFinish) {
      finished_ = true;
    }
  }

  // Called without mu_ (a reaction may run inline). Safe: a write in flight or a pending Finish
  // keeps the reactor alive, and pending_ is not touched again until OnWriteDone.
  void Perform(Action action, const grpc::Status& finish_status) {
    if (action == Action::kWrite) {
      reactor_->StartWrite(&pending_);
    } else if (action == Action::kFinish) {
      reactor_->Finish(finish_status);
    }
  }

  const std::shared_ptr<EventLog> log_;
  WatchHub* const hub_;
  Clock* const clock_;
  grpc::ServerWriteReactor<v1::JobEvent>* reactor_ = nullptr;
  int64_t listener_id_ = 0;

  absl::Mutex mu_;
  int64_t cursor_ ABSL_GUARDED_BY(mu_);  // last sequence handed to the stream
  absl::Time last_write_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
  v1::JobEvent pending_;  // the event being written; owned by the write in flight
};

namespace {

class WatchJobReactor final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  explicit WatchJobReactor(std::shared_ptr<WatchSession> session)
      : session_(std::move(session)) {}

  void Start() {
    session_->Attach(this);
    session_->Pump();
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

class FinishedWatchReactor final : public grpc::ServerWriteReactor<v1::JobEvent> {
 public:
  explicit FinishedWatchReactor(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::JobEvent>* FinishedWatch(const grpc::Status& status) {
  return new FinishedWatchReactor(status);
}

WatchHub::WatchHub(absl::Duration heartbeat, Clock* clock) : heartbeat_(heartbeat), clock_(clock) {}

WatchHub::~WatchHub() { Stop(); }

void WatchHub::Start() {
  const absl::Duration tick = std::max(absl::Milliseconds(20), heartbeat_ / 5);
  ticker_ = std::thread([this, tick] {
    while (!stop_ticker_.WaitForNotificationWithTimeout(tick)) {
      std::vector<std::shared_ptr<WatchSession>> sessions;
      {
        absl::MutexLock lock(&mu_);
        for (const auto& weak : sessions_) {
          if (auto session = weak.lock()) sessions.push_back(std::move(session));
        }
      }
      for (const auto& session : sessions) session->MaybeHeartbeat(heartbeat_);
    }
  });
}

void WatchHub::Stop() {
  std::vector<std::shared_ptr<WatchSession>> sessions;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (const auto& weak : sessions_) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
  }
  absl::Status shutting_down = MakeError(absl::StatusCode::kUnavailable,
                                         reason::kServerShuttingDown,
                                         "the server is shutting down; resume the watch");
  for (const auto& session : sessions) session->End(ToGrpcStatus(shutting_down));
  if (ticker_.joinable()) {
    stop_ticker_.Notify();
    ticker_.join();
  }
}

bool WatchHub::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

grpc::ServerWriteReactor<v1::JobEvent>* WatchHub::Open(std::shared_ptr<EventLog> log,
                                                       int64_t after_sequence) {
  auto session = std::make_shared<WatchSession>(std::move(log), after_sequence, this, clock_);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      return FinishedWatch(ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable,
                                                  reason::kServerShuttingDown,
                                                  "the server is shutting down")));
    }
    sessions_.push_back(session);
  }
  auto* reactor = new WatchJobReactor(session);
  reactor->Start();
  return reactor;
}

void WatchHub::Unregister(const WatchSession* session) {
  absl::MutexLock lock(&mu_);
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

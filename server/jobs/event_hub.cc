#include "server/jobs/event_hub.h"

#include <algorithm>
#include <utility>

#include "server/jobs/job_protos.h"

namespace citecheck {
namespace {

// Events waiting for a gap to close, per feed; beyond this the poller refetches them.
constexpr size_t kMaxEarlyEvents = 1024;

bool IsTerminalEvent(const v1::JobEvent& event) {
  return event.has_job_update() && IsTerminalState(event.job_update().state());
}

}  // namespace

// ---- JobFeed ---------------------------------------------------------------------------------

JobFeed::ReadResult JobFeed::Read(int64_t after, size_t max, std::vector<v1::JobEvent>* out) const {
  out->clear();
  absl::MutexLock lock(&mu_);
  if (after >= delivered_) return ReadResult::kNothingNew;
  const int64_t oldest =
      recent_.empty() ? delivered_ + 1 : delivered_ - static_cast<int64_t>(recent_.size()) + 1;
  if (after + 1 < oldest) return ReadResult::kNeedStore;
  for (int64_t seq = after + 1; seq <= delivered_ && out->size() < max; ++seq) {
    const size_t offset = static_cast<size_t>(seq - oldest);
    out->push_back(recent_[(recent_start_ + offset) % recent_.size()]);
  }
  return ReadResult::kEvents;
}

int64_t JobFeed::delivered() const {
  absl::MutexLock lock(&mu_);
  return delivered_;
}

bool JobFeed::ended() const {
  absl::MutexLock lock(&mu_);
  return ended_;
}

int64_t JobFeed::wanted() const {
  absl::MutexLock lock(&mu_);
  return std::max(wanted_, delivered_);
}

bool JobFeed::Want(int64_t sequence) {
  absl::MutexLock lock(&mu_);
  if (sequence <= std::max(wanted_, delivered_)) return false;
  wanted_ = sequence;
  return true;
}

bool JobFeed::Append(std::vector<v1::JobEvent> events, bool* gap) {
  bool grew = false;
  {
    absl::MutexLock lock(&mu_);
    auto push = [this](v1::JobEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      ended_ = ended_ || IsTerminalEvent(event);
      if (recent_.size() < window_) {
        recent_.push_back(std::move(event));
      } else {
        recent_[recent_start_] = std::move(event);
        recent_start_ = (recent_start_ + 1) % recent_.size();
      }
      ++delivered_;
    };
    for (v1::JobEvent& event : events) {
      const int64_t seq = event.sequence();
      if (seq <= delivered_) continue;  // known already
      if (seq == delivered_ + 1) {
        push(std::move(event));
        grew = true;
      } else if (early_.size() < kMaxEarlyEvents) {
        early_.emplace(seq, std::move(event));
      }
    }
    // Events that waited for the gap now closed.
    while (!early_.empty() && early_.begin()->first <= delivered_ + 1) {
      auto first = early_.begin();
      if (first->first == delivered_ + 1) {
        push(std::move(first->second));
        grew = true;
      }
      early_.erase(first);
    }
    *gap = !early_.empty();
  }
  return grew;
}

int64_t JobFeed::Subscribe(Listener listener) {
  absl::MutexLock lock(&mu_);
  const int64_t id = next_listener_id_++;
  listeners_.emplace_back(id, std::make_shared<Listener>(std::move(listener)));
  return id;
}

void JobFeed::Unsubscribe(int64_t id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                  [id](const auto& entry) { return entry.first == id; }),
                   listeners_.end());
}

void JobFeed::Notify() {
  std::vector<std::shared_ptr<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& entry : listeners_) listeners.push_back(entry.second);
  }
  // Without the lock, so that a listener may Read() (or Unsubscribe) at once.
  for (const auto& listener : listeners) (*listener)();
}

// ---- EventHub --------------------------------------------------------------------------------

std::shared_ptr<JobFeed> EventHub::Find(const std::string& job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = feeds_.find(job_id);
  return it == feeds_.end() ? nullptr : it->second.lock();
}

void EventHub::Publish(const std::string& job_id, std::vector<v1::JobEvent> events) {
  if (events.empty()) return;
  std::shared_ptr<JobFeed> feed = Find(job_id);
  if (feed == nullptr) return;  // nobody here watches the job
  bool gap = false;
  const bool grew = feed->Append(std::move(events), &gap);
  if (gap) RequestPoll();
  if (grew) feed->Notify();
}

std::shared_ptr<JobFeed> EventHub::Follow(const JobHead& head) {
  std::shared_ptr<JobFeed> feed;
  {
    absl::MutexLock lock(&mu_);
    std::weak_ptr<JobFeed>& slot = feeds_[head.job_id];
    feed = slot.lock();
    if (feed == nullptr) {
      feed = std::make_shared<JobFeed>(head.job_id, head.last_sequence, window_);
      slot = feed;
      // Forget the feeds nobody follows any more.
      for (auto it = feeds_.begin(); it != feeds_.end();) {
        if (it->second.expired()) {
          feeds_.erase(it++);
        } else {
          ++it;
        }
      }
    }
  }
  if (feed->Want(head.last_sequence)) RequestPoll();
  return feed;
}

std::vector<std::pair<std::string, int64_t>> EventHub::WatchedJobs() const {
  std::vector<std::shared_ptr<JobFeed>> feeds;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [job_id, weak] : feeds_) {
      if (auto feed = weak.lock()) feeds.push_back(std::move(feed));
    }
  }
  std::vector<std::pair<std::string, int64_t>> watched;
  for (const auto& feed : feeds) {
    if (!feed->ended()) watched.emplace_back(feed->job_id(), feed->delivered());
  }
  return watched;
}

void EventHub::RequestPoll() {
  absl::MutexLock lock(&mu_);
  poll_requested_ = true;
}

bool EventHub::AwaitPollRequest(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&poll_requested_), timeout);
  const bool requested = poll_requested_;
  poll_requested_ = false;
  return requested;
}

int EventHub::feeds() const {
  absl::MutexLock lock(&mu_);
  int alive = 0;
  for (const auto& [job_id, weak] : feeds_) alive += weak.expired() ? 0 : 1;
  return alive;
}

}  // namespace citecheck

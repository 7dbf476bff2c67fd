#include "server/jobs/event_log.h"

#include <algorithm>
#include <utility>

namespace citecheck {

int64_t EventLog::Append(v1::JobEvent event, bool terminal) {
  int64_t sequence;
  {
    absl::MutexLock lock(&mu_);
    sequence = static_cast<int64_t>(events_.size()) + 1;
    event.set_job_id(job_id_);
    event.set_sequence(sequence);
    events_.push_back(std::move(event));
    closed_ = closed_ || terminal;
  }
  Notify();
  return sequence;
}

void EventLog::AppendAll(std::vector<v1::JobEvent> events, bool last_is_terminal) {
  if (events.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    for (auto& event : events) {
      event.set_job_id(job_id_);
      event.set_sequence(static_cast<int64_t>(events_.size()) + 1);
      events_.push_back(std::move(event));
    }
    closed_ = closed_ || last_is_terminal;
  }
  Notify();
}

void EventLog::Read(int64_t after, size_t max, std::vector<v1::JobEvent>* out) const {
  out->clear();
  absl::MutexLock lock(&mu_);
  size_t begin = static_cast<size_t>(std::max<int64_t>(after, 0));
  for (size_t i = begin; i < events_.size() && out->size() < max; ++i) out->push_back(events_[i]);
}

int64_t EventLog::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(events_.size());
}

bool EventLog::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

int64_t EventLog::Subscribe(Listener listener) {
  absl::MutexLock lock(&mu_);
  int64_t id = next_listener_id_++;
  listeners_.emplace_back(id, std::make_shared<Listener>(std::move(listener)));
  return id;
}

void EventLog::Unsubscribe(int64_t id) {
  absl::MutexLock lock(&mu_);
  listeners_.erase(std::remove_if(listeners_.begin(), listeners_.end(),
                                  [id](const auto& entry) { return entry.first == id; }),
                   listeners_.end());
}

void EventLog::Notify() {
  std::vector<std::shared_ptr<Listener>> listeners;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& entry : listeners_) listeners.push_back(entry.second);
  }
  // Called without the lock so that a listener may Read() (or Unsubscribe) at once.
  for (const auto& listener : listeners) (*listener)();
}

}  // namespace citecheck

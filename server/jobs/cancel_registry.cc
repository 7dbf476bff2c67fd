#include "server/jobs/cancel_registry.h"

#include "server/common/stop_waiters.h"

namespace citecheck {

std::shared_ptr<CancelRegistry::Entry> CancelRegistry::Enter(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  Running& running = jobs_[job_id];
  if (running.entry == nullptr) running.entry = std::make_shared<Entry>();
  ++running.chunks;
  return running.entry;
}

void CancelRegistry::Leave(const std::string& job_id) {
  absl::MutexLock lock(&mu_);
  auto it = jobs_.find(job_id);
  if (it != jobs_.end() && --it->second.chunks <= 0) jobs_.erase(it);
}

void CancelRegistry::Set(Entry& entry, StopReason reason) {
  int none = static_cast<int>(StopReason::kNone);
  entry.reason.compare_exchange_strong(none, static_cast<int>(reason));
  entry.stop.store(true);
}

void CancelRegistry::Stop(const std::string& job_id, StopReason reason) {
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(job_id);
    if (it == jobs_.end()) return;
    Set(*it->second.entry, reason);
  }
  StopWaiters::Get().WakeAll();
}

void CancelRegistry::StopAll(StopReason reason) {
  {
    absl::MutexLock lock(&mu_);
    for (auto& [job_id, running] : jobs_) Set(*running.entry, reason);
  }
  StopWaiters::Get().WakeAll();
}

std::vector<std::string> CancelRegistry::RunningJobs() const {
  std::vector<std::string> running;
  absl::MutexLock lock(&mu_);
  for (const auto& [job_id, entry] : jobs_) {
    if (!entry.entry->stop.load()) running.push_back(job_id);
  }
  return running;
}

}  // namespace citecheck

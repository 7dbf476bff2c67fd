#include "server/llm/endpoint_pause.h"

#include <algorithm>

namespace citecheck {

void EndpointPause::PauseUntil(absl::Time until) {
  absl::MutexLock lock(&mu_);
  ready_at_ = std::max(ready_at_, until);
}

absl::Time EndpointPause::ReadyAt() const {
  absl::MutexLock lock(&mu_);
  return ready_at_;
}

absl::Duration EndpointPause::WaitDuration(absl::Time now) const {
  return std::max(ReadyAt() - now, absl::ZeroDuration());
}

}  // namespace citecheck

#include "server/llm/rate_limiter.h"

#include <algorithm>
#include <limits>

namespace citecheck {

TokenBucket::TokenBucket(int64_t per_minute)
    : per_minute_(std::max<int64_t>(per_minute, 0)),
      interval_(per_minute_ > 0 ? absl::Minutes(1) / per_minute_ : absl::ZeroDuration()),
      tolerance_(interval_ * per_minute_) {}

absl::Duration TokenBucket::Reserve(int64_t cost, absl::Time now) {
  if (!enabled()) return absl::ZeroDuration();
  const absl::Duration refill = interval_ * std::max<int64_t>(cost, 0);
  if (refill == absl::InfiniteDuration()) return absl::InfiniteDuration();
  absl::MutexLock lock(&mu_);
  const absl::Time full_at = std::max(full_at_, now) + refill;
  if (full_at == absl::InfiniteFuture()) return absl::InfiniteDuration();
  full_at_ = full_at;
  return std::max(full_at - now - tolerance_, absl::ZeroDuration());
}

double TokenBucket::Available(absl::Time now) const {
  if (!enabled()) return std::numeric_limits<double>::infinity();
  absl::MutexLock lock(&mu_);
  const absl::Duration refilling = std::max(full_at_ - now, absl::ZeroDuration());
  return static_cast<double>(per_minute_) - absl::FDivDuration(refilling, interval_);
}

RateLimiter::RateLimiter(const RateLimitOptions& options)
    : requests_(options.requests_per_minute), tokens_(options.tokens_per_minute) {}

absl::Duration RateLimiter::Reserve(int64_t tokens, absl::Time now) {
  absl::MutexLock lock(&mu_);
  return std::max(requests_.Reserve(1, now), tokens_.Reserve(tokens, now));
}

}  // namespace citecheck

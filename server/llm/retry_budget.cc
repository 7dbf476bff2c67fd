#include "server/llm/retry_budget.h"

#include <algorithm>
#include <cmath>

namespace citecheck {

RetryBudget::RetryBudget(int max_tokens, double ratio)
    : max_milli_(max_tokens > 0 ? int64_t{max_tokens} * 1000 : 0),
      ratio_milli_(ratio > 0 ? std::llround(std::min(ratio, 1e9) * 1000) : 0),
      milli_tokens_(max_milli_) {}

void RetryBudget::OnSuccess() {
  if (max_milli_ == 0) return;
  absl::MutexLock lock(&mu_);
  milli_tokens_ = std::min(milli_tokens_ + ratio_milli_, max_milli_);
  Publish();
}

void RetryBudget::OnFailure() {
  if (max_milli_ == 0) return;
  absl::MutexLock lock(&mu_);
  milli_tokens_ = std::max<int64_t>(milli_tokens_ - 1000, 0);
  Publish();
}

bool RetryBudget::AllowRetry() const {
  if (max_milli_ == 0) return true;
  absl::MutexLock lock(&mu_);
  return milli_tokens_ * 2 > max_milli_;
}

double RetryBudget::Tokens() const {
  absl::MutexLock lock(&mu_);
  return static_cast<double>(milli_tokens_) / 1000;
}

void RetryBudget::ExportTo(Gauge* gauge) {
  absl::MutexLock lock(&mu_);
  gauges_.push_back(gauge);
  Publish();
}

void RetryBudget::Publish() {
  for (Gauge* gauge : gauges_) gauge->Set(static_cast<double>(milli_tokens_) / 1000);
}

}  // namespace citecheck

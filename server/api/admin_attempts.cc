#include "server/api/admin_attempts.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/errors.h"
#include "server/common/logging.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

// Where addresses go once kMaxTrackedAddresses are tracked.
constexpr char kOtherAddresses[] = "(other addresses)";
// Addresses named in a summary line.
constexpr size_t kAddressesLogged = 3;

}  // namespace

AdminAttemptLimiter::AdminAttemptLimiter(AdminAttemptOptions options, const Clock* clock)
    : options_(options),
      clock_(clock),
      per_second_(options.max_failures_per_minute / 60.0),
      interval_start_(clock->Now()),
      logger_([this] { LogLoop(); }) {}

AdminAttemptLimiter::~AdminAttemptLimiter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  logger_.join();
  if (std::string summary = TakeSummary(); !summary.empty()) spdlog::warn("{}", summary);
}

void AdminAttemptLimiter::LogLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.log_interval)) return;
    }
    if (std::string summary = TakeSummary(); !summary.empty()) spdlog::warn("{}", summary);
  }
}

void AdminAttemptLimiter::CountAddress(const std::string& address) {
  const bool tracked = attempts_by_address_.contains(address) ||
                       attempts_by_address_.size() < static_cast<size_t>(kMaxTrackedAddresses);
  ++attempts_by_address_[tracked ? address : kOtherAddresses];
}

AdminAttemptLimiter::Bucket& AdminAttemptLimiter::RefilledBucket(const std::string& address,
                                                                 absl::Time now) {
  const double capacity = options_.max_failures_per_minute;
  auto refill = [&](Bucket& bucket) {
    const double elapsed = std::max(absl::ToDoubleSeconds(now - bucket.refilled), 0.0);
    bucket.tokens = std::min(capacity, bucket.tokens + elapsed * per_second_);
    bucket.refilled = std::max(now, bucket.refilled);
  };
  if (auto it = buckets_.find(address); it != buckets_.end()) {
    refill(it->second);
    return it->second;
  }
  const bool at_bound = buckets_.size() >= static_cast<size_t>(kMaxTrackedAddresses);
  if (buckets_.size() >= prune_at_ || (at_bound && now - last_prune_ >= absl::Seconds(1))) {
    last_prune_ = now;
    // Full buckets are the same as none.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second);
      if (it->second.tokens >= capacity) {
        buckets_.erase(it++);
      } else {
        ++it;
      }
    }
    prune_at_ = std::max<size_t>(1024, 2 * buckets_.size());
  }
  const std::string& key =
      buckets_.size() < static_cast<size_t>(kMaxTrackedAddresses) ? address : kOtherAddresses;
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
  if (!inserted) refill(it->second);
  return it->second;
}

absl::Status AdminAttemptLimiter::Admit(const std::string& address) {
  if (options_.max_failures_per_minute <= 0) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Bucket& bucket = RefilledBucket(address, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  ++throttled_;
  CountAddress(address);
  const absl::Duration wait = absl::Seconds((1 - bucket.tokens) / per_second_);
  absl::Status status =
      MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyAdminAttempts,
                absl::StrCat("too many wrong admin keys from this address; try again in ",
                             absl::FormatDuration(absl::Ceil(wait, absl::Milliseconds(1)))));
  AddErrorMetadata(status, "max_failures_per_minute",
                   absl::StrCat(options_.max_failures_per_minute));
  AddRetryInfo(status, wait);
  return status;
}

void AdminAttemptLimiter::Succeeded(const std::string& address) {
  if (options_.max_failures_per_minute <= 0) return;
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Bucket& bucket = RefilledBucket(address, now);
  bucket.tokens = std::min<double>(options_.max_failures_per_minute, bucket.tokens + 1);
}

void AdminAttemptLimiter::Failed(const std::string& address, absl::string_view method,
                                 absl::string_view why) {
  absl::MutexLock lock(&mu_);
  ++failures_by_why_[absl::StrCat(method, ": ", why)];
  CountAddress(address);
}

std::string AdminAttemptLimiter::TakeSummary() {
  const absl::Time now = clock_->Now();
  absl::flat_hash_map<std::string, int64_t> by_why, by_address;
  int64_t throttled = 0;
  absl::Time start;
  {
    absl::MutexLock lock(&mu_);
    by_why.swap(failures_by_why_);
    by_address.swap(attempts_by_address_);
    std::swap(throttled, throttled_);
    start = std::exchange(interval_start_, now);
  }
  if (by_why.empty() && throttled == 0) return "";
  int64_t refused = 0;
  std::vector<std::pair<std::string, int64_t>> whys(by_why.begin(), by_why.end());
  std::sort(whys.begin(), whys.end());
  for (const auto& [why, count] : whys) refused += count;
  std::vector<std::pair<std::string, int64_t>> addresses(by_address.begin(), by_address.end());
  std::sort(addresses.begin(), addresses.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (addresses.size() > kAddressesLogged) addresses.resize(kAddressesLogged);
  auto format_why = [](std::string* out, const std::pair<std::string, int64_t>& entry) {
    absl::StrAppend(out, entry.first, " x", entry.second);
  };
  auto format_address = [](std::string* out, const std::pair<std::string, int64_t>& entry) {
    absl::StrAppend(out, ClientValueForLog(entry.first), " x", entry.second);
  };
  return absl::StrCat(
      "admin key refused ", refused, " times in the last ",
      absl::FormatDuration(absl::Trunc(now - start, absl::Milliseconds(1))),
      whys.empty() ? "" : absl::StrCat(" (", absl::StrJoin(whys, ", ", format_why), ")"), ", ",
      throttled, " more calls throttled; from ", by_address.size(), " addresses, most from ",
      absl::StrJoin(addresses, ", ", format_address));
}

}  // namespace citecheck

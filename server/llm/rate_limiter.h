#ifndef CITECHECK_SERVER_LLM_RATE_LIMITER_H_
#define CITECHECK_SERVER_LLM_RATE_LIMITER_H_

// Optional client-side limits on what we send one LLM endpoint: requests per minute and tokens
// per minute, each a token bucket whose capacity is the per-minute amount and which refills
// continuously at amount / 60 per second. A limit of 0 is off.
//
// Callers RESERVE before sending: Reserve(cost, now) takes the cost at once (the balance may go
// negative) and returns how long the caller must wait before sending. Since every reservation
// deepens the debt, concurrent callers queue in the order they reserved, and the send rate never
// exceeds the limit. A reservation is not returned if the caller then gives up; that only errs
// on the safe side. A cost above the capacity is allowed: it simply waits until the bucket has
// refilled enough to cover it.
//
// Implemented as GCRA (a "theoretical arrival time" per bucket) on absl::Duration arithmetic,
// so results are exact for whole-second refill intervals. Time is passed in; nothing here reads
// a clock. Thread-safe.

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace citecheck {

class TokenBucket {
 public:
  // `per_minute` <= 0 turns the bucket off: every reservation is free. (So does a limit too
  // large for one unit's refill time to be representable, above 240 billion per minute.) The
  // bucket starts full.
  explicit TokenBucket(int64_t per_minute);

  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Takes `cost` units (negative counts as 0) at `now` and returns how long the caller must
  // wait before using them (zero if they are available now). Returns InfiniteDuration, taking
  // nothing, only if the cost is so large that the arithmetic would overflow.
  absl::Duration Reserve(int64_t cost, absl::Time now);
  // Units available at `now`: the capacity minus what is still refilling; negative while
  // reservations are waiting. Infinity when off.
  double Available(absl::Time now) const;

  bool enabled() const { return interval_ > absl::ZeroDuration(); }
  int64_t capacity() const { return per_minute_; }

 private:
  const int64_t per_minute_;
  const absl::Duration interval_;   // time to refill one unit
  const absl::Duration tolerance_;  // time to refill the whole capacity
  mutable absl::Mutex mu_;
  // When the bucket will be full again if nothing more is taken; in the past = full.
  absl::Time full_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

struct RateLimitOptions {
  int64_t requests_per_minute = 0;  // 0 = off
  int64_t tokens_per_minute = 0;    // 0 = off
};

// Both limits of one endpoint. Thread-safe.
class RateLimiter {
 public:
  explicit RateLimiter(const RateLimitOptions& options);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Reserves one request and `tokens` tokens (the caller's estimate of the request's prompt
  // plus its max completion tokens) at `now`; returns how long to wait before sending: the
  // longer of the two buckets' waits.
  absl::Duration Reserve(int64_t tokens, absl::Time now);

  const TokenBucket& requests() const { return requests_; }
  const TokenBucket& tokens() const { return tokens_; }

 private:
  absl::Mutex mu_;  // makes the two reservations one step, so callers queue in one order
  TokenBucket requests_;
  TokenBucket tokens_;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_RATE_LIMITER_H_

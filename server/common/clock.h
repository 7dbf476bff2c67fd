#ifndef CITECHECK_SERVER_COMMON_CLOCK_H_
#define CITECHECK_SERVER_COMMON_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace citecheck {

// The source of time for everything that schedules, expires or stamps. Production code uses
// RealClock; tests inject a fake that only moves when told to.
//
// Thread-safe: Now() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time from absl::Now().
class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }

  // A process-wide instance; never destroyed.
  static Clock* Get();
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_CLOCK_H_

#ifndef CITECHECK_TESTS_FAKES_EVENTUALLY_H_
#define CITECHECK_TESTS_FAKES_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace citecheck {

// Polls `condition` every 2 ms until it holds or `timeout` passes; returns its last value. How
// in-process tests wait for another thread (never a bare sleep before an assertion).
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return condition();
}

}  // namespace citecheck

#endif  // CITECHECK_TESTS_FAKES_EVENTUALLY_H_

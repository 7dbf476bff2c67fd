#ifndef CITECHECK_SERVER_LLM_ENDPOINT_PAUSE_H_
#define CITECHECK_SERVER_LLM_ENDPOINT_PAUSE_H_

// A server-wide pause of one LLM endpoint. After a 429 that named a retry delay, no request to
// that endpoint may be sent (by any job or thread) until the delay has passed. The HTTP client
// keeps one EndpointPause per endpoint, calls PauseUntil with
// RetryDecision::pause_endpoint_until, and waits WaitDuration(now) before every send.
//
// Time is passed in; the class never reads a clock. Thread-safe.

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace citecheck {

class EndpointPause {
 public:
  EndpointPause() = default;
  EndpointPause(const EndpointPause&) = delete;
  EndpointPause& operator=(const EndpointPause&) = delete;

  // Pauses the endpoint until `until`; an existing later pause is kept (pauses never shorten).
  void PauseUntil(absl::Time until);
  // When the endpoint may next be used; absl::InfinitePast() if it was never paused.
  absl::Time ReadyAt() const;
  // How long a sender must wait at `now`: max(ReadyAt() - now, 0).
  absl::Duration WaitDuration(absl::Time now) const;

 private:
  mutable absl::Mutex mu_;
  absl::Time ready_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_LLM_ENDPOINT_PAUSE_H_

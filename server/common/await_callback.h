#ifndef CITECHECK_SERVER_COMMON_AWAIT_CALLBACK_H_
#define CITECHECK_SERVER_COMMON_AWAIT_CALLBACK_H_

#include <memory>
#include <optional>
#include <utility>

#include "absl/synchronization/notification.h"

namespace citecheck {

// Calls `start(callback)`, where `start` hands `callback` to asynchronous work that calls it
// exactly once with a T, on any thread, and returns that T once it came. How a blocking call is
// made from a Start-style one.
//
// The state the callback fills is owned by the callback too, not by this frame: the thread
// that runs the callback may still be inside Notify() when this function has returned (a
// Notification on this stack would be destroyed under it).
template <typename T, typename StartFn>
T AwaitCallback(StartFn&& start) {
  struct State {
    absl::Notification done;
    std::optional<T> value;
  };
  auto state = std::make_shared<State>();
  std::forward<StartFn>(start)([state](T value) {
    state->value = std::move(value);
    state->done.Notify();
  });
  state->done.WaitForNotification();
  return *std::move(state->value);
}

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_AWAIT_CALLBACK_H_

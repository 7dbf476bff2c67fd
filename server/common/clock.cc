#include "server/common/clock.h"

namespace citecheck {

Clock* RealClock::Get() {
  static Clock* const clock = new RealClock();
  return clock;
}

}  // namespace citecheck

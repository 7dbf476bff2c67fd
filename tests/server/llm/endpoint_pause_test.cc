#include "server/llm/endpoint_pause.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_clock.h"

namespace citecheck {
namespace {

TEST(EndpointPauseTest, NeverPausedMeansReady) {
  FakeClock clock;
  EndpointPause pause;
  EXPECT_EQ(pause.ReadyAt(), absl::InfinitePast());
  EXPECT_EQ(pause.WaitDuration(clock.Now()), absl::ZeroDuration());
}

TEST(EndpointPauseTest, WaitsUntilThePauseEnds) {
  FakeClock clock;
  EndpointPause pause;
  pause.PauseUntil(clock.Now() + absl::Seconds(20));
  EXPECT_EQ(pause.ReadyAt(), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(pause.WaitDuration(clock.Now()), absl::Seconds(20));
  clock.Advance(absl::Seconds(15));
  EXPECT_EQ(pause.WaitDuration(clock.Now()), absl::Seconds(5));
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(pause.WaitDuration(clock.Now()), absl::ZeroDuration());
  clock.Advance(absl::Seconds(100));
  EXPECT_EQ(pause.WaitDuration(clock.Now()), absl::ZeroDuration());
}

TEST(EndpointPauseTest, KeepsTheLaterTime) {
  FakeClock clock;
  const absl::Time t0 = clock.Now();
  EndpointPause pause;
  pause.PauseUntil(t0 + absl::Seconds(30));
  pause.PauseUntil(t0 + absl::Seconds(10));  // shorter: ignored
  EXPECT_EQ(pause.ReadyAt(), t0 + absl::Seconds(30));
  pause.PauseUntil(t0 + absl::Seconds(45));  // longer: extends
  EXPECT_EQ(pause.ReadyAt(), t0 + absl::Seconds(45));
  pause.PauseUntil(t0 - absl::Seconds(5));  // in the past: ignored
  EXPECT_EQ(pause.ReadyAt(), t0 + absl::Seconds(45));
}

}  // namespace
}  // namespace citecheck

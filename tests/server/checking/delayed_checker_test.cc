#include "server/checking/delayed_checker.h"

#include <atomic>
#include <memory>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/errors.h"
#include "tests/fakes/fake_checker.h"

namespace citecheck {
namespace {

InlineCheckRequest Inline() {
  InlineCheckRequest request;
  request.references = {"Smith, J. (2020). Writing. Routledge."};
  request.citations = {{0, "(Smith, 2020)"}, {1, "(Lee, 2019)"}};
  return request;
}

class DelayedCheckerTest : public ::testing::Test {
 protected:
  DelayedChecker Make(absl::Duration delay) {
    auto fake = std::make_unique<FakeChecker>();
    fake_ = fake.get();
    return DelayedChecker(std::move(fake), delay);
  }
  FakeChecker* fake_ = nullptr;
};

TEST_F(DelayedCheckerTest, PassesInTextCitationsToTheWrappedChecker) {
  DelayedChecker checker = Make(absl::ZeroDuration());
  const auto verdicts = checker.MatchInline(Inline());
  ASSERT_EQ(verdicts.size(), 2u);
  EXPECT_EQ(verdicts[0]->match(), v1::MATCH_STATUS_MATCHED);
  EXPECT_EQ(verdicts[1]->match(), v1::MATCH_STATUS_NOT_FOUND);
  EXPECT_EQ(fake_->inline_calls(), 1);
}

TEST_F(DelayedCheckerTest, APassedDeadlineFailsEveryInTextCitationWithoutACall) {
  DelayedChecker checker = Make(absl::Hours(1));
  InlineCheckRequest request = Inline();
  request.deadline = absl::Now() - absl::Seconds(1);
  const auto verdicts = checker.MatchInline(request);
  ASSERT_EQ(verdicts.size(), 2u);
  for (const auto& verdict : verdicts) {
    ASSERT_FALSE(verdict.ok());
    EXPECT_EQ(ErrorReason(verdict.status()), reason::kJobDeadlineExceeded);
  }
  EXPECT_EQ(fake_->calls(), 0);
}

TEST_F(DelayedCheckerTest, ACancelEndsTheWait) {
  DelayedChecker checker = Make(absl::Hours(1));  // the test times out if the wait is not cut
  std::atomic<bool> cancelled{true};
  InlineCheckRequest request = Inline();
  request.cancelled = &cancelled;
  EXPECT_EQ(checker.MatchInline(request).size(), 2u);
  CheckRequest check;
  check.citations = {"Smith, J. (2020). Writing. Routledge."};
  check.cancelled = &cancelled;
  EXPECT_EQ(checker.Check(check).size(), 1u);
}

}  // namespace
}  // namespace citecheck

#include "server/common/proto_time.h"

#include "gtest/gtest.h"

namespace citecheck {
namespace {

TEST(ProtoTimeTest, TimestampsBeforeTheEpochKeepNanosPositive) {
  google::protobuf::Timestamp ts;
  SetTimestamp(absl::FromUnixNanos(-1500000000), &ts);  // 1.5 s before the epoch
  EXPECT_EQ(ts.seconds(), -2);
  EXPECT_EQ(ts.nanos(), 500000000);
  EXPECT_EQ(FromTimestamp(ts), absl::FromUnixNanos(-1500000000));
}

TEST(ProtoTimeTest, TimestampRoundTripsToTheNanosecond) {
  const absl::Time t = absl::FromUnixNanos(1798804800123456789);
  google::protobuf::Timestamp ts;
  SetTimestamp(t, &ts);
  EXPECT_EQ(ts.seconds(), 1798804800);
  EXPECT_EQ(ts.nanos(), 123456789);
  EXPECT_EQ(FromTimestamp(ts), t);
}

TEST(ProtoTimeTest, NegativeDurationsCarryOneSign) {
  google::protobuf::Duration d;
  SetDuration(-absl::Milliseconds(1500), &d);
  EXPECT_EQ(d.seconds(), -1);
  EXPECT_EQ(d.nanos(), -500000000);
  EXPECT_EQ(FromDuration(d), -absl::Milliseconds(1500));
}

TEST(ProtoTimeTest, DurationRoundTripsToTheNanosecond) {
  google::protobuf::Duration d;
  SetDuration(absl::Seconds(3) + absl::Nanoseconds(7), &d);
  EXPECT_EQ(d.seconds(), 3);
  EXPECT_EQ(d.nanos(), 7);
  EXPECT_EQ(FromDuration(d), absl::Seconds(3) + absl::Nanoseconds(7));
}

TEST(ProtoTimeTest, TruncateToMicrosGoesTowardsThePast) {
  EXPECT_EQ(TruncateToMicros(absl::FromUnixNanos(1999)), absl::FromUnixMicros(1));
  EXPECT_EQ(TruncateToMicros(absl::FromUnixNanos(-1)), absl::FromUnixMicros(-1));
}

}  // namespace
}  // namespace citecheck

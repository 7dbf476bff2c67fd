#include "client/error_details.h"

#include "gmock/gmock.h"
#include "google/protobuf/duration.pb.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"

namespace citecheck::client {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

// A status with every kind of detail, built by hand as a server would.
grpc::Status FullStatus() {
  google::rpc::Status rpc;
  rpc.set_code(static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  rpc.set_message("daily limit reached");
  google::rpc::ErrorInfo info;
  info.set_reason("DAILY_LIMIT_REACHED");
  info.set_domain("citecheck.v1");
  (*info.mutable_metadata())["reset_time"] = "2026-11-29T00:00:00Z";
  (*info.mutable_metadata())["limit"] = "100";
  rpc.add_details()->PackFrom(info);
  google::rpc::BadRequest bad;
  auto* v1 = bad.add_field_violations();
  v1->set_field("citations.items[3]");
  v1->set_description("too long");
  auto* v2 = bad.add_field_violations();
  v2->set_field("style");
  v2->set_description("unknown");
  rpc.add_details()->PackFrom(bad);
  google::rpc::QuotaFailure quota;
  auto* q = quota.add_violations();
  q->set_subject("account:daily");
  q->set_description("100 per day");
  rpc.add_details()->PackFrom(quota);
  google::rpc::RetryInfo retry;
  retry.mutable_retry_delay()->set_seconds(3);
  retry.mutable_retry_delay()->set_nanos(500000000);
  rpc.add_details()->PackFrom(retry);
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, rpc.message(), rpc.SerializeAsString());
}

TEST(ErrorDetailsTest, DecodesEveryDetail) {
  grpc::Status status = FullStatus();
  EXPECT_EQ(ErrorReason(status), "DAILY_LIMIT_REACHED");
  EXPECT_THAT(ErrorMetadata(status),
              ElementsAre(Pair("limit", "100"), Pair("reset_time", "2026-11-29T00:00:00Z")));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Pair("citations.items[3]", "too long"), Pair("style", "unknown")));
  EXPECT_THAT(QuotaViolations(status), ElementsAre(Pair("account:daily", "100 per day")));
  ASSERT_TRUE(RetryDelay(status).has_value());
  EXPECT_EQ(*RetryDelay(status), absl::Milliseconds(3500));
  std::optional<google::rpc::Status> decoded = DecodeStatusDetails(status);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->details_size(), 4);
}

TEST(ErrorDetailsTest, WorksOnEmbeddedRpcStatus) {
  google::rpc::Status rpc;
  ASSERT_TRUE(rpc.ParseFromString(FullStatus().error_details()));
  EXPECT_EQ(ErrorReason(rpc), "DAILY_LIMIT_REACHED");
  EXPECT_EQ(ErrorMetadata(rpc).size(), 2u);
  EXPECT_EQ(FieldViolations(rpc).size(), 2u);
  EXPECT_EQ(QuotaViolations(rpc).size(), 1u);
  EXPECT_EQ(RetryDelay(rpc), absl::Milliseconds(3500));
}

TEST(ErrorDetailsTest, EmptyWithoutDetails) {
  grpc::Status plain(grpc::StatusCode::UNAVAILABLE, "connection refused");
  EXPECT_EQ(ErrorReason(plain), "");
  EXPECT_THAT(ErrorMetadata(plain), IsEmpty());
  EXPECT_THAT(FieldViolations(plain), IsEmpty());
  EXPECT_THAT(QuotaViolations(plain), IsEmpty());
  EXPECT_FALSE(RetryDelay(plain).has_value());
  EXPECT_FALSE(DecodeStatusDetails(plain).has_value());
  EXPECT_FALSE(DecodeStatusDetails(grpc::Status::OK).has_value());
}

TEST(ErrorDetailsTest, GarbageDetailsAreIgnored) {
  grpc::Status garbage(grpc::StatusCode::INTERNAL, "x", std::string("\xff\xff\xff", 3));
  EXPECT_EQ(ErrorReason(garbage), "");
  EXPECT_FALSE(RetryDelay(garbage).has_value());
}

TEST(ErrorDetailsTest, StatusCodeNames) {
  EXPECT_EQ(StatusCodeName(0), "OK");
  EXPECT_EQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(5), "NOT_FOUND");
  EXPECT_EQ(StatusCodeName(14), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(99), "CODE_99");
}

}  // namespace
}  // namespace citecheck::client

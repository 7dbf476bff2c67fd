#include "server/api/page_token.h"

#include <string>

#include "gtest/gtest.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

const std::string kKey(32, 'k');
const JobPosition kPosition{absl::FromUnixMicros(1798804800123456), "job_0123456789abcdef"};

void ExpectInvalid(const absl::StatusOr<JobPosition>& decoded) {
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
  EXPECT_EQ(ErrorReason(decoded.status()), "INVALID_PAGE_TOKEN");
}

TEST(PageTokenTest, RoundTripsThePosition) {
  const std::string token = EncodePageToken(kKey, "acct:alice", v1::JOB_STATE_RUNNING, kPosition);
  absl::StatusOr<JobPosition> decoded =
      DecodePageToken(kKey, "acct:alice", v1::JOB_STATE_RUNNING, token);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->create_time, kPosition.create_time);
  EXPECT_EQ(decoded->job_id, kPosition.job_id);
  // URL-safe and opaque: no job id or owner in clear.
  EXPECT_EQ(token.find_first_of("+/="), std::string::npos);
  EXPECT_EQ(token.find("alice"), std::string::npos);
}

TEST(PageTokenTest, IsBoundToTheCallerTheFilterAndTheKey) {
  const std::string token = EncodePageToken(kKey, "acct:alice", v1::JOB_STATE_RUNNING, kPosition);
  ExpectInvalid(DecodePageToken(kKey, "acct:bob", v1::JOB_STATE_RUNNING, token));
  ExpectInvalid(DecodePageToken(kKey, "acct:alice", v1::JOB_STATE_UNSPECIFIED, token));
  ExpectInvalid(DecodePageToken(std::string(32, 'x'), "acct:alice", v1::JOB_STATE_RUNNING, token));
}

TEST(PageTokenTest, AnyAlteredByteIsRejected) {
  const std::string token = EncodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, kPosition);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {alphabet[(alphabet.find(token[i]) + 1) % 64], '.'}) {
      std::string altered = token;
      altered[i] = replacement;
      ExpectInvalid(DecodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, altered));
    }
  }
  ExpectInvalid(DecodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, token + "A"));
  ExpectInvalid(DecodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, token.substr(1)));
  ExpectInvalid(DecodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, ""));
  ExpectInvalid(DecodePageToken(kKey, "o", v1::JOB_STATE_UNSPECIFIED, "not a token"));
}

TEST(PageTokenTest, DistinctOwnersCannotCollideByConcatenation) {
  // ("ab", filter) and ("a", ...) must not share a MAC input.
  const std::string token = EncodePageToken(kKey, "ab", v1::JOB_STATE_UNSPECIFIED, kPosition);
  ExpectInvalid(DecodePageToken(kKey, "a", v1::JOB_STATE_UNSPECIFIED, token));
}

}  // namespace
}  // namespace citecheck

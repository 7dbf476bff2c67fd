// Fuzzes ListJobs page tokens (page_token.h). The input is read twice: as a token sent by a
// caller (under a fixed key, owner and filter), and as a position to encode (8 bytes of
// create_time micros, then the job id).
//
// Properties:
//   - a token decodes only when it was encoded with that key, owner and filter: one that
//     decodes encodes back to itself, and fails under another key, owner or filter;
//   - encoding then decoding gives the position back (job ids of at most 64 bytes);
//   - a token with any one character changed does not decode.

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/api/page_token.h"
#include "tests/fuzz/fuzz_support.h"

namespace citecheck::fuzz {
namespace {

constexpr absl::string_view kKey = "fuzz-page-token-key";
constexpr absl::string_view kOwner = "user:alice";
constexpr v1::JobState kFilter = v1::JOB_STATE_RUNNING;
constexpr absl::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void CheckForeignToken(absl::string_view token) {
  absl::StatusOr<JobPosition> position = DecodePageToken(kKey, kOwner, kFilter, token);
  if (!position.ok()) return;
  FUZZ_CHECK(EncodePageToken(kKey, kOwner, kFilter, *position) == token, Printable(token));
  FUZZ_CHECK(!DecodePageToken("another-key", kOwner, kFilter, token).ok(), Printable(token));
  FUZZ_CHECK(!DecodePageToken(kKey, "user:bob", kFilter, token).ok(), Printable(token));
  FUZZ_CHECK(!DecodePageToken(kKey, kOwner, v1::JOB_STATE_SUCCEEDED, token).ok(), Printable(token));
}

void CheckRoundTrip(absl::string_view input) {
  if (input.size() < 8) return;
  int64_t micros = 0;
  std::memcpy(&micros, input.data(), sizeof(micros));
  const JobPosition position{absl::FromUnixMicros(micros), std::string(input.substr(8, 64))};
  const std::string token = EncodePageToken(kKey, kOwner, kFilter, position);
  absl::StatusOr<JobPosition> decoded = DecodePageToken(kKey, kOwner, kFilter, token);
  FUZZ_CHECK(decoded.ok(), absl::StrCat(decoded.status().ToString(), " for ", Printable(input)));
  FUZZ_CHECK(decoded->create_time == position.create_time && decoded->job_id == position.job_id,
             Printable(input));

  const size_t at = static_cast<unsigned char>(input[0]) % token.size();
  std::string altered = token;
  const size_t was = kBase64Url.find(token[at]);
  altered[at] = kBase64Url[(was + 1 + static_cast<unsigned char>(input[1]) % 63) % 64];
  FUZZ_CHECK(!DecodePageToken(kKey, kOwner, kFilter, altered).ok(),
             absl::StrCat(Printable(altered), " from ", Printable(input)));
}

}  // namespace
}  // namespace citecheck::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace citecheck::fuzz;  // NOLINT(build/namespaces)
  const absl::string_view input = AsText(data, size);
  CheckForeignToken(input);
  CheckRoundTrip(input);
  return 0;
}

#include "server/api/page_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/common/errors.h"

namespace citecheck {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 16;
constexpr size_t kMaxJobIdBytes = 64;

std::string Mac(absl::string_view key, absl::string_view owner_key, v1::JobState filter,
                absl::string_view payload) {
  // Length-prefixed, so that no two (owner, filter, payload) triples share an input.
  const std::string input =
      absl::StrCat(owner_key.size(), ":", owner_key, "|", static_cast<int>(filter), "|", payload);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), kMacBytes);
}

absl::Status InvalidToken() {
  return FieldError(reason::kInvalidPageToken, "page_token",
                    "is not a page token of this listing; start again without one");
}

}  // namespace

std::string EncodePageToken(absl::string_view key, absl::string_view owner_key, v1::JobState filter,
                            const JobPosition& position) {
  std::string payload(1, kVersion);
  const uint64_t micros = static_cast<uint64_t>(absl::ToUnixMicros(position.create_time));
  for (int shift = 56; shift >= 0; shift -= 8) {
    payload.push_back(static_cast<char>((micros >> shift) & 0xff));
  }
  payload += position.job_id;
  std::string token;
  absl::WebSafeBase64Escape(absl::StrCat(payload, Mac(key, owner_key, filter, payload)), &token);
  return token;
}

absl::StatusOr<JobPosition> DecodePageToken(absl::string_view key, absl::string_view owner_key,
                                            v1::JobState filter, absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 1 + 8 + kMacBytes ||
      raw.size() > 1 + 8 + kMaxJobIdBytes + kMacBytes || raw[0] != kVersion) {
    return InvalidToken();
  }
  // Canonical form only: a token that decodes but is written differently was altered.
  std::string canonical;
  absl::WebSafeBase64Escape(raw, &canonical);
  if (canonical != token) return InvalidToken();
  const absl::string_view payload(raw.data(), raw.size() - kMacBytes);
  const std::string expected = Mac(key, owner_key, filter, payload);
  if (CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) != 0) {
    return InvalidToken();
  }
  uint64_t micros = 0;
  for (int i = 1; i <= 8; ++i) micros = (micros << 8) | static_cast<unsigned char>(raw[i]);
  return JobPosition{absl::FromUnixMicros(static_cast<int64_t>(micros)),
                     std::string(payload.substr(9))};
}

}  // namespace citecheck

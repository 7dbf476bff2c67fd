#ifndef CITECHECK_SERVER_COMMON_HASHING_H_
#define CITECHECK_SERVER_COMMON_HASHING_H_

#include <string>

#include "absl/strings/string_view.h"

namespace citecheck {

// Lower-case hex SHA-256 of `data` (OpenSSL). Used to key accounts by token without storing
// the token, and to fingerprint a request's input for idempotency.
std::string Sha256Hex(absl::string_view data);

}  // namespace citecheck

#endif  // CITECHECK_SERVER_COMMON_HASHING_H_

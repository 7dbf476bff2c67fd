#include "server/accounts/identity.h"

#include "absl/strings/str_cat.h"
#include "server/common/hashing.h"

namespace citecheck {

std::string Caller::OwnerKey() const {
  switch (kind) {
    case Kind::kAccount:
      return absl::StrCat("acct:", Sha256Hex(token));
    case Kind::kFree:
    case Kind::kAnonymous:
      return FreeUsageKey();
  }
  return "";
}

std::string Caller::FreeUsageKey() const {
  switch (kind) {
    case Kind::kAccount:
      return "";
    case Kind::kFree:
      return absl::StrCat("free:", free_key);
    case Kind::kAnonymous:
      return absl::StrCat("anon:", free_key);
  }
  return "";
}

}  // namespace citecheck

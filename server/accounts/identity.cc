#include "server/accounts/identity.h"

#include "absl/strings/str_cat.h"
#include "server/common/hashing.h"

namespace citecheck {

Caller Caller::ForAccount(std::string token) {
  Caller caller;
  caller.kind = Kind::kAccount;
  caller.token = std::move(token);
  return caller;
}

Caller Caller::ForFreeUser(std::string id, std::optional<int> free_used_floor) {
  Caller caller;
  caller.kind = Kind::kFree;
  caller.free_key = std::move(id);
  caller.free_used_floor = free_used_floor;
  return caller;
}

Caller Caller::ForAnonymous(std::string address) {
  Caller caller;
  caller.kind = Kind::kAnonymous;
  caller.free_key = std::move(address);
  return caller;
}

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

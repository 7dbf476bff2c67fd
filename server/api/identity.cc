#include "server/api/identity.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace citecheck {
namespace {

std::string First(const std::multimap<std::string, std::string>& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(absl::StripAsciiWhitespace(it->second));
}

bool Base64Decode(absl::string_view value, std::string* out) {
  return absl::Base64Unescape(value, out) || absl::WebSafeBase64Unescape(value, out);
}

bool IsUuid(absl::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<int> DecodeFreeUsed(absl::string_view value) {
  std::string decoded;
  if (value.empty() || !Base64Decode(value, &decoded)) return std::nullopt;
  absl::string_view digits = absl::StripAsciiWhitespace(decoded);
  if (digits.empty() || digits.size() > 9) return std::nullopt;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;  // no sign, no junk
  }
  int used = 0;
  if (!absl::SimpleAtoi(digits, &used)) return std::nullopt;
  return used;
}

std::string DecodeFreeUserId(absl::string_view value) {
  std::string decoded;
  if (Base64Decode(value, &decoded) && IsUuid(decoded)) return absl::AsciiStrToLower(decoded);
  return std::string(value);
}

std::string PeerAddress(absl::string_view peer) {
  absl::string_view rest = peer;
  if (absl::ConsumePrefix(&rest, "ipv6:")) {
    absl::ConsumePrefix(&rest, "%5B");
    if (absl::ConsumePrefix(&rest, "[")) {
      size_t end = rest.find(']');
      return std::string(rest.substr(0, end));
    }
    size_t end = rest.find("%5D");
    if (end != absl::string_view::npos) return std::string(rest.substr(0, end));
    return std::string(rest);
  }
  if (absl::ConsumePrefix(&rest, "ipv4:")) {
    size_t colon = rest.rfind(':');
    return std::string(rest.substr(0, colon));
  }
  return std::string(rest);  // unix:/path and others: the whole address
}

bool IsPresentableToken(absl::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  if (token.front() == ' ' || token.back() == ' ') return false;
  for (char c : token) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

Caller IdentifyCaller(const std::multimap<std::string, std::string>& metadata,
                      absl::string_view peer, const TrustedProxies& proxies) {
  std::string authorization = First(metadata, "authorization");
  absl::string_view bearer = authorization;
  std::string token;
  if (absl::StartsWithIgnoreCase(bearer, "bearer ")) {
    token = std::string(absl::StripAsciiWhitespace(bearer.substr(7)));
  }
  if (token.empty()) token = First(metadata, "x-user-token");
  std::string free_user_id = First(metadata, "x-free-user-id");
  if (!token.empty()) {
    Caller caller = Caller::ForAccount(std::move(token));
    caller.free_used_floor = DecodeFreeUsed(First(metadata, "x-free-used"));
    return caller;
  }
  const std::string address = ClientAddress(metadata, peer, proxies);
  Caller caller = !free_user_id.empty() ? Caller::ForFreeUser(DecodeFreeUserId(free_user_id))
                                        : Caller::ForAnonymous(address);
  caller.free_used_floor = DecodeFreeUsed(First(metadata, "x-free-used"));
  caller.address_key = AddressQuotaKey(address);
  return caller;
}

std::multimap<std::string, std::string> CallMetadata(const grpc::ServerContextBase& context) {
  std::multimap<std::string, std::string> metadata;
  for (const auto& [key, value] : context.client_metadata()) {
    metadata.emplace(std::string(key.data(), key.size()), std::string(value.data(), value.size()));
  }
  return metadata;
}

std::string ClientAddressKey(const grpc::ServerContextBase& context,
                             const TrustedProxies& proxies) {
  return AddressQuotaKey(ClientAddress(CallMetadata(context), context.peer(), proxies));
}

Caller IdentifyCaller(const grpc::ServerContextBase& context, const TrustedProxies& proxies) {
  return IdentifyCaller(CallMetadata(context), context.peer(), proxies);
}

}  // namespace citecheck

#ifndef CITECHECK_SERVER_ACCOUNTS_IDENTITY_H_
#define CITECHECK_SERVER_ACCOUNTS_IDENTITY_H_

#include <optional>
#include <string>

namespace citecheck {

// Who is calling, as decided from gRPC metadata by the API layer (api/identity.h).
struct Caller {
  enum class Kind {
    kAccount,    // authorization: Bearer <token> / x-user-token: a paid account.
    kFree,       // x-free-user-id: a free user.
    kAnonymous,  // neither: a free user keyed by the client's IP address.
  };
  Kind kind = Kind::kAnonymous;
  // kAccount: the token itself. Never logged, never stored (stores key accounts by
  // Sha256Hex(token)).
  std::string token;
  // kFree: the decoded free user id; kAnonymous: the client's IP address (no port).
  std::string free_key;
  // x-free-used: what an old client claims it has used; raises the server's count only.
  std::optional<int> free_used_floor;
  // Free and anonymous callers: the key under which their client address's free usage is
  // counted per UTC day across all free ids (QuotaRules::free_address_daily_limit), e.g.
  // "ip4:203.0.113.7" or "ip6:2001:db8:1:2::/64" (api/client_address.h). Empty = not capped by
  // address (accounts; callers built by tests).
  std::string address_key;

  bool is_free() const { return kind != Kind::kAccount; }

  static Caller ForAccount(std::string token);
  static Caller ForFreeUser(std::string id, std::optional<int> free_used_floor = std::nullopt);
  static Caller ForAnonymous(std::string address);

  // The key that owns jobs: "acct:<sha256(token)>", "free:<id>" or "anon:<ip>". Two callers
  // see each other's jobs exactly when their owner keys are equal. Safe to store; not to log.
  std::string OwnerKey() const;
  // The key that counts free usage: "free:<id>" or "anon:<ip>"; empty for accounts.
  std::string FreeUsageKey() const;
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_ACCOUNTS_IDENTITY_H_

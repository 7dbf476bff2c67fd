#include "server/api/account_service.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/identity.h"
#include "server/api/raw_call.h"
#include "server/api/request_validation.h"
#include "server/api/request_wire.pb.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "server/common/logging.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

constexpr char kAdminKeyHeader[] = "x-admin-key";

// The blocking pool: threads, and calls that may wait for one.
constexpr int kThreads = 4;
constexpr int kMaxQueuedCalls = 1024;

// The string fields of a grant must be UTF-8, and its token one that a caller can present
// (the account store checks the rest of the grant).
template <typename GrantWire>
absl::Status CheckGrantStrings(const GrantWire& wire) {
  if (absl::Status token = CheckUtf8(wire.token(), "token"); !token.ok()) return token;
  if (absl::Status order = CheckUtf8(wire.order_id(), "order_id"); !order.ok()) return order;
  if (!IsPresentableToken(wire.token())) {
    return FieldError(reason::kInvalidGrant, "token",
                      absl::StrCat("must be 1 to ", kMaxTokenBytes,
                                   " printable ASCII characters, not beginning or ending with a "
                                   "space: a token that callers can present"));
  }
  return absl::OkStatus();
}

}  // namespace

AdminKey::AdminKey(absl::string_view key)
    : configured_(!key.empty()), digest_(key.empty() ? "" : Sha256Hex(key)) {}

bool AdminKey::Matches(absl::string_view presented) const {
  // Hash whatever was presented, even when it cannot match, so that the work done does not
  // depend on the configured key.
  const std::string presented_digest = Sha256Hex(presented);
  if (!configured_ || presented.empty()) return false;
  // Both digests are 64 hex characters; CRYPTO_memcmp looks at every byte.
  return presented_digest.size() == digest_.size() &&
         CRYPTO_memcmp(presented_digest.data(), digest_.data(), digest_.size()) == 0;
}

AccountServiceImpl::AccountServiceImpl(AccountStore* store, const Clock* clock,
                                       absl::string_view admin_key, CallPolicy policy,
                                       AdminAttemptOptions admin_attempts)
    : store_(store),
      clock_(clock),
      admin_key_(admin_key),
      policy_(std::move(policy)),
      admin_attempts_(admin_attempts, clock),
      pool_(kThreads, kMaxQueuedCalls) {}

absl::Status AccountServiceImpl::CheckAdmin(const grpc::ServerContextBase& context,
                                            absl::string_view method) {
  const std::string address = ClientAddressKey(context, policy_.trusted_proxies);
  if (absl::Status admitted = admin_attempts_.Admit(address); !admitted.ok()) return admitted;
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAdminKeyHeader);
  const absl::string_view presented = it == metadata.end()
                                          ? absl::string_view()
                                          : absl::string_view(it->second.data(), it->second.size());
  if (admin_key_.Matches(presented)) {
    admin_attempts_.Succeeded(address);
    return absl::OkStatus();
  }
  // Why, for the operator's summary (AdminAttemptLimiter); never the key itself.
  const char* why = !admin_key_.configured() ? "no admin key configured"
                    : presented.empty()      ? "no x-admin-key"
                                             : "wrong x-admin-key";
  admin_attempts_.Failed(address, method, why);
  return MakeError(absl::StatusCode::kPermissionDenied, reason::kAdminKeyRequired,
                   absl::StrCat(method, " needs the admin key in x-admin-key metadata"));
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetBalance(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  internal::GetBalanceWire wire;
  if (absl::Status parsed = ParseCall(*context, *request, policy_, "a GetBalanceRequest", &wire);
      !parsed.ok()) {
    return FinishNow(context, parsed);
  }
  return FinishOnPool<v1::Balance>(
      context, response, pool_, [this, caller = IdentifyCaller(*context, policy_.trusted_proxies)] {
        return store_->GetBalance(caller, clock_->Now());
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GrantCredits(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  internal::GrantCreditsWire wire;
  absl::Status valid = ParseCall(*context, *request, policy_, "a GrantCreditsRequest", &wire);
  if (valid.ok()) valid = CheckAdmin(*context, "GrantCredits");
  if (valid.ok()) valid = CheckGrantStrings(wire);
  if (!valid.ok()) return FinishNow(context, valid);
  return FinishOnPool<v1::Balance>(
      context, response, pool_, [this, wire = std::move(wire)]() -> absl::StatusOr<v1::Balance> {
        absl::StatusOr<v1::Balance> balance =
            store_->GrantCredits(wire.token(), wire.credits(), wire.order_id(), clock_->Now());
        if (!balance.ok()) return balance.status();
        spdlog::info("GrantCredits: order {} for {} credits OK (a replayed order grants nothing)",
                     ClientValueForLog(wire.order_id()), wire.credits());
        return balance;
      });
}

grpc::ServerUnaryReactor* AccountServiceImpl::GrantPass(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  internal::GrantPassWire wire;
  absl::Status valid = ParseCall(*context, *request, policy_, "a GrantPassRequest", &wire);
  if (valid.ok()) valid = CheckAdmin(*context, "GrantPass");
  if (valid.ok()) valid = CheckGrantStrings(wire);
  if (!valid.ok()) return FinishNow(context, valid);
  return FinishOnPool<v1::Balance>(
      context, response, pool_, [this, wire = std::move(wire)]() -> absl::StatusOr<v1::Balance> {
        absl::StatusOr<v1::Balance> balance =
            store_->GrantPass(wire.token(), wire.days(), wire.order_id(), clock_->Now());
        if (!balance.ok()) return balance.status();
        spdlog::info("GrantPass: order {} for {} days OK (a replayed order grants nothing)",
                     ClientValueForLog(wire.order_id()), wire.days());
        return balance;
      });
}

}  // namespace citecheck

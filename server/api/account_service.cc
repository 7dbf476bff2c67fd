#include "server/api/account_service.h"

#include <openssl/crypto.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/api/grpc_status.h"
#include "server/api/identity.h"
#include "server/common/errors.h"
#include "server/common/hashing.h"
#include "spdlog/spdlog.h"

namespace citecheck {
namespace {

constexpr char kAdminKeyHeader[] = "x-admin-key";

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
                                       absl::string_view admin_key)
    : store_(store), clock_(clock), admin_key_(admin_key) {}

absl::Status AccountServiceImpl::CheckAdmin(const grpc::ServerContextBase& context,
                                            absl::string_view method) const {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(kAdminKeyHeader);
  const absl::string_view presented = it == metadata.end()
                                          ? absl::string_view()
                                          : absl::string_view(it->second.data(), it->second.size());
  if (admin_key_.Matches(presented)) return absl::OkStatus();
  // Why, for the operator; never the key itself.
  const char* why = !admin_key_.configured() ? "no admin key configured"
                    : presented.empty()      ? "no x-admin-key"
                                             : "wrong x-admin-key";
  spdlog::warn("{} refused for {}: {}", std::string(method), PeerAddress(context.peer()), why);
  return MakeError(absl::StatusCode::kPermissionDenied, reason::kAdminKeyRequired,
                   absl::StrCat(method, " needs the admin key in x-admin-key metadata"));
}

grpc::Status AccountServiceImpl::GetBalance(grpc::ServerContext* context,
                                            const v1::GetBalanceRequest* /*request*/,
                                            v1::Balance* response) {
  absl::StatusOr<v1::Balance> balance = store_->GetBalance(IdentifyCaller(*context), clock_->Now());
  if (!balance.ok()) return ToGrpcStatus(balance.status());
  *response = *std::move(balance);
  return grpc::Status::OK;
}

grpc::Status AccountServiceImpl::GrantCredits(grpc::ServerContext* context,
                                              const v1::GrantCreditsRequest* request,
                                              v1::Balance* response) {
  if (absl::Status admin = CheckAdmin(*context, "GrantCredits"); !admin.ok()) {
    return ToGrpcStatus(admin);
  }
  absl::StatusOr<v1::Balance> balance = store_->GrantCredits(request->token(), request->credits(),
                                                             request->order_id(), clock_->Now());
  if (!balance.ok()) return ToGrpcStatus(balance.status());
  spdlog::info("GrantCredits: order {} for {} credits OK (a replayed order grants nothing)",
               request->order_id(), request->credits());
  *response = *std::move(balance);
  return grpc::Status::OK;
}

grpc::Status AccountServiceImpl::GrantPass(grpc::ServerContext* context,
                                           const v1::GrantPassRequest* request,
                                           v1::Balance* response) {
  if (absl::Status admin = CheckAdmin(*context, "GrantPass"); !admin.ok()) {
    return ToGrpcStatus(admin);
  }
  absl::StatusOr<v1::Balance> balance =
      store_->GrantPass(request->token(), request->days(), request->order_id(), clock_->Now());
  if (!balance.ok()) return ToGrpcStatus(balance.status());
  spdlog::info("GrantPass: order {} for {} days OK (a replayed order grants nothing)",
               request->order_id(), request->days());
  *response = *std::move(balance);
  return grpc::Status::OK;
}

}  // namespace citecheck

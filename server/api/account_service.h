#ifndef CITECHECK_SERVER_API_ACCOUNT_SERVICE_H_
#define CITECHECK_SERVER_API_ACCOUNT_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "citecheck/v1/citecheck.grpc.pb.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/server_callback.h"
#include "server/accounts/account_store.h"
#include "server/api/admin_attempts.h"
#include "server/api/blocking_call_pool.h"
#include "server/api/raw_call.h"
#include "server/common/clock.h"

namespace citecheck {

// The admin key, held as its SHA-256 digest. Matches() compares the digest of a presented key
// with it in constant time (CRYPTO_memcmp over equal-length digests), so neither the time taken
// nor an early exit tells how much of a guess was right, and keys of different lengths are never
// compared directly. Immutable, hence thread-safe.
class AdminKey {
 public:
  // `key` empty means no admin key is configured: Matches() is then false for every input.
  explicit AdminKey(absl::string_view key);

  bool configured() const { return configured_; }

  // True exactly when a key is configured and `presented` equals it. An empty `presented`
  // never matches.
  bool Matches(absl::string_view presented) const;

 private:
  bool configured_ = false;
  std::string digest_;  // Sha256Hex(key); empty when not configured
};

// The gRPC face of AccountService (DESIGN §2). Every method first checks the call's metadata
// against the policy's max_metadata_bytes (INVALID_ARGUMENT REQUEST_TOO_LARGE beyond it), and is a
// raw callback method (api/raw_call.h) that parses its request into a wire twin (MALFORMED_REQUEST
// for bytes that are not the request, INVALID_UTF8 naming a string field that is not UTF-8) and
// runs on a BlockingCallPool, never on a gRPC callback thread: the store may wait on MySQL.
// Identity comes from metadata (api/identity.h); every error leaves through ToGrpcStatus.
//
//  - GetBalance: the caller's balance at clock->Now(), from AccountStore::GetBalance.
//  - GrantCredits, GrantPass: need metadata `x-admin-key` equal to the configured admin key;
//    otherwise (missing, wrong, or no key configured) PERMISSION_DENIED ADMIN_KEY_REQUIRED and
//    the store is not called. Wrong keys are throttled per client address (AdminAttemptLimiter:
//    beyond the limit RESOURCE_EXHAUSTED TOO_MANY_ADMIN_ATTEMPTS with RetryInfo, the key not
//    even compared) and logged in one summary line per interval. Then the store's grant; its errors
//    (INVALID_ARGUMENT INVALID_GRANT / ORDER_ID_REUSED with their BadRequest) pass through
//    unchanged. The reply is the granted account's balance.
//
// Neither tokens nor keys are ever logged. Thread-safe. `store` and `clock` must outlive the
// service.
class AccountServiceImpl final
    : public v1::AccountService::WithRawCallbackMethod_GetBalance<
          v1::AccountService::WithRawCallbackMethod_GrantCredits<
              v1::AccountService::WithRawCallbackMethod_GrantPass<v1::AccountService::Service>>> {
 public:
  // `admin_key` empty = the admin RPCs are refused. `policy`: what every RPC applies first
  // (api/raw_call.h).
  // `admin_attempts`: how wrong admin keys are throttled and logged (per client address).
  AccountServiceImpl(AccountStore* store, const Clock* clock, absl::string_view admin_key,
                     CallPolicy policy = CallPolicy(),
                     AdminAttemptOptions admin_attempts = AdminAttemptOptions());

  grpc::ServerUnaryReactor* GetBalance(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GrantCredits(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GrantPass(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;

 private:
  // OK when the call carries the admin key; else PERMISSION_DENIED ADMIN_KEY_REQUIRED.
  absl::Status CheckAdmin(const grpc::ServerContextBase& context, absl::string_view method);

  AccountStore* const store_;
  const Clock* const clock_;
  const AdminKey admin_key_;
  const CallPolicy policy_;
  AdminAttemptLimiter admin_attempts_;
  BlockingCallPool pool_;  // last: drained (every call finished) before the rest goes
};

}  // namespace citecheck

#endif  // CITECHECK_SERVER_API_ACCOUNT_SERVICE_H_

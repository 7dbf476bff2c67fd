#include "server/accounts/gating.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "server/common/errors.h"
#include "server/common/proto_time.h"

namespace citecheck {

absl::Status ValidateGrantIds(const std::string& token, const std::string& order_id) {
  if (token.empty()) return FieldError(reason::kInvalidGrant, "token", "must not be empty");
  if (order_id.empty()) return FieldError(reason::kInvalidGrant, "order_id", "must not be empty");
  if (order_id.size() > kMaxOrderIdBytes) {
    return FieldError(reason::kInvalidGrant, "order_id",
                      absl::StrCat("must be at most ", kMaxOrderIdBytes, " bytes"));
  }
  for (unsigned char c : order_id) {
    if (c < 0x20 || c > 0x7e) {
      return FieldError(reason::kInvalidGrant, "order_id",
                        "must be printable ASCII (space to '~')");
    }
  }
  return absl::OkStatus();
}

Admission AdmitFree(int requested, int free_limit, int used) {
  const int64_t wanted = std::max(requested, 0);
  const int64_t left = std::max<int64_t>(int64_t{free_limit} - used, 0);
  Admission a;
  a.accepted = static_cast<int>(std::min(wanted, left));
  a.locked = static_cast<int>(wanted - a.accepted);
  a.limit_type = a.locked > 0 ? v1::LIMIT_TYPE_FREE_LIMIT : v1::LIMIT_TYPE_NONE;
  return a;
}

Admission AdmitFreeFromAddress(int requested, int free_limit, int used, int address_limit,
                               int address_used) {
  Admission a = AdmitFree(requested, free_limit, used);
  if (address_limit <= 0) return a;
  const int address_left = std::max(address_limit - std::max(address_used, 0), 0);
  if (a.accepted <= address_left) return a;
  a.locked += a.accepted - address_left;
  a.accepted = address_left;
  a.limit_type = v1::LIMIT_TYPE_FREE_LIMIT;
  return a;
}

Admission AdmitCredits(int requested, int64_t credits) {
  const int64_t wanted = std::max(requested, 0);
  const int64_t left = std::max<int64_t>(credits, 0);
  Admission a;
  a.accepted = static_cast<int>(std::min(wanted, left));
  a.locked = static_cast<int>(wanted - a.accepted);
  a.limit_type = a.locked > 0 ? v1::LIMIT_TYPE_CREDITS_EXHAUSTED : v1::LIMIT_TYPE_NONE;
  return a;
}

bool PassAdmits(int requested, int daily_used, int daily_limit) {
  return int64_t{std::max(daily_used, 0)} + std::max(requested, 0) <= int64_t{daily_limit};
}

int EffectiveFreeUsed(int server_used, std::optional<int> floor) {
  if (!floor.has_value() || *floor < 0) return server_used;
  return std::max(server_used, *floor);
}

absl::CivilDay UtcDay(absl::Time t) { return absl::ToCivilDay(t, absl::UTCTimeZone()); }

absl::Time NextUtcMidnight(absl::Time now) {
  return absl::FromCivil(UtcDay(now) + 1, absl::UTCTimeZone());
}

std::string FormatRfc3339Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%SZ", t, absl::UTCTimeZone());  // RFC 3339, "Z"
}

bool IsValidPassDays(int days) { return days == 1 || days == 7 || days == 30; }

std::string PassTypeForDays(int days) {
  return IsValidPassDays(days) ? absl::StrCat(days, "day") : "";
}

absl::Status DailyLimitReachedError(int requested, int daily_used, int daily_limit,
                                    absl::Time now) {
  const absl::Time reset = NextUtcMidnight(now);
  const std::string reset_text = FormatRfc3339Utc(reset);
  absl::Status status =
      MakeError(absl::StatusCode::kResourceExhausted, reason::kDailyLimitReached,
                absl::StrCat("daily pass limit reached: ", daily_used, " of ", daily_limit,
                             " citations used today (UTC), the batch has ", requested,
                             "; resets at ", reset_text));
  AddErrorMetadata(status, "reset_time", reset_text);
  AddErrorMetadata(status, "daily_used", absl::StrCat(daily_used));
  AddErrorMetadata(status, "daily_limit", absl::StrCat(daily_limit));
  AddQuotaFailure(status, "pass:daily_citations",
                  absl::StrCat("at most ", daily_limit, " citations per UTC day; ", daily_used,
                               " used, ", requested, " requested; resets at ", reset_text));
  AddRetryInfo(status, reset - now);
  return status;
}

Reservation PassReservation(int n, int daily_used, int daily_limit, absl::Time now,
                            absl::Time pass_expiry, int64_t credits) {
  Reservation out;
  out.accepted = n;
  out.locked = 0;
  out.limit_type = v1::LIMIT_TYPE_NONE;
  out.user_status.set_kind(v1::USER_KIND_PASS);
  out.user_status.set_daily_used(daily_used + n);
  out.user_status.set_daily_limit(daily_limit);
  SetTimestamp(NextUtcMidnight(now), out.user_status.mutable_reset_time());
  SetTimestamp(pass_expiry, out.user_status.mutable_pass_expire_time());
  out.user_status.set_credits_remaining(credits);
  return out;
}

Reservation CreditsReservation(const Admission& admission, int64_t credits_after) {
  Reservation out;
  out.accepted = admission.accepted;
  out.locked = admission.locked;
  out.limit_type = admission.limit_type;
  out.user_status.set_kind(v1::USER_KIND_CREDITS);
  out.user_status.set_credits_remaining(credits_after);
  return out;
}

Reservation FreeReservation(const Admission& admission, int used_after, int free_limit) {
  Reservation out;
  out.accepted = admission.accepted;
  out.locked = admission.locked;
  out.limit_type = admission.limit_type;
  out.user_status.set_kind(v1::USER_KIND_FREE);
  out.user_status.set_free_used_total(used_after);
  out.user_status.set_free_limit(free_limit);
  return out;
}

}  // namespace citecheck

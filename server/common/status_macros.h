#ifndef CITECHECK_SERVER_COMMON_STATUS_MACROS_H_
#define CITECHECK_SERVER_COMMON_STATUS_MACROS_H_

// Early returns for absl::Status and absl::StatusOr, the one set every part of citecheck uses
// (Abseil 20220623 ships none).
//
//   RETURN_IF_ERROR(tx.Execute(...).status());
//   ASSIGN_OR_RETURN(std::vector<SqlRow> rows, tx.Query(...));
//
// In a function returning absl::Status or absl::StatusOr<T>, both return the error unchanged.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CITECHECK_STATUS_CONCAT_INNER(a, b) a##b
#define CITECHECK_STATUS_CONCAT(a, b) CITECHECK_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    const absl::Status citecheck_status_ = (expr);         \
    if (!citecheck_status_.ok()) return citecheck_status_; \
  } while (0)

#define CITECHECK_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = *std::move(tmp)

#define ASSIGN_OR_RETURN(lhs, expr)                                                             \
  CITECHECK_ASSIGN_OR_RETURN_IMPL(CITECHECK_STATUS_CONCAT(citecheck_status_or_, __LINE__), lhs, \
                                  expr)

#endif  // CITECHECK_SERVER_COMMON_STATUS_MACROS_H_

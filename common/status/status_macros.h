// RETURN_IF_ERROR and ASSIGN_OR_RETURN, which our Abseil (20220623) lacks.
//
//   absl::StatusOr<Program> Load(absl::string_view id) {
//     RETURN_IF_ERROR(ValidateId(id));
//     ASSIGN_OR_RETURN(std::string blob, store.Get(id));
//     return Parse(blob);
//   }
#ifndef GNLC_COMMON_STATUS_STATUS_MACROS_H_
#define GNLC_COMMON_STATUS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

#define GNLC_STATUS_CONCAT_INNER_(a, b) a##b
#define GNLC_STATUS_CONCAT_(a, b) GNLC_STATUS_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                                                        \
  do {                                                                               \
    if (absl::Status gnlc_status_ = (expr); !gnlc_status_.ok()) return gnlc_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status if not OK,
// otherwise moves the value into `lhs` (a declaration or an lvalue).
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  GNLC_ASSIGN_OR_RETURN_IMPL_(GNLC_STATUS_CONCAT_(gnlc_statusor_, __LINE__), lhs, rexpr)

#define GNLC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)

#endif  // GNLC_COMMON_STATUS_STATUS_MACROS_H_

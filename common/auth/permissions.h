// The permission of every RPC for every role: one table, checked before any
// handler runs (common/server/rpc_edge.h). docs/operations/security.md's table is this one.
//
//   const MethodPolicy* policy = FindPolicy("gnlc.catalog.v1.CatalogService/GetProgram");
//   Access access = AccessFor(*policy, caller);   // kDeny, kAny or kOwn
//
// kOwn means the handler must still check the object: a resident's own
// learner and enrollments; a partner admin's own partner, the partnerships
// their partner is a member of, and the enrollments of programs those
// partnerships deliver (for learners who consented to share progress).
// A method missing from the table is denied to everyone.
#ifndef GNLC_COMMON_AUTH_PERMISSIONS_H_
#define GNLC_COMMON_AUTH_PERMISSIONS_H_

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/auth/caller.h"

namespace gnlc::auth {

enum class Access : uint8_t { kDeny, kAny, kOwn };

// What a call does, for the audit log: changes by staff, data-rights calls
// and reads of a resident's personal data by anyone but that resident are
// audited.
enum class CallKind : uint8_t { kRead, kChange, kDataRights, kPersonalRead };

struct MethodPolicy {
  absl::string_view method;  // "gnlc.catalog.v1.CatalogService/GetProgram"
  CallKind kind;
  Access anonymous;
  Access resident;
  Access partner_admin;
  Access analyst;
  Access city_admin;
  // A mobile backend's service identity: the public catalog, and its own
  // learners' notifications.
  Access mobile_backend;
  // Services whose service token may call, space-separated ("enrollment
  // partnership"); empty: none.
  absl::string_view services;
  Access peer_city;
};

// nullptr for a method not in the table.
const MethodPolicy* FindPolicy(absl::string_view full_method);
Access AccessFor(const MethodPolicy& policy, const Caller& caller);
absl::Span<const MethodPolicy> AllPolicies();

}  // namespace gnlc::auth

#endif  // GNLC_COMMON_AUTH_PERMISSIONS_H_

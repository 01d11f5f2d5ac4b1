// Checks of the partnership service's untrusted inputs and its lifecycle
// rules. Each returns INVALID_ARGUMENT (or FAILED_PRECONDITION for a rule
// of state) naming the field and what to send instead.
#ifndef GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_VALIDATION_H_
#define GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_VALIDATION_H_

#include "absl/status/status.h"
#include "gnlc/partnership/v1/partnership_service.pb.h"

namespace gnlc::partnership {

namespace pb = gnlc::partnership::v1;

absl::Status ValidatePartner(const pb::Partner& partner);
absl::Status ApplyPartnerMask(const pb::UpdatePartnerRequest& request, pb::Partner& stored);

// Fields a caller sets (not members, state or history).
absl::Status ValidatePartnershipFields(const pb::Partnership& partnership, absl::string_view city);
absl::Status ApplyPartnershipMask(const pb::UpdatePartnershipRequest& request,
                                  pb::Partnership& stored);
// One member: a well-formed partner name and a role; not a second lead.
absl::Status ValidateMember(const pb::PartnershipMember& member, const pb::Partnership& into);

// PROPOSED -> ACTIVE -> CONCLUDED, PROPOSED/ACTIVE -> WITHDRAWN. Activating
// needs exactly one lead.
absl::Status CheckTransition(const pb::Partnership& partnership, pb::PartnershipState to);

// True when a member belongs to another city than `city`.
bool IsInternational(const pb::Partnership& partnership, absl::string_view city);

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_PARTNERSHIP_VALIDATION_H_

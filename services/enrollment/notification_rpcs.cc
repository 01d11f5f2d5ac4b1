// SubscribeNotifications: who may watch which backend's notifications, and
// from where (notification_hub.h streams them).
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "services/enrollment/enrollment_service.h"

namespace gnlc::enrollment {

absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*>
EnrollmentService::DoSubscribeNotifications(const CallAuth& call,
                                            const pb::SubscribeNotificationsRequest& req) {
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  NotificationHub::Subscription sub;
  if (call.own_only) {
    // A mobile backend hears about the learners it brought, and no others.
    if (call.caller.role != auth::Role::kMobileBackend) return DeniedUncheckedOwnership();
    if (!req.backend().empty() && req.backend() != call.caller.subject) {
      return Denied(MakeError(absl::StatusCode::kPermissionDenied, "PERMISSION_DENIED",
                              "a mobile backend subscribes to its own notifications: leave "
                              "backend empty or set it to the token's sub",
                              {{"field", "backend"}}));
    }
    sub.backend = call.caller.subject;
  } else {
    if (req.backend().empty()) {
      return InvalidArgument("INVALID_FIELD", "backend is required: the mobile backend to watch",
                             {{"field", "backend"}});
    }
    RETURN_IF_ERROR(ValidateId("backend", req.backend()));
    sub.backend = req.backend();
  }
  const int count = req.partition_count();
  if (count < 0 || count > 64 || req.partition() < 0 ||
      (count <= 1 ? req.partition() != 0 : req.partition() >= count)) {
    return InvalidArgument("INVALID_FIELD",
                           "partition_count must be 0 to 64 and partition 0 to partition_count-1",
                           {{"field", "partition"}});
  }
  if (!req.cursor().empty() && req.replay_retained()) {
    return InvalidArgument("INVALID_FIELD", "give a cursor or replay_retained, not both",
                           {{"field", "replay_retained"}});
  }
  sub.partition = req.partition();
  sub.partition_count = std::max(count, 1);
  sub.expires = call.caller.expires;
  ASSIGN_OR_RETURN(sub.cursor,
                   hub_.StartingCursor(sub.backend, req.cursor(), req.replay_retained()));
  return hub_.Open(std::move(sub));
}

}  // namespace gnlc::enrollment

// gnlcctl subscribe: a mobile backend's notifications as JSON lines on
// stdout, one per notification, each with the cursor to resume after it.
// Bookmarks (responses without notifications) print their cursor on stderr
// as "cursor: ..." so stdout stays one notification per line. A stream the
// server ends with UNAVAILABLE (a restart; a connection at the server's
// maximum age) is resumed from the last cursor, as a backend should.
#ifndef GNLC_TOOLS_GNLCCTL_SUBSCRIBE_NOTIFICATIONS_H_
#define GNLC_TOOLS_GNLCCTL_SUBSCRIBE_NOTIFICATIONS_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "gnlc/enrollment/v1/enrollment_service.pb.h"

namespace gnlc::ctl {

// Streams until `limit` notifications were printed (0: until the stream
// ends or the process is interrupted). Returns the exit code: 0 on `limit`
// reached, 1 (with the error on stderr) when the stream failed otherwise.
int SubscribeNotifications(grpc::Channel& channel,
                           const gnlc::enrollment::v1::SubscribeNotificationsRequest& request,
                           const std::string& plaintext_token, int64_t limit);

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_SUBSCRIBE_NOTIFICATIONS_H_

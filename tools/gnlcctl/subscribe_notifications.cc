#include "tools/gnlcctl/subscribe_notifications.h"

#include <cstdio>

#include "absl/status/status.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gnlc::ctl {

int SubscribeNotifications(grpc::Channel& channel,
                           const gnlc::enrollment::v1::SubscribeNotificationsRequest& request,
                           const std::string& plaintext_token, int64_t limit) {
  auto stub = gnlc::enrollment::v1::EnrollmentService::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  gnlc::enrollment::v1::SubscribeNotificationsRequest req = request;
  int64_t printed = 0;
  while (true) {
    grpc::ClientContext ctx;
    if (!plaintext_token.empty()) ctx.AddMetadata("authorization", "Bearer " + plaintext_token);
    auto reader = stub->SubscribeNotifications(&ctx, req);
    gnlc::enrollment::v1::SubscribeNotificationsResponse resp;
    bool received = false;
    while (reader->Read(&resp)) {
      received = true;
      // Resume after what was printed, as a backend would.
      req.set_cursor(resp.cursor());
      req.set_replay_retained(false);
      if (resp.notifications_size() == 0) {
        std::fprintf(stderr, "cursor: %s\n", resp.cursor().c_str());
        continue;
      }
      for (const auto& n : resp.notifications()) {
        std::string line;
        (void)google::protobuf::util::MessageToJsonString(n, &line, options);
        std::printf("%s\n", line.c_str());
        if (limit > 0 && ++printed >= limit) {
          std::fflush(stdout);
          ctx.TryCancel();
          (void)reader->Finish();
          return 0;
        }
      }
      std::fflush(stdout);
    }
    const grpc::Status status = reader->Finish();
    // A stream the server ended (a restart, or its connection reaching the
    // server's maximum age, which spreads subscribers over replicas): resume
    // from the last cursor. Anything else, or a stream that never started,
    // is the caller's to see.
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE && received) {
      std::fprintf(stderr, "stream ended (%s): resuming after %s\n", status.error_message().c_str(),
                   req.cursor().c_str());
      continue;
    }
    std::fprintf(
        stderr, "%s: %s\n",
        absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
        status.error_message().c_str());
    return 1;
  }
}

}  // namespace gnlc::ctl

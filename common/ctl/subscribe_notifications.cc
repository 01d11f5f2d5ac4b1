#include "common/ctl/subscribe_notifications.h"

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
  grpc::ClientContext ctx;
  if (!plaintext_token.empty()) ctx.AddMetadata("authorization", "Bearer " + plaintext_token);
  auto reader = stub->SubscribeNotifications(&ctx, request);
  gnlc::enrollment::v1::SubscribeNotificationsResponse resp;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  int64_t printed = 0;
  while (reader->Read(&resp)) {
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
  std::fprintf(stderr, "%s: %s\n",
               absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
               status.error_message().c_str());
  return 1;
}

}  // namespace gnlc::ctl

#include "common/status/grpc_status.h"

#include <gtest/gtest.h>

#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace gnlc {
namespace {

google::rpc::ErrorInfo InfoOf(const grpc::Status& s) {
  google::rpc::Status rich;
  EXPECT_TRUE(rich.ParseFromString(s.error_details()));
  google::rpc::ErrorInfo info;
  EXPECT_EQ(rich.details_size(), 1);
  EXPECT_TRUE(rich.details(0).UnpackTo(&info));
  return info;
}

TEST(ToGrpcStatus, CarriesCodeMessageAndErrorInfo) {
  const grpc::Status s =
      ToGrpcStatus(InvalidArgument("FIELD_TOO_LONG", "title is too long", {{"field", "title"}}),
                   "catalog.gnlc.org");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "title is too long");
  const auto info = InfoOf(s);
  EXPECT_EQ(info.reason(), "FIELD_TOO_LONG");
  EXPECT_EQ(info.domain(), "catalog.gnlc.org");
  EXPECT_EQ(info.metadata().at("field"), "title");
}

TEST(ToGrpcStatus, HidesInternalMessages) {
  const grpc::Status s =
      ToGrpcStatus(absl::InternalError("redis: ERR wrong type at cat:{0}:programs"), "d");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(s.error_message().find("cat:{0}"), std::string::npos);
  EXPECT_EQ(InfoOf(s).reason(), "INTERNAL");
}

TEST(FromGrpcStatus, RoundTripsReasonAndMetadata) {
  const absl::Status original = Aborted("STALE_ETAG", "stale", {{"current_etag", "3"}});
  const absl::Status back = FromGrpcStatus(ToGrpcStatus(original, "d"));
  EXPECT_EQ(back.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ErrorReason(back), "STALE_ETAG");
  EXPECT_EQ(ErrorMetadataOf(back).at("current_etag"), "3");
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int half, Half(x));
  ASSIGN_OR_RETURN(half, Half(half));
  RETURN_IF_ERROR(half > 100 ? absl::OutOfRangeError("big") : absl::OkStatus());
  return half;
}

TEST(StatusMacros, PropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().message(), "odd");
  EXPECT_EQ(Quarter(800).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace gnlc

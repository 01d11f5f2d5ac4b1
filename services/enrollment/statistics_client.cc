#include "services/enrollment/statistics_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status/errors.h"

namespace gnlc::enrollment {

StatisticsClient::StatisticsClient(const std::string& address, const CityConfig& city)
    : parent_(absl::StrCat("cities/", city.city_id())),
      stub_(v1::EnrollmentService::NewStub(
          grpc::CreateChannel(address, auth::CityChannelCredentials(city)))),
      token_(city.auth().service_token_file()) {}

absl::StatusOr<v1::ListStatisticsRecordsResponse> StatisticsClient::ListPage(
    const std::string& page_token) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  token_.Apply(ctx);
  v1::ListStatisticsRecordsRequest req;
  req.set_parent(parent_);
  req.set_page_token(page_token);
  v1::ListStatisticsRecordsResponse resp;
  if (grpc::Status s = stub_->ListStatisticsRecords(&ctx, req, &resp); !s.ok()) {
    return Unavailable(
        "ENROLLMENT_UNAVAILABLE",
        absl::StrCat("the enrollment service could not list its records: ", s.error_message()));
  }
  return resp;
}

}  // namespace gnlc::enrollment

// The enrollment records as analytics reads them over gRPC when it recounts
// what it missed (ListStatisticsRecords). Each page is bounded by 30 s;
// any failure is UNAVAILABLE (ENROLLMENT_UNAVAILABLE), retried by the
// caller from the page it was on.
#ifndef GNLC_SERVICES_ENROLLMENT_STATISTICS_CLIENT_H_
#define GNLC_SERVICES_ENROLLMENT_STATISTICS_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/transport_credentials.h"
#include "common/config/city_config.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"

namespace gnlc::enrollment {

class StatisticsClient final {
 public:
  // `address` host:port of the city's enrollment service, reached with TLS
  // (verified with the city's CA) and this service's token.
  StatisticsClient(const std::string& address, const CityConfig& city);

  // One page after `page_token` ("" for the first).
  absl::StatusOr<v1::ListStatisticsRecordsResponse> ListPage(const std::string& page_token);

 private:
  std::string parent_;
  std::unique_ptr<v1::EnrollmentService::Stub> stub_;
  auth::ServiceToken token_;
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_STATISTICS_CLIENT_H_

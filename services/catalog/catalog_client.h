// The catalog as other services of the city read it over gRPC (enrollment
// for offering facts, partnership for linked programs). Each call is bounded
// by the caller's deadline and at most 2 s, so a catalog outage shows up
// fast: NOT_FOUND passes through; any other failure is UNAVAILABLE
// (CATALOG_UNAVAILABLE), the catalog's trouble and not the caller's.
#ifndef GNLC_SERVICES_CATALOG_CATALOG_CLIENT_H_
#define GNLC_SERVICES_CATALOG_CATALOG_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/auth/transport_credentials.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"

namespace gnlc::catalog {

class CatalogClient final {
 public:
  // `address` host:port of the city's catalog, reached with TLS (verified
  // with the city's CA) and this service's token from the city's config.
  CatalogClient(const std::string& address, const CityConfig& city);

  absl::StatusOr<v1::Offering> GetOffering(const std::string& name, absl::Time deadline);
  absl::StatusOr<v1::Program> GetProgram(const std::string& name, absl::Time deadline);
  // One page of the city's programs in `state` (analytics' recount).
  absl::StatusOr<v1::ListProgramsResponse> ListPrograms(const std::string& city,
                                                        v1::ProgramState state,
                                                        const std::string& page_token,
                                                        absl::Time deadline);

 private:
  std::unique_ptr<v1::CatalogService::Stub> stub_;
  auth::ServiceToken token_;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_CATALOG_CLIENT_H_

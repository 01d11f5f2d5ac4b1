// Reads an offering's facts from the catalog over gRPC, the first time the
// enrollment service sees the offering (afterwards the catalog's events keep
// them current). Bounded by the caller's deadline: with the catalog down, a
// call fails with UNAVAILABLE well within it.
#ifndef GNLC_SERVICES_ENROLLMENT_CATALOG_CLIENT_H_
#define GNLC_SERVICES_ENROLLMENT_CATALOG_CLIENT_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/names/resource_names.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"
#include "services/enrollment/enrollment_store.h"

namespace gnlc::enrollment {

class CatalogClient final {
 public:
  // `address` host:port of the city's catalog (insecure inside the pod
  // network; mutual TLS is the mesh's job, DESIGN.md "Security").
  CatalogClient(const std::string& address, std::string city);

  // NOT_FOUND if the catalog has no such offering; UNAVAILABLE if it cannot
  // answer before `deadline` (capped at 2 s).
  absl::StatusOr<std::pair<OfferingFacts, ProgramFacts>> Fetch(const OfferingRef& ref,
                                                               absl::Time deadline);

 private:
  std::string city_;
  std::unique_ptr<gnlc::catalog::v1::CatalogService::Stub> stub_;
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_CATALOG_CLIENT_H_

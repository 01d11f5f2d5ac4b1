// Reads catalog programs over gRPC for the partnerships that deliver them:
// checked when linked, and shown with their current state.
#ifndef GNLC_SERVICES_PARTNERSHIP_CATALOG_PROGRAMS_H_
#define GNLC_SERVICES_PARTNERSHIP_CATALOG_PROGRAMS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gnlc/catalog/v1/catalog_service.grpc.pb.h"

namespace gnlc::partnership {

class CatalogPrograms final {
 public:
  explicit CatalogPrograms(const std::string& address);

  // The program; NOT_FOUND if the catalog has none (or archived it);
  // UNAVAILABLE if it cannot answer before `deadline` (capped at 2 s).
  absl::StatusOr<gnlc::catalog::v1::Program> Get(const std::string& name, absl::Time deadline);

 private:
  std::unique_ptr<gnlc::catalog::v1::CatalogService::Stub> stub_;
};

}  // namespace gnlc::partnership

#endif  // GNLC_SERVICES_PARTNERSHIP_CATALOG_PROGRAMS_H_

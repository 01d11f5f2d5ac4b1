#include "services/partnership/catalog_programs.h"

#include <grpcpp/grpcpp.h>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace gnlc::partnership {

CatalogPrograms::CatalogPrograms(const std::string& address)
    : stub_(gnlc::catalog::v1::CatalogService::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<gnlc::catalog::v1::Program> CatalogPrograms::Get(const std::string& name,
                                                                absl::Time deadline) {
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(
      std::min(deadline - absl::Milliseconds(20), absl::Now() + absl::Seconds(2))));
  gnlc::catalog::v1::GetProgramRequest req;
  req.set_name(name);
  gnlc::catalog::v1::GetProgramResponse resp;
  const grpc::Status s = stub_->GetProgram(&ctx, req, &resp);
  if (s.ok()) return resp.program();
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return FromGrpcStatus(s);
  return Unavailable("CATALOG_UNAVAILABLE",
                     "the catalog could not be reached to check the program: retry shortly");
}

}  // namespace gnlc::partnership

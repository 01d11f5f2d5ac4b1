#include "services/catalog/catalog_client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace gnlc::catalog {
namespace {

// Leaves the caller a little of its deadline to turn our answer into theirs.
void Bound(grpc::ClientContext& ctx, absl::Time deadline) {
  ctx.set_deadline(absl::ToChronoTime(
      std::min(deadline - absl::Milliseconds(20), absl::Now() + absl::Seconds(2))));
}

absl::Status CatalogError(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return FromGrpcStatus(status);
  return Unavailable("CATALOG_UNAVAILABLE", "the catalog could not be reached: retry shortly");
}

}  // namespace

CatalogClient::CatalogClient(const std::string& address, const CityConfig& city)
    : stub_(v1::CatalogService::NewStub(
          grpc::CreateChannel(address, auth::CityChannelCredentials(city)))),
      token_(city.auth().service_token_file()) {}

absl::StatusOr<v1::Offering> CatalogClient::GetOffering(const std::string& name,
                                                        absl::Time deadline) {
  grpc::ClientContext ctx;
  Bound(ctx, deadline);
  token_.Apply(ctx);
  v1::GetOfferingRequest req;
  req.set_name(name);
  v1::GetOfferingResponse resp;
  if (grpc::Status s = stub_->GetOffering(&ctx, req, &resp); !s.ok()) return CatalogError(s);
  return std::move(*resp.mutable_offering());
}

absl::StatusOr<v1::Program> CatalogClient::GetProgram(const std::string& name,
                                                      absl::Time deadline) {
  grpc::ClientContext ctx;
  Bound(ctx, deadline);
  token_.Apply(ctx);
  v1::GetProgramRequest req;
  req.set_name(name);
  v1::GetProgramResponse resp;
  if (grpc::Status s = stub_->GetProgram(&ctx, req, &resp); !s.ok()) return CatalogError(s);
  return std::move(*resp.mutable_program());
}

absl::StatusOr<v1::ListProgramsResponse> CatalogClient::ListPrograms(const std::string& city,
                                                                     v1::ProgramState state,
                                                                     const std::string& page_token,
                                                                     absl::Time deadline) {
  grpc::ClientContext ctx;
  Bound(ctx, deadline);
  token_.Apply(ctx);
  v1::ListProgramsRequest req;
  req.set_parent("cities/" + city);
  req.set_page_size(500);
  req.set_page_token(page_token);
  req.set_state(state);
  v1::ListProgramsResponse resp;
  if (grpc::Status s = stub_->ListPrograms(&ctx, req, &resp); !s.ok()) return CatalogError(s);
  return resp;
}

}  // namespace gnlc::catalog

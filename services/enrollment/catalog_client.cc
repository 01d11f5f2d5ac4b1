#include "services/enrollment/catalog_client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "common/status/grpc_status.h"

namespace gnlc::enrollment {
namespace {

namespace cpb = gnlc::catalog::v1;

absl::Status CatalogError(const grpc::Status& status) {
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return FromGrpcStatus(status);
  // Anything else is the catalog's trouble, not the caller's: retry later.
  return Unavailable("CATALOG_UNAVAILABLE",
                     "the catalog could not be reached to check the offering: retry shortly");
}

}  // namespace

CatalogClient::CatalogClient(const std::string& address, std::string city)
    : city_(std::move(city)),
      stub_(cpb::CatalogService::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

absl::StatusOr<std::pair<OfferingFacts, ProgramFacts>> CatalogClient::Fetch(const OfferingRef& ref,
                                                                            absl::Time deadline) {
  // Leave the caller a little time to turn our answer into theirs.
  const absl::Time bound =
      std::min(deadline - absl::Milliseconds(20), absl::Now() + absl::Seconds(2));
  auto context = [&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(absl::ToChronoTime(bound));
    return ctx;
  };
  cpb::GetOfferingRequest offering_req;
  offering_req.set_name(OfferingName(city_, ref.program_id, ref.offering_id));
  cpb::GetOfferingResponse offering_resp;
  if (grpc::Status s = stub_->GetOffering(context().get(), offering_req, &offering_resp); !s.ok()) {
    return CatalogError(s);
  }
  cpb::GetProgramRequest program_req;
  program_req.set_name(ProgramName(city_, ref.program_id));
  cpb::GetProgramResponse program_resp;
  if (grpc::Status s = stub_->GetProgram(context().get(), program_req, &program_resp); !s.ok()) {
    return CatalogError(s);
  }
  return std::make_pair(FactsOf(offering_resp.offering(), ref.offering_id, ref.program_id),
                        FactsOf(program_resp.program(), ref.program_id, /*deleted=*/false));
}

}  // namespace gnlc::enrollment

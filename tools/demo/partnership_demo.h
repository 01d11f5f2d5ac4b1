// Demo partner organisations and partnerships of a city, created through the
// real PartnershipService API: an academic partnership, a community
// collaborative, a concluded curriculum project, and a public-private
// alliance with a funding pool (commitments and disbursements); then, once
// both cities have partners, a Nanjing–Suzhou cross-cultural series with a
// member from the other city.
#ifndef GNLC_TOOLS_DEMO_PARTNERSHIP_DEMO_H_
#define GNLC_TOOLS_DEMO_PARTNERSHIP_DEMO_H_

#include <string>
#include <vector>

#include "gnlc/partnership/v1/partnership_service.grpc.pb.h"

namespace gnlc::demo {

// `programs`: catalog program names the partnerships deliver. Returns 0 on
// success; prints what it did.
int LoadPartnershipDemo(gnlc::partnership::v1::PartnershipService::Stub& stub,
                        const std::string& city, const std::vector<std::string>& programs);

// In `city`, a cross-cultural workshop series whose host is a cultural
// partner of `peer_city` (looked up on the peer's service). Skipped if one
// exists already.
int LinkPeerCity(gnlc::partnership::v1::PartnershipService::Stub& local, const std::string& city,
                 gnlc::partnership::v1::PartnershipService::Stub& peer,
                 const std::string& peer_city);

}  // namespace gnlc::demo

#endif  // GNLC_TOOLS_DEMO_PARTNERSHIP_DEMO_H_

// Fetches the scorecard of each configured peer city from its analytics
// service, all at once, each bounded by one deadline. A peer that fails or
// is slow comes back unavailable with the reason; none delays the answer
// beyond the deadline.
//
//   PeerScorecards peers(config.peers());
//   std::vector<pb::CityScorecard> cards = peers.Fetch(period, absl::Seconds(2));
#ifndef GNLC_SERVICES_ANALYTICS_PEER_SCORECARDS_H_
#define GNLC_SERVICES_ANALYTICS_PEER_SCORECARDS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/analytics/v1/analytics_service.grpc.pb.h"

namespace gnlc::analytics {

namespace pb = gnlc::analytics::v1;

class PeerScorecards final {
 public:
  explicit PeerScorecards(const CityConfig& city);

  // In configuration order.
  std::vector<pb::CityScorecard> Fetch(const pb::Period& period, absl::Duration timeout);

 private:
  struct Peer {
    std::string city;
    std::string setup_error;  // why it cannot be called at all
    std::unique_ptr<pb::AnalyticsService::Stub> stub;
  };
  std::vector<Peer> peers_;
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_PEER_SCORECARDS_H_

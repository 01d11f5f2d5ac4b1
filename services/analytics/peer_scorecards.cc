#include "services/analytics/peer_scorecards.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/transport_credentials.h"
#include "common/names/resource_names.h"
#include "common/validation/validate.h"

namespace gnlc::analytics {
namespace {

// What all the calls of one Fetch share; callbacks may outlive Fetch (a
// call that ignores its deadline), so it is reference-counted.
struct Round {
  absl::Mutex mu;
  int open ABSL_GUARDED_BY(mu) = 0;
  std::vector<pb::CityScorecard> cards ABSL_GUARDED_BY(mu);
};

struct Call {
  grpc::ClientContext ctx;
  pb::GetScorecardRequest req;
  pb::GetScorecardResponse resp;
};

}  // namespace

PeerScorecards::PeerScorecards(const CityConfig& city) {
  // Peers know us by our city certificate (mutual TLS, their peer port).
  const bool certificates = !city.federation().network_ca_file().empty();
  for (const auto& p : city.peers()) {
    Peer peer{p.city_id(), "", nullptr};
    if (p.analytics_address().empty()) {
      peer.setup_error = "no analytics address configured for this peer";
    } else if (!certificates) {
      peer.setup_error = "no federation certificates configured for this city";
    } else {
      // Each peer's channel checks that peer's identity.
      auto creds =
          auth::PeerChannelCredentials(city, std::make_shared<auth::PeerIdentity>(p.city_id()));
      peer.stub = pb::AnalyticsService::NewStub(grpc::CreateChannel(p.analytics_address(), creds));
    }
    peers_.push_back(std::move(peer));
  }
}

std::vector<pb::CityScorecard> PeerScorecards::Fetch(const pb::Period& period,
                                                     absl::Duration timeout) {
  auto round = std::make_shared<Round>();
  const absl::Time deadline = absl::Now() + timeout;
  {
    absl::MutexLock lock(&round->mu);
    round->cards.resize(peers_.size());
    for (size_t i = 0; i < peers_.size(); ++i) {
      round->cards[i].set_city(peers_[i].city);
      round->cards[i].set_error(peers_[i].stub ? "no answer before the deadline"
                                               : peers_[i].setup_error);
    }
  }
  for (size_t i = 0; i < peers_.size(); ++i) {
    if (!peers_[i].stub) continue;
    auto call = std::make_shared<Call>();
    call->ctx.set_deadline(absl::ToChronoTime(deadline));
    call->req.set_parent(CityName(peers_[i].city));
    *call->req.mutable_period() = period;
    {
      absl::MutexLock lock(&round->mu);
      ++round->open;
    }
    peers_[i].stub->async()->GetScorecard(
        &call->ctx, &call->req, &call->resp, [round, call, i](grpc::Status s) {
          absl::MutexLock lock(&round->mu);
          pb::CityScorecard& card = round->cards[i];
          if (s.ok()) {
            card.set_available(true);
            card.clear_error();
            *card.mutable_indicators() = call->resp.indicators();
            // A peer's words reach our page: only well-formed, short names.
            const auto& name = call->resp.city_display_name();
            if (ValidateText("zh", name.zh(), 64).ok() && ValidateText("en", name.en(), 64).ok()) {
              *card.mutable_display_name() = name;
            }
          } else {
            card.set_error(
                absl::StrCat(grpc::StatusCode(s.error_code()) == grpc::StatusCode::DEADLINE_EXCEEDED
                                 ? "no answer before the deadline"
                                 : "the peer failed",
                             " (code ", s.error_code(), ": ", s.error_message(), ")"));
          }
          --round->open;
        });
  }
  // gRPC ends every call by its deadline; the margin covers the callback.
  absl::MutexLock lock(&round->mu);
  round->mu.AwaitWithDeadline(absl::Condition(
                                  +[](int* open) { return *open == 0; }, &round->open),
                              deadline + absl::Milliseconds(50));
  return round->cards;
}

}  // namespace gnlc::analytics

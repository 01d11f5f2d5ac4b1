// RpcService::Rpc, the one way to register an RPC: it finds the method by
// the handler's request and response types, and a service that leaves a
// method out, registers one twice, or gives a handler of no method's types
// stops at start, before it takes a call.
#include "common/server/rpc_service.h"

#include <gtest/gtest.h>

#include "gnlc/analytics/v1/analytics_service.grpc.pb.h"

namespace gnlc {
namespace {

namespace pb = gnlc::analytics::v1;

// Which methods a test service registers.
enum class Plan { kAll, kOneLeftOut, kOneTwice, kWrongTypes };

class TestService final : public RpcService<pb::AnalyticsService> {
 public:
  explicit TestService(Plan plan) : RpcService(RpcEdge{}) {
    Rpc(&TestService::DoGetScorecard);
    Rpc(&TestService::DoGetIndicatorSeries, {.inline_call = true});
    Rpc(&TestService::DoGetBreakdown);
    Rpc(&TestService::DoSetTarget,
        {.own_check = [](const CallAuth&, const auto&) { return absl::OkStatus(); }});
    if (plan != Plan::kOneLeftOut) Rpc(&TestService::DoListTargets);
    if (plan == Plan::kOneTwice) Rpc(&TestService::DoGetScorecard);
    // A handler whose request is one method's and response another's.
    if (plan == Plan::kWrongTypes) Rpc(&TestService::DoMismatched);
    Rpc(&TestService::DoCompareCities);
    CheckAllServed();
  }

  // Which method each handler was registered for, by gRPC's method index.
  std::string MethodOf(int index) const {
    return google::protobuf::DescriptorPool::generated_pool()
        ->FindServiceByName(pb::AnalyticsService::service_full_name())
        ->method(index)
        ->name();
  }

 private:
  absl::Status DoGetScorecard(const pb::GetScorecardRequest&, pb::GetScorecardResponse&) {
    return absl::OkStatus();
  }
  absl::Status DoGetIndicatorSeries(const CallAuth&, const pb::GetIndicatorSeriesRequest&,
                                    pb::GetIndicatorSeriesResponse&) {
    return absl::OkStatus();
  }
  absl::Status DoGetBreakdown(const pb::GetBreakdownRequest&, pb::GetBreakdownResponse&,
                              absl::Time) {
    return absl::OkStatus();
  }
  absl::Status DoSetTarget(const pb::SetTargetRequest&, pb::SetTargetResponse&) {
    return absl::OkStatus();
  }
  absl::Status DoListTargets(const CallAuth&, const pb::ListTargetsRequest&,
                             pb::ListTargetsResponse&, absl::Time) {
    return absl::OkStatus();
  }
  absl::Status DoMismatched(const pb::ListTargetsRequest&, pb::GetScorecardResponse&) {
    return absl::OkStatus();
  }
  absl::Status DoCompareCities(const pb::CompareCitiesRequest&, pb::CompareCitiesResponse&,
                               absl::Time) {
    return absl::OkStatus();
  }
};

TEST(RpcService, EveryHandlerShapeRegistersItsMethod) {
  // CheckAllServed would abort if any method were left unregistered.
  TestService service(Plan::kAll);
  EXPECT_EQ(service.MethodOf(0), "GetScorecard");
}

TEST(RpcServiceDeathTest, AMethodLeftOutStopsTheServiceAtStart) {
  EXPECT_DEATH(TestService(Plan::kOneLeftOut), "ListTargets is not served");
}

TEST(RpcServiceDeathTest, AMethodRegisteredTwiceStopsTheServiceAtStart) {
  EXPECT_DEATH(TestService(Plan::kOneTwice), "GetScorecard is registered twice");
}

TEST(RpcServiceDeathTest, AHandlerOfNoMethodsTypesStopsTheServiceAtStart) {
  EXPECT_DEATH(TestService(Plan::kWrongTypes), "ListTargetsRequest is the request of no method");
}

}  // namespace
}  // namespace gnlc

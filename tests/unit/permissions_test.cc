// The permission table itself: one row per RPC of the contract (from the
// compiled descriptors), and the few rules the issue states outright.
#include "common/auth/permissions.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gnlc/analytics/v1/analytics_service.pb.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"
#include "gnlc/partnership/v1/partnership_service.pb.h"

namespace gnlc::auth {
namespace {

std::vector<const google::protobuf::ServiceDescriptor*> Services() {
  return {gnlc::catalog::v1::GetProgramRequest::descriptor()->file()->FindServiceByName(
              "CatalogService"),
          gnlc::enrollment::v1::GetLearnerRequest::descriptor()->file()->FindServiceByName(
              "EnrollmentService"),
          gnlc::partnership::v1::GetPartnerRequest::descriptor()->file()->FindServiceByName(
              "PartnershipService"),
          gnlc::analytics::v1::GetScorecardRequest::descriptor()->file()->FindServiceByName(
              "AnalyticsService")};
}

std::set<std::string> AllMethods() {
  std::set<std::string> out;
  for (const auto* s : Services()) {
    for (int i = 0; i < s->method_count(); ++i) {
      out.insert(absl::StrCat(s->full_name(), "/", s->method(i)->name()));
    }
  }
  return out;
}

TEST(Permissions, EveryRpcHasExactlyOneRowAndEveryRowAnRpc) {
  const std::set<std::string> methods = AllMethods();
  ASSERT_GT(methods.size(), 40u);
  for (const auto& m : methods) EXPECT_NE(FindPolicy(m), nullptr) << m << " has no row";
  std::set<std::string> rows;
  for (const MethodPolicy& p : AllPolicies()) {
    EXPECT_TRUE(methods.contains(std::string(p.method))) << p.method << " is not an RPC";
    EXPECT_TRUE(rows.insert(std::string(p.method)).second) << p.method << " twice";
  }
}

TEST(Permissions, AnonymousCallersReadOnlyThePublicCatalog) {
  std::set<std::string> open;
  for (const MethodPolicy& p : AllPolicies()) {
    if (AccessFor(p, Caller{}) != Access::kDeny) open.insert(std::string(p.method));
  }
  const std::string c = "gnlc.catalog.v1.CatalogService/";
  EXPECT_EQ(open, (std::set<std::string>{c + "GetProgram", c + "ListPrograms", c + "SearchPrograms",
                                         c + "GetOffering", c + "ListOfferings",
                                         c + "BatchGetOfferings"}));
}

TEST(Permissions, PeerCitiesReachOnlyTheFeedItsDigestAndTheScorecard) {
  std::set<std::string> open;
  const Caller peer{Role::kPeerCity, "", "", "suzhou"};
  for (const MethodPolicy& p : AllPolicies()) {
    if (AccessFor(p, peer) != Access::kDeny) open.insert(std::string(p.method));
  }
  EXPECT_EQ(open, (std::set<std::string>{"gnlc.catalog.v1.CatalogService/ListProgramChanges",
                                         "gnlc.catalog.v1.CatalogService/GetFeedDigest",
                                         "gnlc.analytics.v1.AnalyticsService/GetScorecard"}));
}

TEST(Permissions, MobileBackendsReachThePublicCatalogAndTheirNotificationsOnly) {
  const Caller backend{Role::kMobileBackend, "nanjing-app", "", "", ""};
  std::set<std::string> open;
  for (const MethodPolicy& p : AllPolicies()) {
    const Access access = AccessFor(p, backend);
    if (access == Access::kDeny) continue;
    open.insert(std::string(p.method));
    const bool public_read = AccessFor(p, Caller{}) == Access::kAny;
    EXPECT_EQ(access, public_read ? Access::kAny : Access::kOwn) << p.method;
  }
  const std::string c = "gnlc.catalog.v1.CatalogService/";
  EXPECT_EQ(open,
            (std::set<std::string>{c + "GetProgram", c + "ListPrograms", c + "SearchPrograms",
                                   c + "GetOffering", c + "ListOfferings", c + "BatchGetOfferings",
                                   "gnlc.enrollment.v1.EnrollmentService/"
                                   "SubscribeNotifications"}));
}

TEST(Permissions, BackendClaimsAreIdsOrTheTokenIsInvalid) {
  auto backend = CallerFromClaims({{"role", "mobile_backend"}, {"sub", "nanjing-app"}});
  ASSERT_TRUE(backend.ok()) << backend.status();
  EXPECT_EQ(backend->role, Role::kMobileBackend);
  EXPECT_FALSE(CallerFromClaims({{"role", "mobile_backend"}, {"sub", "Nanjing App"}}).ok());
  auto resident =
      CallerFromClaims({{"role", "resident"}, {"sub", "person-1"}, {"azp", "nanjing-app"}});
  ASSERT_TRUE(resident.ok()) << resident.status();
  EXPECT_EQ(resident->client, "nanjing-app");
  EXPECT_FALSE(CallerFromClaims({{"role", "resident"}, {"sub", "p"}, {"azp", "../x"}}).ok());
  EXPECT_EQ(CallerFromClaims({{"role", "resident"}, {"sub", "p"}})->client, "");
}

TEST(Permissions, ServiceTokensReachOnlyWhatTheirServiceNeeds) {
  for (const char* service : {"enrollment", "partnership"}) {
    for (const MethodPolicy& p : AllPolicies()) {
      const bool open = AccessFor(p, Caller{Role::kService, service, "", "", ""}) != Access::kDeny;
      const bool catalog_read = absl::StartsWith(p.method, "gnlc.catalog.v1.") &&
                                p.kind == CallKind::kRead && p.anonymous == Access::kAny;
      EXPECT_EQ(open, catalog_read) << service << " " << p.method;
    }
  }
  // Analytics reads the enrollment records and lists the programs, only to
  // recount what it missed.
  for (const MethodPolicy& p : AllPolicies()) {
    const bool recount = p.method == "gnlc.enrollment.v1.EnrollmentService/ListStatisticsRecords" ||
                         p.method == "gnlc.catalog.v1.CatalogService/ListPrograms";
    EXPECT_EQ(AccessFor(p, Caller{Role::kService, "analytics", "", "", ""}),
              recount ? Access::kAny : Access::kDeny)
        << p.method;
  }
}

TEST(Permissions, CityAdminsMayCallEverythingOfTheirCity) {
  for (const MethodPolicy& p : AllPolicies()) {
    EXPECT_EQ(AccessFor(p, Caller{Role::kCityAdmin, "admin", "", "", ""}), Access::kAny)
        << p.method;
  }
}

TEST(Permissions, DataRightsCallsAreMarkedForTheAudit) {
  EXPECT_EQ(FindPolicy("gnlc.enrollment.v1.EnrollmentService/ExportLearnerData")->kind,
            CallKind::kDataRights);
  EXPECT_EQ(FindPolicy("gnlc.enrollment.v1.EnrollmentService/EraseLearner")->kind,
            CallKind::kDataRights);
}

}  // namespace
}  // namespace gnlc::auth

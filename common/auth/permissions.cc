#include "common/auth/permissions.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_split.h"

namespace gnlc::auth {
namespace {

constexpr Access D = Access::kDeny;
constexpr Access A = Access::kAny;
constexpr Access O = Access::kOwn;
constexpr CallKind R = CallKind::kRead;
constexpr CallKind C = CallKind::kChange;
constexpr CallKind X = CallKind::kDataRights;
constexpr CallKind Y = CallKind::kPersonalRead;

// Reads of the catalog that enrollment (offering facts) and partnership
// (linked programs) make with their service tokens.
constexpr absl::string_view kCatalogReaders = "enrollment partnership";
// Analytics lists the programs when it recounts what it missed.
constexpr absl::string_view kProgramListers = "enrollment partnership analytics";

// clang-format off
constexpr MethodPolicy kPolicies[] = {
  // method                                                 kind anon res  partner analyst admin backend services         peer
  {"gnlc.catalog.v1.CatalogService/CreateProgram",         C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/GetProgram",            R,   A,   A,   A,      A,      A,    A,      kCatalogReaders, D},
  {"gnlc.catalog.v1.CatalogService/UpdateProgram",         C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/DeleteProgram",         C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/ListPrograms",          R,   A,   A,   A,      A,      A,    A,      kProgramListers, D},
  {"gnlc.catalog.v1.CatalogService/SearchPrograms",        R,   A,   A,   A,      A,      A,    A,      kCatalogReaders, D},
  {"gnlc.catalog.v1.CatalogService/CreateOffering",        C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/GetOffering",           R,   A,   A,   A,      A,      A,    A,      kCatalogReaders, D},
  {"gnlc.catalog.v1.CatalogService/UpdateOffering",        C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/CancelOffering",        C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/ListOfferings",         R,   A,   A,   A,      A,      A,    A,      kCatalogReaders, D},
  {"gnlc.catalog.v1.CatalogService/BatchGetOfferings",     R,   A,   A,   A,      A,      A,    A,      kCatalogReaders, D},
  {"gnlc.catalog.v1.CatalogService/ListProgramChanges",    R,   D,   D,   D,      D,      A,    D,      "",              A},
  {"gnlc.catalog.v1.CatalogService/GetFeedDigest",         R,   D,   D,   D,      D,      A,    D,      "",              A},
  {"gnlc.catalog.v1.CatalogService/ListPeerStatuses",      R,   D,   D,   D,      A,      A,    D,      "",              D},
  {"gnlc.catalog.v1.CatalogService/ImportCatalogHistory",  C,   D,   D,   D,      D,      A,    D,      "",              D},

  {"gnlc.enrollment.v1.EnrollmentService/CreateLearner",   C,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/GetLearner",      Y,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/UpdateLearner",   C,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/CreateEnrollment",C,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/GetEnrollment",   Y,   D,   O,   O,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/CancelEnrollment",C,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ListEnrollments", Y,   D,   O,   O,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/CompleteEnrollment",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/GetOfferingSeats",R,   D,   A,   A,      A,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/RecordEmploymentOutcome",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/SubmitFeedback",  C,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ExportLearnerData",X,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/SubscribeNotifications",Y,   D,   D,   D,      D,      A,    O,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/EraseLearner",    X,   D,   O,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ImportHistory",   C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ArchiveHistory",  C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ConfirmArchive",  C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.enrollment.v1.EnrollmentService/ListStatisticsRecords",Y,   D,   D,   D,      D,      A,    D,      "analytics",     D},

  {"gnlc.partnership.v1.PartnershipService/CreatePartner", C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/GetPartner",    R,   D,   D,   A,      A,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/UpdatePartner", C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/ListPartners",  R,   D,   D,   A,      A,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/CreatePartnership",C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/GetPartnership",R,   D,   D,   A,      A,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/UpdatePartnership",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/ListPartnerships",R,   D,   D,   A,      A,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/AddPartnershipMember",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/RemovePartnershipMember",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/TransitionPartnership",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/RecordFundingCommitment",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/RecordDisbursement",C,   D,   D,   O,      D,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/GetFundingSummary",R,   D,   D,   A,      A,      A,    D,      "",              D},
  {"gnlc.partnership.v1.PartnershipService/ListPartnershipPrograms",R,   D,   D,   A,      A,      A,    D,      "",              D},

  {"gnlc.analytics.v1.AnalyticsService/GetScorecard",      R,   D,   D,   D,      A,      A,    D,      "",              A},
  {"gnlc.analytics.v1.AnalyticsService/GetIndicatorSeries",R,   D,   D,   D,      A,      A,    D,      "",              D},
  {"gnlc.analytics.v1.AnalyticsService/GetBreakdown",      R,   D,   D,   D,      A,      A,    D,      "",              D},
  {"gnlc.analytics.v1.AnalyticsService/SetTarget",         C,   D,   D,   D,      D,      A,    D,      "",              D},
  {"gnlc.analytics.v1.AnalyticsService/ListTargets",       R,   D,   D,   D,      A,      A,    D,      "",              D},
  {"gnlc.analytics.v1.AnalyticsService/CompareCities",     R,   D,   D,   D,      A,      A,    D,      "",              D},
};
// clang-format on

bool ServiceMayCall(const MethodPolicy& policy, absl::string_view service) {
  for (absl::string_view s : absl::StrSplit(policy.services, ' ', absl::SkipEmpty())) {
    if (s == service) return true;
  }
  return false;
}

}  // namespace

const MethodPolicy* FindPolicy(absl::string_view full_method) {
  static const auto* index = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, const MethodPolicy*>();
    for (const MethodPolicy& p : kPolicies) m->emplace(p.method, &p);
    return m;
  }();
  auto it = index->find(full_method);
  return it == index->end() ? nullptr : it->second;
}

Access AccessFor(const MethodPolicy& policy, const Caller& caller) {
  switch (caller.role) {
    case Role::kAnonymous:
      return policy.anonymous;
    case Role::kResident:
      return policy.resident;
    case Role::kPartnerAdmin:
      return policy.partner_admin;
    case Role::kAnalyst:
      return policy.analyst;
    case Role::kCityAdmin:
      return policy.city_admin;
    case Role::kMobileBackend:
      return policy.mobile_backend;
    case Role::kService:
      return ServiceMayCall(policy, caller.subject) ? Access::kAny : Access::kDeny;
    case Role::kPeerCity:
      return policy.peer_city;
  }
  return Access::kDeny;
}

absl::Span<const MethodPolicy> AllPolicies() { return kPolicies; }

}  // namespace gnlc::auth

// The permission matrix: every RPC of every service, enumerated from the
// service descriptors (a new RPC without a row here fails), called through
// its real gRPC interface over TLS as each kind of caller, with the exact
// code each must get. The expectations are written out here by hand, from
// the issue's rules, independently of common/auth/permissions.cc.
//
// Each call gets fresh objects where it changes them (a learner, an
// enrollment, a program, a partnership), so the calls do not depend on
// each other's order and every allowed caller can be expected to succeed.
#include <gmock/gmock.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/auth/dev_pki.h"
#include "common/status/errors.h"
#include "tests/integration/city_harness.h"
#include "tests/support/test_security.h"
#include "tools/gnlcctl/json_rpc.h"

namespace gnlc {
namespace {

namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
namespace ppb = gnlc::partnership::v1;
using google::protobuf::util::TimeUtil;

// The callers, in the column order of the expectations below.
enum Who {
  kAnonymous,
  kResidentOwn,
  kResidentOther,
  kPartnerLead,
  kPartnerMember,
  kPartnerOther,
  kAnalyst,
  kCityAdmin,
  kService,
  kMobileBackend,
  kAppResident,
  kAppCityAdmin,
  kPeerCity,
  kCallers
};
constexpr const char* kWhoNames[kCallers] = {"anonymous",
                                             "resident(own)",
                                             "resident(other's)",
                                             "partner_admin(lead)",
                                             "partner_admin(member)",
                                             "partner_admin(outsider)",
                                             "analyst",
                                             "city_admin",
                                             "service(enrollment)",
                                             "mobile_backend",
                                             "resident of the app issuer (same sub)",
                                             "city_admin claimed by the app issuer",
                                             "peer city"};

// O OK, U UNAUTHENTICATED, P PERMISSION_DENIED, N NOT_FOUND, A ALREADY_EXISTS,
// - no such port (peer cities reach only catalog and analytics).
grpc::StatusCode CodeOf(char c) {
  switch (c) {
    case 'O':
      return grpc::StatusCode::OK;
    case 'U':
      return grpc::StatusCode::UNAUTHENTICATED;
    case 'P':
      return grpc::StatusCode::PERMISSION_DENIED;
    case 'N':
      return grpc::StatusCode::NOT_FOUND;
    case 'A':
      return grpc::StatusCode::ALREADY_EXISTS;
  }
  ADD_FAILURE() << "bad expectation " << c;
  return grpc::StatusCode::UNKNOWN;
}

google::protobuf::Timestamp At(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::string Json(const google::protobuf::Message& m) {
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(m, &out).ok());
  return out;
}

// What one call works on, made fresh for it.
struct Fresh {
  std::string learner;      // resident "own"'s learner, consents to share progress
  std::string enrollment;   // its confirmed enrollment in the delivered offering
  std::string completed;    // its completed enrollment (skills program)
  std::string program;      // a program of its own, with...
  std::string offering;     // ...an offering of its own
  std::string partnership;  // P1 lead, P4 funder, P3 member; active, with a commitment
  std::string proposed;     // P1 lead, P4 funder, P3 member; proposed (not yet approved)
  std::string subject;      // the own resident's token subject
};

class PermissionMatrixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    city_ = gnlc::testing::WholeCity::Start();
    ASSERT_NE(city_, nullptr);
    catalog_ = city_->catalog.get();
    enrollment_ = city_->enrollment.get();
    partnership_ = city_->partnership.get();
    analytics_ = city_->analytics.get();
    ports_ = city_->ports;
    peer_ports_ = city_->peer_ports;
    MakeWorld();
  }

  // Shared objects: a skills program delivered by an active partnership of
  // P1 (lead), P4 (funder) and P3 (member); P2 is in none. Offerings open
  // for enrollment.
  void MakeWorld() {
    p1_ = CreatePartner("p1");
    p2_ = CreatePartner("p2");
    p3_ = CreatePartner("p3");
    p4_ = CreatePartner("p4");
    cpb::Program program =
        catalog::testing::NewProgram("技能", "Skills", gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING);
    program = catalog::testing::MustCreateProgram(*catalog_->stub, program);
    program_ = program.name();
    offering_ = NewOffering(program_, absl::Hours(48));
    second_offering_ = NewOffering(program_, absl::Hours(48));
    completion_offering_ = NewOffering(program_, absl::Hours(48));
    ppb::CreatePartnershipRequest req;
    req.set_parent("cities/nanjing");
    *req.mutable_partnership() = PartnershipWith({p1_, p4_, p3_});
    req.mutable_partnership()->add_programs(program_);
    ppb::CreatePartnershipResponse resp;
    ASSERT_TRUE(
        partnership_->stub->CreatePartnership(catalog::testing::Ctx().get(), req, &resp).ok());
    delivering_ = resp.partnership().name();
    ActivateAsCity(delivering_);
    // Enrollment learns of the activation from the partnership stream.
    WaitForRoster(p1_);
  }

  std::string CreatePartner(const std::string& label) {
    ppb::CreatePartnerRequest req;
    req.set_parent("cities/nanjing");
    req.mutable_partner()->set_type(ppb::ORGANISATION_TYPE_NGO);
    req.mutable_partner()->mutable_display_name()->set_en("Partner " + label);
    req.mutable_partner()->set_home_city("nanjing");
    ppb::CreatePartnerResponse resp;
    const grpc::Status s =
        partnership_->stub->CreatePartner(catalog::testing::Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.partner().name();
  }

  void ActivateAsCity(const std::string& partnership) {
    ppb::TransitionPartnershipRequest tr;
    tr.set_name(partnership);
    tr.set_to_state(ppb::PARTNERSHIP_STATE_ACTIVE);
    tr.set_actor("matrix");
    ppb::TransitionPartnershipResponse tresp;
    const grpc::Status s =
        partnership_->stub->TransitionPartnership(catalog::testing::Ctx().get(), tr, &tresp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }

  // What `partner`'s admin gets for the roster of `offering`.
  grpc::StatusCode RosterCode(const std::string& partner, const std::string& offering) {
    auto stub = epb::EnrollmentService::NewStub(
        gnlc::testing::SecureChannel(ports_.at("enrollment"), "nanjing", PartnerToken(partner)));
    grpc::ClientContext ctx;
    epb::ListEnrollmentsRequest req;
    req.set_offering(offering);
    epb::ListEnrollmentsResponse resp;
    return stub->ListEnrollments(&ctx, req, &resp).error_code();
  }

  // Polls until `partner`'s admin may read the delivered offering's roster
  // (enrollment follows the partnership stream).
  void WaitForRoster(const std::string& partner) {
    for (int i = 0; i < 500; ++i) {
      if (RosterCode(partner, offering_) == grpc::StatusCode::OK) return;
      absl::SleepFor(absl::Milliseconds(10));
    }
    ADD_FAILURE() << partner << " never got the roster of " << offering_;
  }

  static std::string PartnerToken(const std::string& partner) {
    return gnlc::testing::TestToken("nanjing",
                                    {.role = "partner_admin",
                                     .subject = "staff-" + partner.substr(partner.rfind('/') + 1),
                                     .partner = partner.substr(partner.rfind('/') + 1),
                                     .ttl = absl::Hours(1)});
  }

  // Lead first, then a funder, then plain members.
  ppb::Partnership PartnershipWith(const std::vector<std::string>& lead_then_funder) {
    ppb::Partnership p;
    p.set_model(ppb::PARTNERSHIP_MODEL_FUNDING_POOL);
    p.mutable_title()->set_en("Matrix partnership");
    p.add_sdg_goals(4);
    *p.mutable_start_time() = At(absl::Now());
    auto* lead = p.add_members();
    lead->set_partner(lead_then_funder[0]);
    lead->set_role(ppb::MEMBER_ROLE_LEAD);
    auto* funder = p.add_members();
    funder->set_partner(lead_then_funder[1]);
    funder->set_role(ppb::MEMBER_ROLE_FUNDER);
    for (size_t i = 2; i < lead_then_funder.size(); ++i) {
      auto* member = p.add_members();
      member->set_partner(lead_then_funder[i]);
      member->set_role(ppb::MEMBER_ROLE_MEMBER);
    }
    return p;
  }

  // An offering of `program` starting `starts_in` from now, open for
  // enrollment now.
  std::string NewOffering(const std::string& program, absl::Duration starts_in) {
    const absl::Time now = absl::Now();
    cpb::Offering o = catalog::testing::NewOffering(now, starts_in, 32.05, 118.78, "gulou", 5000);
    *o.mutable_enrollment_open_time() = At(now - absl::Hours(1));
    *o.mutable_enrollment_close_time() = At(now + starts_in);
    *o.mutable_end_time() = At(now + starts_in + absl::Hours(24 * 5));
    return catalog::testing::MustCreateOffering(*catalog_->stub, program, o).name();
  }

  Fresh MakeFresh(int n) {
    Fresh f;
    auto& es = *enrollment_->stub;
    auto ctx = [] { return catalog::testing::Ctx(); };
    f.subject = absl::StrCat("resident-", n);
    epb::CreateLearnerRequest lr;
    lr.set_parent("cities/nanjing");
    lr.mutable_learner()->set_external_subject(f.subject);
    lr.mutable_learner()->set_district("gulou");
    lr.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
    lr.mutable_learner()->mutable_consents()->set_share_progress_with_provider(true);
    epb::CreateLearnerResponse lresp;
    EXPECT_TRUE(es.CreateLearner(ctx().get(), lr, &lresp).ok());
    f.learner = lresp.learner().name();
    auto enroll = [&](const std::string& offering) {
      epb::CreateEnrollmentRequest er;
      er.set_parent("cities/nanjing");
      er.set_learner(f.learner);
      er.set_offering(offering);
      epb::CreateEnrollmentResponse eresp;
      const grpc::Status s = es.CreateEnrollment(ctx().get(), er, &eresp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      return eresp.enrollment().name();
    };
    f.enrollment = enroll(offering_);
    f.completed = enroll(completion_offering_);
    epb::CompleteEnrollmentRequest cr;
    cr.set_name(f.completed);
    cr.mutable_completion()->set_outcome(epb::COMPLETION_OUTCOME_PASSED);
    cr.mutable_completion()->set_hours(10);
    epb::CompleteEnrollmentResponse cresp;
    const grpc::Status completed = es.CompleteEnrollment(ctx().get(), cr, &cresp);
    EXPECT_TRUE(completed.ok()) << completed.error_message();

    cpb::Program program = catalog::testing::MustCreateProgram(
        *catalog_->stub, catalog::testing::NewProgram("新课", "Fresh course"));
    f.program = program.name();
    f.offering = NewOffering(f.program, absl::Hours(72));

    auto& ps = *partnership_->stub;
    ppb::CreatePartnershipRequest pr;
    pr.set_parent("cities/nanjing");
    *pr.mutable_partnership() = PartnershipWith({p1_, p4_});
    ppb::CreatePartnershipResponse presp;
    EXPECT_TRUE(ps.CreatePartnership(ctx().get(), pr, &presp).ok());
    f.partnership = presp.partnership().name();
    ppb::AddPartnershipMemberRequest ar;
    ar.set_partnership(f.partnership);
    ar.mutable_member()->set_partner(p3_);
    ar.mutable_member()->set_role(ppb::MEMBER_ROLE_MEMBER);
    ppb::AddPartnershipMemberResponse aresp;
    EXPECT_TRUE(ps.AddPartnershipMember(ctx().get(), ar, &aresp).ok());
    ppb::TransitionPartnershipRequest tr;
    tr.set_name(f.partnership);
    tr.set_to_state(ppb::PARTNERSHIP_STATE_ACTIVE);
    tr.set_actor("matrix");
    ppb::TransitionPartnershipResponse tresp;
    EXPECT_TRUE(ps.TransitionPartnership(ctx().get(), tr, &tresp).ok());
    ppb::RecordFundingCommitmentRequest fr;
    fr.set_partnership(f.partnership);
    fr.mutable_commitment()->set_funder(p4_);
    *fr.mutable_commitment()->mutable_amount() = partnership::testing::Cny(1000);
    ppb::RecordFundingCommitmentResponse fresp;
    const grpc::Status committed = ps.RecordFundingCommitment(ctx().get(), fr, &fresp);
    EXPECT_TRUE(committed.ok()) << committed.error_message();
    *pr.mutable_partnership() = PartnershipWith({p1_, p4_, p3_});
    ppb::CreatePartnershipResponse proposed;
    EXPECT_TRUE(ps.CreatePartnership(ctx().get(), pr, &proposed).ok());
    f.proposed = proposed.partnership().name();
    return f;
  }

  static std::string ResidentToken(const std::string& subject) {
    return gnlc::testing::TestToken(
        "nanjing", {.role = "resident", .subject = subject, .partner = "", .ttl = absl::Hours(1)});
  }

  std::string Token(Who who, const Fresh& f) {
    auto token = [](const std::string& role, const std::string& sub,
                    const std::string& partner = "") {
      return gnlc::testing::TestToken(
          "nanjing", {.role = role, .subject = sub, .partner = partner, .ttl = absl::Hours(1)});
    };
    auto id = [](const std::string& name) { return name.substr(name.rfind('/') + 1); };
    switch (who) {
      case kResidentOwn:
        return token("resident", f.subject);
      case kResidentOther:
        return token("resident", "someone-else");
      case kPartnerLead:
        return token("partner_admin", "staff-1", id(p1_));
      case kPartnerMember:
        return token("partner_admin", "staff-3", id(p3_));
      case kPartnerOther:
        return token("partner_admin", "staff-2", id(p2_));
      case kAnalyst:
        return token("analyst", "analyst-1");
      case kCityAdmin:
        return token("city_admin", "admin-1");
      case kService:
        return token("service", "enrollment");
      case kMobileBackend:
        return token("mobile_backend", "nanjing-app");
      // A second identity provider, trusted for residents only: its
      // resident with the own resident's sub is someone else, and it cannot
      // mint a city admin.
      case kAppResident:
        return gnlc::testing::AppIssuerToken(
            "nanjing",
            {.role = "resident", .subject = f.subject, .partner = "", .ttl = absl::Hours(1)});
      case kAppCityAdmin:
        return gnlc::testing::AppIssuerToken(
            "nanjing",
            {.role = "city_admin", .subject = "admin-1", .partner = "", .ttl = absl::Hours(1)});
      default:
        return "";
    }
  }

  std::unique_ptr<gnlc::testing::WholeCity> city_;
  catalog::testing::CatalogReplica* catalog_ = nullptr;
  enrollment::testing::EnrollmentServer* enrollment_ = nullptr;
  partnership::testing::PartnershipServer* partnership_ = nullptr;
  analytics::testing::AnalyticsServer* analytics_ = nullptr;
  std::map<std::string, int> ports_, peer_ports_;
  std::string p1_, p2_, p3_, p4_, program_, offering_, second_offering_, completion_offering_,
      delivering_;
};

// A row: the method ("catalog.GetProgram"), what the request is, the
// expected code per caller (columns as in Who), and the request.
struct Row {
  std::string method;
  std::string variant;
  std::string expect;
  std::function<std::string(const Fresh&)> request;
};

TEST_F(PermissionMatrixTest, EveryRpcGivesEachCallerExactlyItsCode) {
  const std::string city = R"("parent":"cities/nanjing")";
  const std::string year =
      absl::StrCat(R"("period":{"kind":"PERIOD_KIND_YEAR","year":)",
                   absl::FormatTime("%Y", absl::Now(), absl::UTCTimeZone()), "}");
  auto quoted = [](const std::string& s) { return absl::StrCat("\"", s, "\""); };
  // Columns: anon, res(own), res(other's), partner(lead), partner(member),
  //          partner(outsider), analyst, city_admin, service, mobile_backend,
  //          app issuer's resident (own sub), app issuer's "city_admin",
  //          peer city.
  const std::vector<Row> rows = {
      // --- catalog: the public catalog is for everyone; changes for the city.
      {"catalog.CreateProgram", "", "UPPPPPPOPPPPP",
       [&](const Fresh&) {
         cpb::CreateProgramRequest r;
         r.set_parent("cities/nanjing");
         *r.mutable_program() = catalog::testing::NewProgram("矩阵", "Matrix");
         return Json(r);
       }},
      {"catalog.GetProgram", "", "OOOOOOOOOOOPP",
       [&](const Fresh&) { return absl::StrCat(R"({"name":)", quoted(program_), "}"); }},
      {"catalog.UpdateProgram", "", "UPPPPPPOPPPPP",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"program":{"name":)", quoted(f.program),
                             R"(,"title":{"zh":"新名","en":"New name"}},"updateMask":"title"})");
       }},
      {"catalog.DeleteProgram", "", "UPPPPPPOPPPPP",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.program), "}"); }},
      {"catalog.ListPrograms", "", "OOOOOOOOOOOPP", [&](const Fresh&) { return "{" + city + "}"; }},
      {"catalog.SearchPrograms", "", "OOOOOOOOOOOPP",
       [&](const Fresh&) { return "{" + city + R"(,"query":"skills"})"; }},
      {"catalog.CreateOffering", "", "UPPPPPPOPPPPP",
       [&](const Fresh& f) {
         cpb::CreateOfferingRequest r;
         r.set_parent(f.program);
         *r.mutable_offering() =
             catalog::testing::NewOffering(absl::Now(), absl::Hours(96), 32.05, 118.78, "gulou");
         return Json(r);
       }},
      {"catalog.GetOffering", "", "OOOOOOOOOOOPP",
       [&](const Fresh&) { return absl::StrCat(R"({"name":)", quoted(offering_), "}"); }},
      {"catalog.UpdateOffering", "", "UPPPPPPOPPPPP",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"offering":{"name":)", quoted(f.offering),
                             R"(,"capacity":{"seats":40}},"updateMask":"capacity"})");
       }},
      {"catalog.CancelOffering", "", "UPPPPPPOPPPPP",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"name":)", quoted(f.offering), R"(,"reason":{"en":"matrix"}})");
       }},
      {"catalog.ListOfferings", "", "OOOOOOOOOOOPP",
       [&](const Fresh&) { return absl::StrCat(R"({"parent":)", quoted(program_), "}"); }},
      {"catalog.BatchGetOfferings", "", "OOOOOOOOOOOPP",
       [&](const Fresh&) { return absl::StrCat(R"({"names":[)", quoted(offering_), "]}"); }},
      {"catalog.ListProgramChanges", "", "UPPPPPPOPPPPO",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"catalog.GetFeedDigest", "", "UPPPPPPOPPPPO",
       [&](const Fresh&) { return "{" + city + R"(,"bucketCount":16})"; }},
      {"catalog.ListPeerStatuses", "", "UPPPPPOOPPPPP",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"catalog.ImportCatalogHistory", "(no rows)", "UPPPPPPOPPPPP",
       [&](const Fresh&) { return "{" + city + "}"; }},

      // --- enrollment: a resident's own records; rosters for the city and
      // the delivering partner; no peer port.
      {"enrollment.CreateLearner", "(own subject already has one)", "UAOPPPPOPPOP-",
       [&](const Fresh&) {
         return "{" + city + R"(,"learner":{"district":"gulou","ageBand":"AGE_BAND_ADULT"}})";
       }},
      {"enrollment.GetLearner", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.learner), "}"); }},
      {"enrollment.UpdateLearner", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"learner":{"name":)", quoted(f.learner),
                             R"(,"district":"xuanwu"},"updateMask":"district"})");
       }},
      {"enrollment.CreateEnrollment", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) {
         return absl::StrCat("{", city, R"(,"learner":)", quoted(f.learner), R"(,"offering":)",
                             quoted(second_offering_), "}");
       }},
      {"enrollment.GetEnrollment", "", "UONOONPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.enrollment), "}"); }},
      {"enrollment.CancelEnrollment", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.enrollment), "}"); }},
      {"enrollment.ListEnrollments", "(a learner's)", "UONPPPPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"learner":)", quoted(f.learner), "}"); }},
      {"enrollment.ListEnrollments", "(an offering's roster)", "UPPOOPPOPPPP-",
       [&](const Fresh&) { return absl::StrCat(R"({"offering":)", quoted(offering_), "}"); }},
      {"enrollment.CompleteEnrollment", "", "UPPOONPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"name":)", quoted(f.enrollment),
                             R"(,"completion":{"outcome":"COMPLETION_OUTCOME_PASSED","hours":8}})");
       }},
      {"enrollment.GetOfferingSeats", "", "UOOOOOOOPPOP-",
       [&](const Fresh&) { return absl::StrCat(R"({"offering":)", quoted(offering_), "}"); }},
      {"enrollment.RecordEmploymentOutcome", "", "UPPOONPOPPPP-",
       [&](const Fresh& f) {
         epb::RecordEmploymentOutcomeRequest r;
         r.set_enrollment(f.completed);
         r.mutable_outcome()->set_employed(true);
         *r.mutable_outcome()->mutable_employed_since() = At(absl::Now() - absl::Hours(24));
         return Json(r);
       }},
      {"enrollment.SubmitFeedback", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"enrollment":)", quoted(f.completed),
                             R"(,"feedback":{"rating":5}})");
       }},
      {"enrollment.ExportLearnerData", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.learner), "}"); }},
      {"enrollment.EraseLearner", "", "UONPPPPOPPNP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.learner), "}"); }},
      {"enrollment.ImportHistory", "(no rows)", "UPPPPPPOPPPP-",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"enrollment.ArchiveHistory", "(nothing old enough)", "UPPPPPPOPPPP-",
       [&](const Fresh&) { return "{" + city + R"(,"archiveBefore":"2001-01-01T00:00:00Z"})"; }},
      {"enrollment.ConfirmArchive", "(no names)", "UPPPPPPOPPPP-",
       [&](const Fresh&) { return "{" + city + "}"; }},
      // Analytics' token (not in this matrix) reads it in the recount tests.
      {"enrollment.ListStatisticsRecords", "", "UPPPPPPOPPPP-",
       [&](const Fresh&) { return "{" + city + "}"; }},

      // --- partnership: staff and partners read; a partner changes only
      // what it is a member of; no peer port.
      {"partnership.CreatePartner", "", "UPPPPPPOPPPP-",
       [&](const Fresh&) {
         return "{" + city +
                R"(,"partner":{"type":"ORGANISATION_TYPE_NGO","displayName":{"en":"New"},"homeCity":"nanjing"}})";
       }},
      {"partnership.GetPartner", "", "UPPOOOOOPPPP-",
       [&](const Fresh&) { return absl::StrCat(R"({"name":)", quoted(p1_), "}"); }},
      {"partnership.UpdatePartner", "(P1's record)", "UPPOPPPOPPPP-",
       [&](const Fresh&) {
         return absl::StrCat(R"({"partner":{"name":)", quoted(p1_),
                             R"(,"website":"https://p1.example.org"},"updateMask":"website"})");
       }},
      {"partnership.ListPartners", "", "UPPOOOOOPPPP-",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"partnership.CreatePartnership", "", "UPPPPPPOPPPP-",
       [&](const Fresh&) {
         ppb::CreatePartnershipRequest r;
         r.set_parent("cities/nanjing");
         *r.mutable_partnership() = PartnershipWith({p1_, p4_});
         return Json(r);
       }},
      {"partnership.GetPartnership", "", "UPPOOOOOPPPP-",
       [&](const Fresh& f) { return absl::StrCat(R"({"name":)", quoted(f.partnership), "}"); }},
      {"partnership.UpdatePartnership", "(title, active)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":{"name":)", quoted(f.partnership),
                             R"(,"title":{"en":"Renamed"}},"updateMask":"title"})");
       }},
      // Linking a program widens the delivering partners' reach into
      // rosters: once the city has activated a partnership, only the city.
      {"partnership.UpdatePartnership", "(programs, active)", "UPPPPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":{"name":)", quoted(f.partnership),
                             R"(,"programs":[)", quoted(f.program),
                             R"(]},"updateMask":"programs"})");
       }},
      {"partnership.UpdatePartnership", "(programs, proposed)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":{"name":)", quoted(f.proposed), R"(,"programs":[)",
                             quoted(f.program), R"(]},"updateMask":"programs"})");
       }},
      {"partnership.ListPartnerships", "", "UPPOOOOOPPPP-",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"partnership.AddPartnershipMember", "(active)", "UPPPPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership),
                             R"(,"member":{"partner":)", quoted(p2_),
                             R"(,"role":"MEMBER_ROLE_MEMBER"}})");
       }},
      {"partnership.AddPartnershipMember", "(proposed)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.proposed), R"(,"member":{"partner":)",
                             quoted(p2_), R"(,"role":"MEMBER_ROLE_MEMBER"}})");
       }},
      {"partnership.RemovePartnershipMember", "(P3, who may leave)", "UPPOOPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership), R"(,"partner":)",
                             quoted(p3_), "}");
       }},
      {"partnership.RemovePartnershipMember", "(P4, the funder)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership), R"(,"partner":)",
                             quoted(p4_), "}");
       }},
      {"partnership.TransitionPartnership", "(to concluded)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"name":)", quoted(f.partnership),
                             R"(,"toState":"PARTNERSHIP_STATE_CONCLUDED","actor":"matrix"})");
       }},
      // Activation is the city's approval of the programs and members.
      {"partnership.TransitionPartnership", "(to active)", "UPPPPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"name":)", quoted(f.proposed),
                             R"(,"toState":"PARTNERSHIP_STATE_ACTIVE","actor":"matrix"})");
       }},
      {"partnership.RecordFundingCommitment", "(P1 is lead)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership),
                             R"(,"commitment":{"funder":)", quoted(p4_),
                             R"(,"amount":{"currencyCode":"CNY","units":"100"}}})");
       }},
      {"partnership.RecordDisbursement", "(P1 is lead)", "UPPOPPPOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership),
                             R"(,"disbursement":{"recipientPartner":)", quoted(p3_),
                             R"(,"amount":{"currencyCode":"CNY","units":"10"}}})");
       }},
      {"partnership.GetFundingSummary", "", "UPPOOOOOPPPP-",
       [&](const Fresh& f) {
         return absl::StrCat(R"({"partnership":)", quoted(f.partnership), "}");
       }},
      {"partnership.ListPartnershipPrograms", "", "UPPOOOOOPPPP-",
       [&](const Fresh&) { return absl::StrCat(R"({"partnership":)", quoted(delivering_), "}"); }},

      // --- analytics: analysts and the city; peers only the scorecard.
      {"analytics.GetScorecard", "", "UPPPPPOOPPPPO",
       [&](const Fresh&) { return "{" + city + "," + year + "}"; }},
      {"analytics.GetIndicatorSeries", "", "UPPPPPOOPPPPP",
       [&](const Fresh&) {
         const std::string y = absl::FormatTime("%Y", absl::Now(), absl::UTCTimeZone());
         return "{" + city +
                absl::StrCat(R"(,"indicator":"INDICATOR_PARTICIPATION_RATE",)",
                             R"("fromPeriod":{"kind":"PERIOD_KIND_YEAR","year":)", y, "},",
                             R"("toPeriod":{"kind":"PERIOD_KIND_YEAR","year":)", y, "}}");
       }},
      {"analytics.GetBreakdown", "", "UPPPPPOOPPPPP",
       [&](const Fresh&) {
         return "{" + city + R"(,"indicator":"INDICATOR_PARTICIPATION_RATE",)" + year +
                R"(,"dimension":"DIMENSION_DISTRICT"})";
       }},
      {"analytics.SetTarget", "", "UPPPPPPOPPPPP",
       [&](const Fresh&) {
         const int y = absl::ToCivilYear(absl::Now(), absl::UTCTimeZone()).year();
         return "{" + city +
                absl::StrCat(R"(,"target":{"indicator":"INDICATOR_SATISFACTION",)",
                             R"("baselineValue":0.7,"targetValue":0.8,)",
                             R"("baselinePeriod":{"kind":"PERIOD_KIND_YEAR","year":)", y, "},",
                             R"("deadline":")", y + 3, R"(-12-31T00:00:00Z"}})");
       }},
      {"analytics.ListTargets", "", "UPPPPPOOPPPPP",
       [&](const Fresh&) { return "{" + city + "}"; }},
      {"analytics.CompareCities", "", "UPPPPPOOPPPPP",
       [&](const Fresh&) { return "{" + city + R"(,"timeoutMs":200})"; }},
  };

  // Every RPC of the contract has a row (and every row an RPC).
  std::set<std::string> covered;
  for (const Row& row : rows) {
    auto full = ctl::ResolveMethod(row.method);
    ASSERT_TRUE(full.ok()) << row.method;
    covered.insert(*full);
  }
  for (const std::string& method : ctl::ListMethods()) {
    if (method.rfind("gnlc.", 0) != 0) continue;  // health, reflection
    // A server stream: notifications_test checks each caller's access.
    if (method == "gnlc.enrollment.v1.EnrollmentService/SubscribeNotifications") continue;
    EXPECT_TRUE(covered.contains(method)) << method << " has no row in the permission matrix";
  }

  const auth::CertAndKey suzhou{
      auth::ReadFileToString(gnlc::testing::TestPkiDir() + "/suzhou/federation/city.crt")
          .value_or(""),
      auth::ReadFileToString(gnlc::testing::TestPkiDir() + "/suzhou/federation/city.key")
          .value_or("")};
  int n = 0;
  for (const Row& row : rows) {
    ASSERT_EQ(row.expect.size(), static_cast<size_t>(kCallers)) << row.method;
    const std::string full_method = *ctl::ResolveMethod(row.method);
    const std::string service = ctl::ServiceKey(full_method);
    for (int who = 0; who < kCallers; ++who) {
      SCOPED_TRACE(absl::StrCat(row.method, row.variant, " as ", kWhoNames[who]));
      const Fresh fresh = MakeFresh(++n);
      std::shared_ptr<grpc::Channel> channel;
      if (who == kPeerCity) {
        if (row.expect[who] == '-') {
          EXPECT_FALSE(peer_ports_.contains(service)) << service << " listens for peers";
          continue;
        }
        channel = gnlc::testing::PeerChannel(peer_ports_.at(service), suzhou);
      } else {
        channel = gnlc::testing::SecureChannel(ports_.at(service), "nanjing",
                                               Token(static_cast<Who>(who), fresh));
      }
      auto result = ctl::CallJson(*channel, full_method, row.request(fresh), absl::Seconds(5));
      const grpc::StatusCode got = result.ok()
                                       ? grpc::StatusCode::OK
                                       : static_cast<grpc::StatusCode>(result.status().code());
      EXPECT_EQ(got, CodeOf(row.expect[who]))
          << (result.ok() ? "OK" : std::string(result.status().message()));
    }
  }
}

TEST_F(PermissionMatrixTest, ResidentRegistersOnlyUnderTheirOwnSubject) {
  auto channel = gnlc::testing::SecureChannel(ports_.at("enrollment"), "nanjing",
                                              ResidentToken("resident-new"));
  const std::string other = R"({"parent":"cities/nanjing","learner":{"district":"gulou",)"
                            R"("ageBand":"AGE_BAND_ADULT","externalSubject":"resident-1"}})";
  auto refused = ctl::CallJson(*channel, "gnlc.enrollment.v1.EnrollmentService.CreateLearner",
                               other, absl::Seconds(5));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrorReason(refused.status()), "SUBJECT_MISMATCH");
  // Left empty, it becomes the token's subject.
  auto created = ctl::CallJson(*channel, "gnlc.enrollment.v1.EnrollmentService.CreateLearner",
                               R"({"parent":"cities/nanjing","learner":{"district":"gulou",)"
                               R"("ageBand":"AGE_BAND_ADULT"}})",
                               absl::Seconds(5));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_NE(created->find("\"external_subject\": \"resident-new\""), std::string::npos) << *created;
}

// The insider's attack: a partner admin links a program it does not
// deliver to a partnership, then reads that program's roster. Reach into
// rosters comes only from what the city approved (an active partnership,
// as a delivering member).
TEST_F(PermissionMatrixTest, NoPartnerAdminWidensItsOwnReach) {
  const Fresh f = MakeFresh(1000);
  auto& ps = *partnership_->stub;
  auto as = [&](const std::string& partner) {
    return ppb::PartnershipService::NewStub(
        gnlc::testing::SecureChannel(ports_.at("partnership"), "nanjing", PartnerToken(partner)));
  };
  auto link = [&](ppb::PartnershipService::Stub& stub, const std::string& partnership) {
    ppb::UpdatePartnershipRequest req;
    req.mutable_partnership()->set_name(partnership);
    req.mutable_partnership()->add_programs(f.program);
    req.mutable_update_mask()->add_paths("programs");
    ppb::UpdatePartnershipResponse resp;
    grpc::ClientContext ctx;
    return stub.UpdatePartnership(&ctx, req, &resp);
  };
  auto roster = [&](const std::string& partner) { return RosterCode(partner, f.offering); };
  // A plain member of an approved partnership cannot link a program...
  auto member = as(p3_);
  EXPECT_EQ(link(*member, delivering_).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // ...nor can the lead once the city has approved it.
  auto lead = as(p1_);
  const grpc::Status late = link(*lead, delivering_);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // The lead may put it in a proposal, which gives nobody any reach...
  ASSERT_TRUE(link(*lead, f.proposed).ok());
  // ...and may not approve its own proposal.
  {
    ppb::TransitionPartnershipRequest tr;
    tr.set_name(f.proposed);
    tr.set_to_state(ppb::PARTNERSHIP_STATE_ACTIVE);
    tr.set_actor("lead");
    ppb::TransitionPartnershipResponse tresp;
    grpc::ClientContext ctx;
    EXPECT_EQ(lead->TransitionPartnership(&ctx, tr, &tresp).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  // Enrollment applies partnership events in order: once it has applied a
  // later one (the city removes P3 from the active partnership), it has
  // applied the link too. The proposal gives nobody the roster.
  {
    ppb::RemovePartnershipMemberRequest rr;
    rr.set_partnership(delivering_);
    rr.set_partner(p3_);
    ppb::RemovePartnershipMemberResponse rresp;
    ASSERT_TRUE(ps.RemovePartnershipMember(catalog::testing::Ctx().get(), rr, &rresp).ok());
  }
  grpc::StatusCode removed = grpc::StatusCode::OK;
  for (int i = 0; i < 500 && removed == grpc::StatusCode::OK; ++i) {
    removed = RosterCode(p3_, offering_);
    if (removed == grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(removed, grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(roster(p1_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(roster(p3_), grpc::StatusCode::PERMISSION_DENIED);
  // Once the city approves, the delivering members read it; the funder,
  // who delivers nothing, never does.
  ActivateAsCity(f.proposed);
  grpc::StatusCode lead_code = grpc::StatusCode::PERMISSION_DENIED;
  for (int i = 0; i < 500 && lead_code != grpc::StatusCode::OK; ++i) {
    lead_code = roster(p1_);
    if (lead_code != grpc::StatusCode::OK) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(lead_code, grpc::StatusCode::OK);
  EXPECT_EQ(roster(p3_), grpc::StatusCode::OK);
  EXPECT_EQ(roster(p4_), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(roster(p2_), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(PermissionMatrixTest, PartnerRosterLeavesOutLearnersWithoutConsentAndSaysHowMany) {
  // Three learners in the delivered offering: two consented to share
  // progress with the provider, one did not.
  auto& es = *enrollment_->stub;
  std::vector<std::string> consenting;
  for (int i = 0; i < 3; ++i) {
    epb::CreateLearnerRequest lr;
    lr.set_parent("cities/nanjing");
    lr.mutable_learner()->set_district("gulou");
    lr.mutable_learner()->set_age_band(gnlc::type::v1::AGE_BAND_ADULT);
    lr.mutable_learner()->mutable_consents()->set_share_progress_with_provider(i < 2);
    epb::CreateLearnerResponse lresp;
    ASSERT_TRUE(es.CreateLearner(catalog::testing::Ctx().get(), lr, &lresp).ok());
    epb::CreateEnrollmentRequest er;
    er.set_parent("cities/nanjing");
    er.set_learner(lresp.learner().name());
    er.set_offering(offering_);
    epb::CreateEnrollmentResponse eresp;
    ASSERT_TRUE(es.CreateEnrollment(catalog::testing::Ctx().get(), er, &eresp).ok());
    if (i < 2) consenting.push_back(eresp.enrollment().name());
  }
  auto roster = [&](Who who) {
    auto channel =
        gnlc::testing::SecureChannel(ports_.at("enrollment"), "nanjing", Token(who, Fresh{}));
    auto stub = epb::EnrollmentService::NewStub(channel);
    grpc::ClientContext ctx;
    epb::ListEnrollmentsRequest req;
    req.set_offering(offering_);
    epb::ListEnrollmentsResponse resp;
    const grpc::Status s = stub->ListEnrollments(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  const epb::ListEnrollmentsResponse partner = roster(kPartnerLead);
  std::vector<std::string> seen;
  for (const auto& e : partner.enrollments()) seen.push_back(e.name());
  EXPECT_THAT(seen, ::testing::UnorderedElementsAreArray(consenting));
  EXPECT_EQ(partner.omitted_without_consent(), 1);
  const epb::ListEnrollmentsResponse admin = roster(kCityAdmin);
  EXPECT_EQ(admin.enrollments_size(), 3);
  EXPECT_EQ(admin.omitted_without_consent(), 0);
}

}  // namespace
}  // namespace gnlc

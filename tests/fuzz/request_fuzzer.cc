// Every request message of one service (GNLC_FUZZ_SERVICE, one binary per
// service) through what meets it first on the wire: the bytes parsed as the
// edge parses them (and, when they do not parse, the search for the field
// with invalid UTF-8), then every validator that takes that request or part
// of it: names, page sizes and tokens, request ids, and the service's own
// validation of programs, offerings, learners, partners, partnerships,
// money, periods and search queries.
//
// Input: one byte choosing the method, then the request's bytes.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "common/names/resource_names.h"
#include "common/paging/page_token.h"
#include "common/validation/validate.h"
#include "common/validation/wire_utf8.h"
#include "gnlc/analytics/v1/analytics_service.pb.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"
#include "gnlc/partnership/v1/partnership_service.pb.h"
#include "services/analytics/periods.h"
#include "services/catalog/catalog_validation.h"
#include "services/catalog/search_query.h"
#include "services/enrollment/enrollment_validation.h"
#include "services/partnership/money.h"
#include "services/partnership/partnership_validation.h"

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
namespace ppb = gnlc::partnership::v1;
namespace apb = gnlc::analytics::v1;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

gnlc::CityConfig City() {
  gnlc::CityConfig c;
  c.set_city_id("nanjing");
  for (const char* d : {"gulou", "xuanwu"}) c.add_districts()->set_id(d);
  return c;
}

// A validator that must never crash and must refuse what it refuses with
// INVALID_ARGUMENT-style errors, never INTERNAL (an INTERNAL would reach the
// caller as "internal error": a bug for malformed input).
void Check(const absl::Status& s) {
  if (s.code() == absl::StatusCode::kInternal || s.code() == absl::StatusCode::kUnknown) {
    std::abort();
  }
}
template <typename T>
void Check(const absl::StatusOr<T>& s) {
  Check(s.status());
}

// Checks every field that names something, pages or carries an id.
void CheckCommonFields(const Message& m) {
  static const gnlc::PageTokenCodec codec("fuzz-secret");
  const auto* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) continue;
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      const std::string v = r->GetString(m, f);
      if (f->name() == "parent") Check(gnlc::CheckCityParent(v, "nanjing"));
      if (f->name() == "page_token") Check(codec.Decode(v, gnlc::RequestFingerprint(m)));
      if (f->name() == "request_id") Check(gnlc::ValidateRequestId("request_id", v));
      if (f->name() == "name" || f->name() == "learner" || f->name() == "offering" ||
          f->name() == "enrollment" || f->name() == "partnership" || f->name() == "partner" ||
          f->name() == "program") {
        Check(gnlc::ParseProgramName(v, "nanjing", f->name()));
        Check(gnlc::ParseOfferingName(v, "nanjing", f->name()));
        Check(gnlc::ParseLearnerName(v, "nanjing", f->name()));
        Check(gnlc::ParseEnrollmentName(v, "nanjing", f->name()));
        Check(gnlc::ParsePartnerName(v, "nanjing", f->name()));
        Check(gnlc::ParsePartnershipName(v, "nanjing", f->name()));
        Check(gnlc::ParseAnyPartnerName(v, f->name()));
      }
    } else if (f->name() == "page_size" && f->cpp_type() == FieldDescriptor::CPPTYPE_INT32) {
      Check(gnlc::EffectivePageSize(r->GetInt32(m, f)));
    }
  }
}

// The service's own validation of each request that has one.
void CheckSpecific(const Message& m) {
  static const gnlc::CityConfig city = City();
  if (auto* q = dynamic_cast<const cpb::SearchProgramsRequest*>(&m)) {
    Check(gnlc::catalog::ParseSearchRequest(*q));
  } else if (auto* q = dynamic_cast<const cpb::CreateProgramRequest*>(&m)) {
    cpb::Program p = q->program();
    Check(gnlc::catalog::ValidateProgram(p, city));
  } else if (auto* q = dynamic_cast<const cpb::UpdateProgramRequest*>(&m)) {
    cpb::Program stored;
    stored.mutable_title()->set_en("stored");
    Check(gnlc::catalog::ApplyProgramMask(q->program(), q->update_mask(), stored));
    Check(gnlc::catalog::ValidateProgram(stored, city));
  } else if (auto* q = dynamic_cast<const cpb::CreateOfferingRequest*>(&m)) {
    cpb::Offering o = q->offering();
    Check(gnlc::catalog::ValidateOffering(o, city, kNow));
  } else if (auto* q = dynamic_cast<const cpb::UpdateOfferingRequest*>(&m)) {
    cpb::Offering stored;
    Check(gnlc::catalog::ApplyOfferingMask(q->offering(), q->update_mask(), stored));
    Check(gnlc::catalog::ValidateOffering(stored, city, kNow));
  } else if (auto* q = dynamic_cast<const epb::CreateLearnerRequest*>(&m)) {
    Check(gnlc::enrollment::ValidateLearner(q->learner(), city));
  } else if (auto* q = dynamic_cast<const epb::UpdateLearnerRequest*>(&m)) {
    epb::Learner stored;
    Check(gnlc::enrollment::ApplyLearnerMask(*q, stored));
    Check(gnlc::enrollment::ValidateLearner(stored, city));
  } else if (auto* q = dynamic_cast<const epb::CancelEnrollmentRequest*>(&m)) {
    Check(gnlc::enrollment::ValidateCancelReason(q->reason()));
  } else if (auto* q = dynamic_cast<const epb::CompleteEnrollmentRequest*>(&m)) {
    Check(gnlc::enrollment::ValidateCompletion(q->completion()));
  } else if (auto* q = dynamic_cast<const epb::RecordEmploymentOutcomeRequest*>(&m)) {
    Check(gnlc::enrollment::ValidateEmployment(q->outcome(), kNow));
  } else if (auto* q = dynamic_cast<const epb::SubmitFeedbackRequest*>(&m)) {
    Check(gnlc::enrollment::ValidateFeedback(q->feedback()));
  } else if (auto* q = dynamic_cast<const ppb::CreatePartnerRequest*>(&m)) {
    Check(gnlc::partnership::ValidatePartner(q->partner()));
  } else if (auto* q = dynamic_cast<const ppb::UpdatePartnerRequest*>(&m)) {
    ppb::Partner stored;
    Check(gnlc::partnership::ApplyPartnerMask(*q, stored));
  } else if (auto* q = dynamic_cast<const ppb::CreatePartnershipRequest*>(&m)) {
    Check(gnlc::partnership::ValidatePartnershipFields(q->partnership(), "nanjing"));
    (void)gnlc::partnership::IsInternational(q->partnership(), "nanjing");
  } else if (auto* q = dynamic_cast<const ppb::UpdatePartnershipRequest*>(&m)) {
    ppb::Partnership stored;
    Check(gnlc::partnership::ApplyPartnershipMask(*q, stored));
  } else if (auto* q = dynamic_cast<const ppb::AddPartnershipMemberRequest*>(&m)) {
    ppb::Partnership into;
    Check(gnlc::partnership::ValidateMember(q->member(), into));
  } else if (auto* q = dynamic_cast<const ppb::TransitionPartnershipRequest*>(&m)) {
    ppb::Partnership p;
    Check(gnlc::partnership::CheckTransition(p, q->to_state()));
  } else if (auto* q = dynamic_cast<const ppb::RecordFundingCommitmentRequest*>(&m)) {
    Check(gnlc::partnership::PositiveCents(q->commitment().amount(), "commitment.amount"));
  } else if (auto* q = dynamic_cast<const ppb::RecordDisbursementRequest*>(&m)) {
    Check(gnlc::partnership::PositiveCents(q->disbursement().amount(), "disbursement.amount"));
  } else if (auto* q = dynamic_cast<const apb::GetScorecardRequest*>(&m)) {
    Check(gnlc::analytics::ValidatePeriod(q->period(), "period"));
  } else if (auto* q = dynamic_cast<const apb::GetIndicatorSeriesRequest*>(&m)) {
    auto from = gnlc::analytics::ValidatePeriod(q->from_period(), "from_period");
    auto to = gnlc::analytics::ValidatePeriod(q->to_period(), "to_period");
    if (from.ok() && to.ok()) Check(gnlc::analytics::PeriodRange(*from, *to, 120));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(GNLC_FUZZ_SERVICE);
  static google::protobuf::DynamicMessageFactory* factory = [] {
    // The generated classes, so dynamic_cast above sees the real types.
    auto* f = new google::protobuf::DynamicMessageFactory(
        google::protobuf::DescriptorPool::generated_pool());
    f->SetDelegateToGeneratedFactory(true);
    return f;
  }();
  google::protobuf::SetLogHandler(nullptr);  // protobuf's UTF-8 notes are expected here
  if (service == nullptr) std::abort();
  if (size < 1) return 0;
  const auto* method = service->method(data[0] % service->method_count());
  std::unique_ptr<Message> request(factory->GetPrototype(method->input_type())->New());
  const absl::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool parsed = request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  const std::string bad_utf8 = gnlc::FindInvalidUtf8Field(*method->input_type(), bytes);
  // Differential: what protobuf accepted has no invalid UTF-8 for us either.
  if (parsed && !bad_utf8.empty()) std::abort();
  if (!parsed) return 0;
  CheckCommonFields(*request);
  CheckSpecific(*request);
  return 0;
}

// ListStatisticsRecords: the enrollment records as analytics counts them,
// for analytics to recount what it missed (services/analytics/recount.h).
#include "absl/strings/str_cat.h"
#include "common/names/resource_names.h"
#include "common/paging/page_token.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "services/enrollment/enrollment_service.h"

namespace gnlc::enrollment {

absl::Status EnrollmentService::DoListStatisticsRecords(const CallAuth& call,
                                                        const pb::ListStatisticsRecordsRequest& req,
                                                        pb::ListStatisticsRecordsResponse& resp) {
  (void)call;  // the permission table lets only analytics (and city admins) in
  RETURN_IF_ERROR(CheckCityParent(req.parent(), city_));
  ASSIGN_OR_RETURN(int page_size, EffectivePageSize(req.page_size(), kMaxPageSize, kMaxPageSize));
  const uint64_t fingerprint = RequestFingerprint(req);
  // The position is what is listed, "e" (the records), "l" (the learners)
  // then "a" (the learners archived: not erased, only out of Redis), and
  // Redis' HSCAN cursor: it survives items added or removed between pages
  // (each one that stays is listed at least once).
  ASSIGN_OR_RETURN(std::string position, tokens_.Decode(req.page_token(), fingerprint));
  if (position.empty()) position = "e0";
  constexpr absl::string_view kPhases = "ela";
  const size_t phase = kPhases.find(position[0]);
  if (phase == absl::string_view::npos) {
    return InvalidArgument("PAGE_TOKEN_INVALID", "page_token is not a token of this list");
  }
  constexpr const char* kSets[] = {"enr", "learners", "archived"};
  ASSIGN_OR_RETURN(EnrollmentStore::StatisticsPage page,
                   store_.ReadStatisticsPage(position.substr(1), page_size, kSets[phase]));
  for (auto& record : page.records) *resp.add_records() = std::move(record);
  for (auto& id : page.learners) resp.add_learners(LearnerName(city_, id));
  if (page.next_cursor != "0") {
    resp.set_next_page_token(
        tokens_.Encode(fingerprint, absl::StrCat(position.substr(0, 1), page.next_cursor)));
  } else if (phase + 1 < kPhases.size()) {
    resp.set_next_page_token(
        tokens_.Encode(fingerprint, absl::StrCat(kPhases.substr(phase + 1, 1), "0")));
  }
  return absl::OkStatus();
}

}  // namespace gnlc::enrollment

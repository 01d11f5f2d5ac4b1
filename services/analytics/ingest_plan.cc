#include "services/analytics/ingest_plan.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/names/resource_names.h"
#include "common/time/proto_time.h"
#include "services/analytics/analytics_keys.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

namespace epb = gnlc::enrollment::v1;
namespace evpb = gnlc::events::v1;

constexpr int kSkills = gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING;
// Members an erased learner may have in a distinct set: the learner, and
// the learner per program kind and per modality (every enum value, so the
// erasure needs no record of which ones were used).
constexpr int kMaxProgramKind = 7;
constexpr int kMaxModality = 3;

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

std::string Field(absl::string_view metric, absl::string_view slice) {
  return slice.empty() ? std::string(metric) : absl::StrCat(metric, "|", slice);
}

// Was the enrollment confirmed just before this cancellation?
bool CancelledAfterConfirmation(const epb::Enrollment& e) {
  return e.history_size() > 0 &&
         e.history(e.history_size() - 1).from_state() == epb::ENROLLMENT_STATE_CONFIRMED;
}

}  // namespace

std::string IngestPlan::PadStreamId(absl::string_view id) {
  const size_t dash = id.find('-');
  uint64_t ms = 0;
  uint64_t seq = 0;
  if (dash == absl::string_view::npos || !absl::SimpleAtoi(id.substr(0, dash), &ms) ||
      !absl::SimpleAtoi(id.substr(dash + 1), &seq)) {
    return std::string(id);
  }
  return absl::StrFormat("%013u-%010u", ms, seq);
}

void IngestPlan::Add(const Event& event) {
  ids_.push_back(PadStreamId(event.id()));
  AddPayload(event);
}

void IngestPlan::AddSnapshot(const Event& event) { AddPayload(event); }

void IngestPlan::AddPayload(const Event& event) {
  switch (event.payload_case()) {
    case Event::kEnrollmentChanged:
      AddEnrollment(event);
      break;
    case Event::kLearnerErased:
      AddErasure(LastSegment(event.learner_erased().learner()));
      break;
    case Event::kPartnershipChanged: {
      const auto& p = event.partnership_changed().partnership();
      const bool active = p.state() == gnlc::partnership::v1::PARTNERSHIP_STATE_ACTIVE;
      AddGauge(event, "p", p.name(), active ? "1" : "0", absl::StrCat(p.model()));
      break;
    }
    case Event::kFundingRecorded: {
      const auto& f = event.funding_recorded();
      // Amounts are validated to whole cents by the partnership service.
      const int64_t cents = f.amount().units() * 100 + f.amount().nanos() / 10'000'000;
      AddGauge(event, "f", f.amount().currency_code(), f.kind() == "disbursed" ? "fd" : "fc",
               absl::StrCat(cents));
      break;
    }
    case Event::kProgramUpserted: {
      const auto& p = event.program_upserted().program();
      const bool published = p.state() == gnlc::catalog::v1::PROGRAM_STATE_PUBLISHED;
      AddGauge(event, "g", p.name(), published ? "1" : "0", absl::StrCat(p.kind()));
      break;
    }
    case Event::kProgramDeleted: {
      const auto& p = event.program_deleted().program();
      AddGauge(event, "g", p.name(), "0", absl::StrCat(p.kind()));
      break;
    }
    default:
      break;  // offerings, seats, partners: nothing to count
  }
}

void IngestPlan::AddErasure(absl::string_view learner_id) {
  const std::string learner(learner_id);
  std::vector<std::string> e = {learner, learner};
  for (int k = 0; k <= kMaxProgramKind; ++k) e.push_back(absl::StrCat(learner, "|k", k));
  for (int m = 0; m <= kMaxModality; ++m) e.push_back(absl::StrCat(learner, "|m", m));
  erasures_.push_back(std::move(e));
}

void IngestPlan::AddRecord(const evpb::EnrollmentChanged& record) {
  Event event;
  *event.mutable_enrollment_changed() = record;
  event.mutable_enrollment_changed()->set_change(evpb::ENROLLMENT_CHANGE_IMPORTED);
  event.mutable_enrollment_changed()->clear_previous();
  event.mutable_enrollment_changed()->clear_restored();
  AddEnrollment(event);
}

void IngestPlan::AddEnrollment(const Event& event) {
  const evpb::EnrollmentChanged& c = event.enrollment_changed();
  // A learner who did not consent to statistics is not counted at all.
  if (!c.counts_in_statistics()) return;
  Subject who;
  who.learner = std::string(LastSegment(c.enrollment().learner()));
  who.learner_slices = {""};
  if (!c.learner_district().empty()) who.learner_slices.push_back("d:" + c.learner_district());
  if (c.learner_age_band() > 0) {
    who.learner_slices.push_back(absl::StrCat("a:", c.learner_age_band()));
  }
  who.all_slices = who.learner_slices;
  if (c.program_kind() > 0) who.all_slices.push_back(absl::StrCat("k:", c.program_kind()));
  if (c.modality() > 0) who.all_slices.push_back(absl::StrCat("m:", c.modality()));
  who.kind = c.program_kind();
  who.modality = c.modality();
  const epb::Enrollment& e = c.enrollment();
  switch (c.change()) {
    case evpb::ENROLLMENT_CHANGE_IMPORTED:
      // Back from an archive: counted before it was archived.
      if (c.restored()) break;
      // A corrected record replaces the counts of the one imported before.
      if (c.has_previous()) AddImported(who, c.previous(), -1);
      AddImported(who, e, +1);
      break;
    case evpb::ENROLLMENT_CHANGE_ENROLLED:
    case evpb::ENROLLMENT_CHANGE_PROMOTED:
      AddChange(who, c.change(), TimeOf(event.time()), e,
                e.state() == epb::ENROLLMENT_STATE_CONFIRMED, +1);
      break;
    case evpb::ENROLLMENT_CHANGE_CANCELLED:
      AddChange(who, c.change(), TimeOf(event.time()), e, CancelledAfterConfirmation(e), +1);
      break;
    default:
      AddChange(who, c.change(), TimeOf(event.time()), e, false, +1);
  }
}

void IngestPlan::AddImported(const Subject& who, const epb::Enrollment& e, int sign) {
  for (const epb::EnrollmentTransition& h : e.history()) {
    const absl::Time t = TimeOf(h.time());
    switch (h.to_state()) {
      case epb::ENROLLMENT_STATE_CONFIRMED:
        AddChange(who,
                  h.from_state() == epb::ENROLLMENT_STATE_WAITLISTED
                      ? evpb::ENROLLMENT_CHANGE_PROMOTED
                      : evpb::ENROLLMENT_CHANGE_ENROLLED,
                  t, e, true, sign);
        break;
      case epb::ENROLLMENT_STATE_WAITLISTED:
        AddChange(who, evpb::ENROLLMENT_CHANGE_WAITLISTED, t, e, false, sign);
        break;
      case epb::ENROLLMENT_STATE_CANCELLED:
        AddChange(who, evpb::ENROLLMENT_CHANGE_CANCELLED, t, e,
                  h.from_state() == epb::ENROLLMENT_STATE_CONFIRMED, sign);
        break;
      case epb::ENROLLMENT_STATE_COMPLETED:
        AddChange(who, evpb::ENROLLMENT_CHANGE_COMPLETED, t, e, false, sign);
        break;
      default:
        break;
    }
  }
  if (e.has_employment()) {
    AddChange(who, evpb::ENROLLMENT_CHANGE_EMPLOYMENT_RECORDED,
              TimeOf(e.employment().record_time()), e, false, sign);
  }
  if (e.has_feedback() && sign > 0) {
    AddChange(who, evpb::ENROLLMENT_CHANGE_FEEDBACK_GIVEN, TimeOf(e.feedback().submit_time()), e,
              false, sign);
  }
}

// One change at time `t`, as the live event would count it. `seat`: the
// change gave a seat (ENROLLED, PROMOTED) or gave one up (CANCELLED).
// Negative `sign` takes back the flows of a replaced import; who took part
// (the distinct sets) is only ever added to.
void IngestPlan::AddChange(const Subject& who, int change, absl::Time t, const epb::Enrollment& e,
                           bool seat, int sign) {
  const auto distinct = [&](absl::Time when, absl::string_view metric) {
    if (sign > 0) {
      AddDistinct(when, metric, who.learner, who.learner_slices, who.kind, who.modality);
    }
  };
  switch (change) {
    case evpb::ENROLLMENT_CHANGE_ENROLLED:
    case evpb::ENROLLMENT_CHANGE_PROMOTED:
      if (!seat) break;
      distinct(t, "part");
      Flow(t, "conf", who.all_slices, sign);
      break;
    case evpb::ENROLLMENT_CHANGE_WAITLISTED:
      Flow(t, "wait", who.all_slices, sign);
      break;
    case evpb::ENROLLMENT_CHANGE_CANCELLED:
      if (seat) Flow(t, "drop", who.all_slices, sign);
      break;
    case evpb::ENROLLMENT_CHANGE_COMPLETED:
      distinct(t, "part");
      Flow(t, "done", who.all_slices, sign);
      if (who.kind == kSkills && e.completion().has_complete_time()) {
        distinct(TimeOf(e.completion().complete_time()), "grad");
      }
      break;
    case evpb::ENROLLMENT_CHANGE_EMPLOYMENT_RECORDED: {
      if (who.kind != kSkills || !e.completion().has_complete_time()) break;
      const absl::Time completed = TimeOf(e.completion().complete_time());
      // The graduate's outcome is known, placed or not (the share of a
      // cohort whose outcomes are known: indicators.h).
      distinct(completed, "known");
      if (e.employment().employed() &&
          TimeOf(e.employment().employed_since()) <= AddMonths(completed, follow_up_months_, tz_)) {
        distinct(completed, "placed");
      }
      break;
    }
    case evpb::ENROLLMENT_CHANGE_FEEDBACK_GIVEN: {
      const int rating = e.feedback().rating();
      if (rating < 1 || rating > 5 || t < count_from_) break;
      std::vector<std::string> periods;
      for (const auto& p : PeriodsOf(t, tz_)) periods.push_back(PeriodKey(p));
      ratings_.push_back({who.learner, std::string(LastSegment(e.name())), absl::StrCat(rating),
                          absl::StrJoin(periods, ","), absl::StrJoin(who.all_slices, ",")});
      break;
    }
    default:
      break;
  }
}

void IngestPlan::Flow(absl::Time t, absl::string_view metric,
                      const std::vector<std::string>& slices, int sign) {
  if (t < count_from_) return;
  for (const auto& p : PeriodsOf(t, tz_)) {
    const std::string key = PeriodKey(p);
    for (const auto& s : slices) flows_[{key, Field(metric, s)}] += sign;
  }
}

void IngestPlan::AddDistinct(absl::Time t, absl::string_view metric, absl::string_view learner,
                             const std::vector<std::string>& learner_slices, int kind,
                             int modality) {
  // A member added twice in one batch (a learner who enrolled and completed
  // in the same quarter) would be refused by the set the second time
  // anyway: it is sent once.
  if (t < count_from_) return;
  const auto add = [&](const std::string& period, std::string member,
                       std::vector<std::string> fields) {
    if (!distinct_seen_.insert(absl::StrCat(period, "|", metric, "|", member)).second) return;
    distinct_.push_back({period, std::string(metric), std::move(member), std::move(fields)});
  };
  // Participation is also kept per day, as a bitmap without counters:
  // growth of a period under way compares the same days a year before,
  // which are unions of days and months (analytics_store.h, DistinctIn).
  if (metric == "part") add(DayKey(t, tz_), std::string(learner), {});
  for (const auto& p : PeriodsOf(t, tz_)) {
    const std::string key = PeriodKey(p);
    std::vector<std::string> fields;
    for (const auto& s : learner_slices) fields.push_back(Field(metric, s));
    add(key, std::string(learner), std::move(fields));
    if (kind > 0 && kind <= kMaxProgramKind) {
      add(key, absl::StrCat(learner, "|k", kind), {Field(metric, absl::StrCat("k:", kind))});
    }
    if (modality > 0 && modality <= kMaxModality) {
      add(key, absl::StrCat(learner, "|m", modality),
          {Field(metric, absl::StrCat("m:", modality))});
    }
  }
}

void IngestPlan::AddGauge(const Event& event, std::string kind, std::string name, std::string a,
                          std::string b) {
  const pb::Period month = PeriodOf(pb::PERIOD_KIND_MONTH, TimeOf(event.time()), tz_);
  gauges_.push_back({std::move(kind), std::move(name), std::move(a), std::move(b), PeriodKey(month),
                     absl::StrCat(LastMonthOrdinal(month))});
}

std::vector<std::string> IngestPlan::EncodeOps() const {
  std::vector<std::string> out;
  out.push_back(absl::StrCat(flows_.size()));
  for (const auto& [key, delta] : flows_) {
    out.push_back(key.first);
    out.push_back(key.second);
    out.push_back(absl::StrCat(delta));
  }
  out.push_back(absl::StrCat(distinct_.size()));
  for (const auto& d : distinct_) {
    out.insert(out.end(), {d.period, d.metric, d.member, absl::StrCat(d.fields.size())});
    out.insert(out.end(), d.fields.begin(), d.fields.end());
  }
  out.push_back(absl::StrCat(ratings_.size()));
  for (const auto& r : ratings_) {
    out.insert(out.end(), {r.learner, r.enrollment, r.rating, r.periods, r.slices});
  }
  out.push_back(absl::StrCat(gauges_.size()));
  for (const auto& g : gauges_)
    out.insert(out.end(), {g.kind, g.name, g.a, g.b, g.month, g.month_ordinal});
  out.push_back(absl::StrCat(erasures_.size()));
  for (const auto& e : erasures_) {
    out.push_back(e[0]);
    out.push_back(absl::StrCat(e.size() - 1));
    out.insert(out.end(), e.begin() + 1, e.end());
  }
  return out;
}

std::vector<std::string> IngestPlan::OpKeys() const {
  std::set<std::string> keys;
  for (const auto& [key, delta] : flows_) keys.insert(Key("n", key.first));
  for (const auto& d : distinct_) {
    // The member's slice ("l7|k3" -> "k3") names the bitmap, as in apply.lua.
    const size_t bar = d.member.find('|');
    const std::string slice = bar == std::string::npos ? "" : d.member.substr(bar);
    if (!d.fields.empty()) keys.insert(Key("n", d.period));
    keys.insert(Key("b", absl::StrCat(d.period, ":", d.metric, slice)));
    keys.insert(Key("s", absl::StrCat(d.period, ":", d.metric)));
  }
  for (const auto& r : ratings_) {
    keys.insert(Key("fb", r.learner));
    for (absl::string_view period : absl::StrSplit(r.periods, ',', absl::SkipEmpty())) {
      keys.insert(Key("n", period));
    }
  }
  for (const auto& g : gauges_) keys.insert(Key("n", g.month));
  for (const auto& e : erasures_) keys.insert(Key("fb", e[0]));
  return std::vector<std::string>(keys.begin(), keys.end());
}

}  // namespace gnlc::analytics

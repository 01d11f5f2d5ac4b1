// Turns a batch of events into the writes of one atomic apply step
// (AnalyticsStore::Apply): counter increments, distinct-learner set adds,
// rating changes, gauge changes and erasures, for the month, quarter and
// year of each event in the city's time zone.
//
// The thinking happens here, in C++; the Lua script only applies. Every
// event's id goes with the plan, so the script can refuse a batch that holds
// an event applied before (exactly once in effect).
//
//   IngestPlan plan(CountingRules{tz, follow_up_months});
//   for (const Event& e : batch) plan.Add(e);
//   store.Apply(stream, group, plan);
#ifndef GNLC_SERVICES_ANALYTICS_INGEST_PLAN_H_
#define GNLC_SERVICES_ANALYTICS_INGEST_PLAN_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "common/events/event_codec.h"

namespace gnlc::analytics {

// How events are counted, from the city's config.
struct CountingRules {
  // The months of job placement's follow-up window when the config sets none.
  static constexpr int kDefaultFollowUpMonths = 6;

  // Implicit: a time zone alone means the default window.
  CountingRules(absl::TimeZone zone, int months = kDefaultFollowUpMonths)  // NOLINT
      : tz(zone), follow_up_months(months > 0 ? months : kDefaultFollowUpMonths) {}
  static CountingRules Of(const CityConfig& city, absl::TimeZone zone) {
    return CountingRules(zone, city.placement_follow_up_months());
  }

  // Periods are the city's months, quarters and years.
  absl::TimeZone tz;
  // Employment that starts within this many months of completing a skills
  // program is a placement (and a period's cohort is measured this long
  // after the period's end: indicators.h).
  int follow_up_months;
};

class IngestPlan final {
 public:
  explicit IngestPlan(const CountingRules& rules)
      : tz_(rules.tz), follow_up_months_(rules.follow_up_months) {}

  void Add(const Event& event);
  // What an event says about a program, partnership or funding as it stands
  // now (a recount's snapshot), without an event id: applied every time.
  void AddSnapshot(const Event& event);
  // An enrollment as its record stands (an IMPORTED change without an
  // event id): what a recount adds, once per record.
  void AddRecord(const gnlc::events::v1::EnrollmentChanged& record);
  // Forgets a learner (as a LearnerErased event does), without an event id.
  void AddErasure(absl::string_view learner_id);
  // Counts only what happened at or after `from` (a recount leaves the
  // periods before it as they were).
  void CountOnlyFrom(absl::Time from) { count_from_ = from; }

  // Stream ids, zero-padded so that they sort as strings
  // ("1732430000000-0" -> "1732430000000-0000000000").
  const std::vector<std::string>& ids() const { return ids_; }
  // The script's arguments after the ids (see analytics_store.cc).
  std::vector<std::string> EncodeOps() const;
  // The per-period and per-learner keys those ops touch (analytics_keys.h),
  // each once: what the apply script gets in KEYS besides the shared ones.
  std::vector<std::string> OpKeys() const;
  bool empty() const { return ids_.empty(); }

  static std::string PadStreamId(absl::string_view id);

 private:
  struct Distinct {
    std::string period;  // "2026-11"
    std::string metric;  // "part"
    std::string member;  // "l7", "l7|k3", "l7|m1"
    std::vector<std::string> fields;
  };
  struct Rating {
    std::string learner, enrollment, rating, periods, slices;
  };
  struct Gauge {
    std::string kind, name, a, b, month, month_ordinal;
  };

  // Who an enrollment event is about, as analytics slices them.
  struct Subject {
    std::string learner;
    std::vector<std::string> learner_slices;  // "", "d:...", "a:..."
    std::vector<std::string> all_slices;      // and "k:...", "m:..."
    int kind = 0;
    int modality = 0;
  };

  void AddPayload(const Event& event);
  void AddEnrollment(const Event& event);
  void AddImported(const Subject& who, const gnlc::enrollment::v1::Enrollment& e, int sign);
  void AddChange(const Subject& who, int change, absl::Time t,
                 const gnlc::enrollment::v1::Enrollment& e, bool seat, int sign);
  void AddGauge(const Event& event, std::string kind, std::string name, std::string a,
                std::string b);
  void Flow(absl::Time t, absl::string_view metric, const std::vector<std::string>& slices,
            int sign);
  void AddDistinct(absl::Time t, absl::string_view metric, absl::string_view learner,
                   const std::vector<std::string>& learner_slices, int kind, int modality);

  absl::TimeZone tz_;
  int follow_up_months_;
  absl::Time count_from_ = absl::InfinitePast();
  std::vector<std::string> ids_;
  std::map<std::pair<std::string, std::string>, int64_t> flows_;
  std::vector<Distinct> distinct_;
  absl::flat_hash_set<std::string> distinct_seen_;  // "period|metric|member"
  std::vector<Rating> ratings_;
  std::vector<Gauge> gauges_;
  std::vector<std::vector<std::string>> erasures_;  // learner, then members
};

}  // namespace gnlc::analytics

#endif  // GNLC_SERVICES_ANALYTICS_INGEST_PLAN_H_

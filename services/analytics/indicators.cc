#include "services/analytics/indicators.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/errors.h"
#include "gnlc/partnership/v1/partnership.pb.h"
#include "gnlc/type/v1/age_band.pb.h"
#include "gnlc/type/v1/modality.pb.h"
#include "gnlc/type/v1/program_kind.pb.h"
#include "google/protobuf/util/time_util.h"
#include "services/analytics/periods.h"

namespace gnlc::analytics {
namespace {

Fraction Ratio(int64_t numerator, int64_t denominator) {
  Fraction f{numerator, denominator, 0};
  if (denominator != 0) f.value = static_cast<double>(numerator) / static_cast<double>(denominator);
  return f;
}

Fraction Count(int64_t n) { return Fraction{n, 0, static_cast<double>(n)}; }

template <typename EnumDescriptorFn>
void AddEnumSlices(EnumDescriptorFn descriptor, absl::string_view prefix, std::vector<Slice>& out) {
  const auto* d = descriptor();
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == 0) continue;
    out.push_back({d->value(i)->name(), absl::StrCat(prefix, d->value(i)->number())});
  }
}

int64_t Get(const Counters& c, absl::string_view metric, absl::string_view slice) {
  return CounterOf(c, metric, slice);
}

}  // namespace

int64_t CounterOf(const Counters& c, absl::string_view metric, absl::string_view slice) {
  const auto it = c.find(slice.empty() ? std::string(metric) : absl::StrCat(metric, "|", slice));
  return it == c.end() ? 0 : it->second;
}

pb::Coverage FollowUpCoverage(const Counters& c, absl::string_view slice, const pb::Period& period,
                              absl::Time now, absl::TimeZone tz, int follow_up_months) {
  pb::Coverage coverage;
  const int64_t cohort = CounterOf(c, "grad", slice);
  if (cohort > 0) {
    coverage.set_outcomes_known(static_cast<double>(CounterOf(c, "known", slice)) /
                                static_cast<double>(cohort));
  }
  coverage.set_provisional(AddMonths(PeriodEnd(period, tz), follow_up_months, tz) > now);
  return coverage;
}

const std::vector<IndicatorInfo>& AllIndicators() {
  static const auto* all = new std::vector<IndicatorInfo>{
      {pb::INDICATOR_PARTICIPATION_RATE, "participation-rate", "终身学习参与率",
       "Participation rate", "Inclusive learning from basic to higher education", true, false,
       /*ratio=*/true, /*follow_up=*/false, /*accumulates=*/true},
      {pb::INDICATOR_PARTICIPATION_GROWTH, "participation-growth", "参与增长",
       "Participation growth", "Inclusive learning from basic to higher education", true, false},
      {pb::INDICATOR_JOB_PLACEMENT_RATE, "job-placement-rate", "技能培训就业率",
       "Job placement of skills graduates", "Effective learning in the workplace", true, false,
       /*ratio=*/true, /*follow_up=*/true},
      {pb::INDICATOR_SATISFACTION, "satisfaction", "满意度", "Satisfaction (rated 4-5)",
       "Quality in learning", true, false},
      {pb::INDICATOR_MEAN_RATING, "mean-rating", "平均评分", "Mean rating", "Quality in learning",
       false, false},
      {pb::INDICATOR_COMPLETION_RATE, "completion-rate", "完成率", "Completion rate",
       "Learning in families and communities", true, false},
      {pb::INDICATOR_WAITLIST_PRESSURE, "waitlist-pressure", "候补压力", "Waitlist pressure",
       "Inclusive learning", false, true},
      {pb::INDICATOR_ACTIVE_PARTNERSHIPS, "active-partnerships", "活跃合作伙伴关系",
       "Active partnerships", "Governance and participation of all stakeholders", false, false,
       /*ratio=*/false},
      {pb::INDICATOR_FUNDING_UTILISATION, "funding-utilisation", "资金使用率",
       "Funding utilisation", "Mobilisation and utilisation of resources", true, false},
      {pb::INDICATOR_PROGRAMS_ON_OFFER, "programs-on-offer", "在办学习项目", "Programs on offer",
       "Inclusive learning", false, false, /*ratio=*/false},
  };
  return *all;
}

const IndicatorInfo* FindIndicator(pb::Indicator indicator) {
  for (const auto& i : AllIndicators()) {
    if (i.indicator == indicator) return &i;
  }
  return nullptr;
}

const IndicatorInfo* FindIndicatorBySlug(absl::string_view slug) {
  for (const auto& i : AllIndicators()) {
    if (slug == i.slug || slug == pb::Indicator_Name(i.indicator)) return &i;
  }
  return nullptr;
}

absl::StatusOr<const IndicatorInfo*> ValidateIndicator(int indicator, absl::string_view field) {
  const IndicatorInfo* info = pb::Indicator_IsValid(indicator)
                                  ? FindIndicator(static_cast<pb::Indicator>(indicator))
                                  : nullptr;
  if (info == nullptr) {
    return InvalidArgument("INVALID_INDICATOR",
                           absl::StrCat(field,
                                        " must name an indicator, e.g. "
                                        "INDICATOR_PARTICIPATION_RATE"),
                           {{"field", std::string(field)}});
  }
  return info;
}

CityFacts FactsOf(const CityConfig& config) {
  CityFacts f;
  for (const auto& d : config.districts()) {
    f.population += d.population();
    f.district_population[d.id()] = d.population();
  }
  if (!config.reporting_currency().empty()) f.reporting_currency = config.reporting_currency();
  return f;
}

Fraction Compute(pb::Indicator indicator, const Counters& c, absl::string_view slice,
                 const CityFacts& city, const Counters* baseline) {
  switch (indicator) {
    case pb::INDICATOR_PARTICIPATION_RATE: {
      int64_t population = city.population;
      if (absl::StartsWith(slice, "d:")) {
        const auto it = city.district_population.find(slice.substr(2));
        population = it == city.district_population.end() ? 0 : it->second;
      }
      return Ratio(Get(c, "part", slice), population);
    }
    case pb::INDICATOR_PARTICIPATION_GROWTH: {
      // Populations cancel: growth = learners now / learners at baseline - 1.
      Fraction f = Ratio(Get(c, "part", slice), baseline ? Get(*baseline, "part", slice) : 0);
      if (f.denominator != 0) f.value -= 1;
      return f;
    }
    case pb::INDICATOR_JOB_PLACEMENT_RATE:
      return Ratio(Get(c, "placed", slice), Get(c, "grad", slice));
    case pb::INDICATOR_SATISFACTION:
      return Ratio(Get(c, "r45", slice), Get(c, "rated", slice));
    case pb::INDICATOR_MEAN_RATING:
      return Ratio(Get(c, "rsum", slice), Get(c, "rated", slice));
    case pb::INDICATOR_COMPLETION_RATE: {
      const int64_t done = Get(c, "done", slice);
      return Ratio(done, done + Get(c, "drop", slice));
    }
    case pb::INDICATOR_WAITLIST_PRESSURE:
      return Ratio(Get(c, "wait", slice), Get(c, "conf", slice));
    case pb::INDICATOR_ACTIVE_PARTNERSHIPS:
      return Count(Get(c, "g:active", slice));
    case pb::INDICATOR_FUNDING_UTILISATION: {
      const std::string currency = slice.empty() ? city.reporting_currency : std::string(slice);
      return Ratio(Get(c, "g:fd", currency), Get(c, "g:fc", currency));
    }
    case pb::INDICATOR_PROGRAMS_ON_OFFER:
      return Count(Get(c, "g:prog", slice));
    default:
      return {};
  }
}

absl::StatusOr<std::vector<Slice>> SlicesOf(pb::Indicator indicator, pb::Dimension dimension,
                                            const CityConfig& city, const Counters& counters) {
  std::vector<Slice> out;
  const bool learner_based = indicator != pb::INDICATOR_ACTIVE_PARTNERSHIPS &&
                             indicator != pb::INDICATOR_FUNDING_UTILISATION &&
                             indicator != pb::INDICATOR_PROGRAMS_ON_OFFER;
  const auto wrong = [&] {
    return InvalidArgument("INVALID_DIMENSION",
                           absl::StrCat(pb::Dimension_Name(dimension), " does not apply to ",
                                        pb::Indicator_Name(indicator),
                                        "; learner indicators break down by district, age band, "
                                        "program kind and modality, partnerships by model, "
                                        "funding by currency, programs by kind"),
                           {{"field", "dimension"}});
  };
  switch (dimension) {
    case pb::DIMENSION_DISTRICT:
      if (!learner_based) return wrong();
      for (const auto& d : city.districts()) out.push_back({d.id(), absl::StrCat("d:", d.id())});
      return out;
    case pb::DIMENSION_AGE_BAND:
      if (!learner_based) return wrong();
      AddEnumSlices(gnlc::type::v1::AgeBand_descriptor, "a:", out);
      return out;
    case pb::DIMENSION_PROGRAM_KIND:
      if (!learner_based && indicator != pb::INDICATOR_PROGRAMS_ON_OFFER) return wrong();
      AddEnumSlices(gnlc::type::v1::ProgramKind_descriptor, "k:", out);
      return out;
    case pb::DIMENSION_MODALITY:
      if (!learner_based) return wrong();
      AddEnumSlices(gnlc::type::v1::Modality_descriptor, "m:", out);
      return out;
    case pb::DIMENSION_PARTNERSHIP_MODEL:
      if (indicator != pb::INDICATOR_ACTIVE_PARTNERSHIPS) return wrong();
      AddEnumSlices(gnlc::partnership::v1::PartnershipModel_descriptor, "pm:", out);
      return out;
    case pb::DIMENSION_CURRENCY: {
      if (indicator != pb::INDICATOR_FUNDING_UTILISATION) return wrong();
      for (const auto& [field, value] : counters) {
        if (absl::StartsWith(field, "g:fc|")) out.push_back({field.substr(5), field.substr(5)});
      }
      std::sort(out.begin(), out.end(),
                [](const Slice& a, const Slice& b) { return a.key < b.key; });
      return out;
    }
    default:
      return InvalidArgument("INVALID_DIMENSION",
                             "dimension must be one of DIMENSION_DISTRICT, DIMENSION_AGE_BAND, "
                             "DIMENSION_PROGRAM_KIND, DIMENSION_MODALITY, "
                             "DIMENSION_PARTNERSHIP_MODEL, DIMENSION_CURRENCY",
                             {{"field", "dimension"}});
  }
}

}  // namespace gnlc::analytics

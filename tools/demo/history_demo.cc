// gnlc-demo-history: writes a city's demo history (autumn 2023 to now) as the CSV
// files of `gnlcctl import` (docs/guides/history-import.md), the
// way an older system would export it: programs and their offerings term by
// term, residents across the city's districts (by population) and age
// bands, their enrollments with cancellations, waitlists and promotions,
// completions, job outcomes of skills programs and feedback.
//
//   gnlc-demo-history --config=deploy/cities/nanjing.json --out=DIR
//                     [--enrollments=20000] [--learners=6000] [--now=RFC3339]
//                     [--id_prefix=H]   (source ids: H-P1, H-O1, H-L1, H-E1)
//
// Deterministic for a city, sizes and day (seeded by the city id), so a
// second launcher run writes the same files and imports nothing new. What
// the data shows, by design: spring (March to May) and autumn terms with
// the learning festival month (November) at the peak; about 7% more
// learning each year; job placement of skills graduates and satisfaction
// at the baselines of the city's targets (deploy/cities/*.json) in 2024,
// rising since.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config/city_config.h"
#include "common/hash/fnv1a.h"
#include "tools/demo/synthetic_catalog.h"

namespace {

namespace cpb = gnlc::catalog::v1;
namespace tpb = gnlc::type::v1;

constexpr int kFirstYear = 2024;
// Offerings starting per month, relative: spring and autumn terms, the
// learning festival in November, quiet at the Spring Festival and summer.
constexpr double kSeason[12] = {0.5, 0.4, 1.2, 1.3, 1.2, 0.8, 0.6, 0.6, 1.2, 1.3, 1.6, 0.9};
constexpr double kGrowthPerYear = 0.07;

// A CSV field, quoted when it must be.
std::string Csv(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

class Writer {
 public:
  Writer(const std::filesystem::path& path, const std::vector<std::string>& columns)
      : out_(path, std::ios::trunc), columns_(columns.size()) {
    Row(columns);
  }
  void Row(const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out_ << (i ? "," : "") << Csv(fields[i]);
    out_ << "\n";
    ++rows_;
  }
  int64_t rows() const { return rows_ - 1; }

 private:
  std::ofstream out_;
  size_t columns_;
  int64_t rows_ = 0;
};

struct Offering {
  std::string source_id;
  int kind = 0;
  absl::Time open, start, end;
  int seats = 0;  // 0: unlimited
  double demand = 1;
};

struct Flags {
  std::string config, out, prefix = "H";
  int64_t enrollments = 20000, learners = 6000;
  absl::Time now = absl::Now();
};

class History {
 public:
  History(const gnlc::CityConfig& city, const Flags& f)
      : city_(city),
        f_(f),
        tz_(absl::UTCTimeZone()),
        rng_(gnlc::Fnv1a64(absl::StrCat(city.city_id(), f.enrollments, f.learners))),
        catalog_(city, static_cast<uint32_t>(gnlc::Fnv1a64(city.city_id()))) {
    (void)absl::LoadTimeZone(city.time_zone(), &tz_);
    // Residents are drawn by district population.
    for (const auto& d : city.districts()) district_weights_.push_back(d.population());
    // The 2024 levels are the baselines of the city's targets.
    for (const auto& t : city.targets()) {
      if (t.indicator() == "INDICATOR_JOB_PLACEMENT_RATE") placement_2024_ = t.baseline_value();
      if (t.indicator() == "INDICATOR_SATISFACTION") satisfaction_2024_ = t.baseline_value();
    }
  }

  void Write() {
    std::filesystem::create_directories(f_.out);
    WriteCatalog();
    WriteEnrollments();
    WriteLearners();
  }

 private:
  double U() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  int Between(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string Time(absl::Time t) const { return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", t, tz_); }
  // 0 in January 2024, 1 a year later: the drift of the demo's trends.
  double YearsIn(absl::Time t) const {
    return absl::ToDoubleHours(t - absl::FromCivil(absl::CivilDay(kFirstYear, 1, 1), tz_)) /
           (24 * 365.25);
  }

  void WriteCatalog() {
    Writer programs(f_.out + "/programs.csv",
                    {"source_id", "kind", "title_zh", "title_en", "description_zh",
                     "description_en", "topics", "district", "state", "created_at"});
    // As many programs as a city of this size runs, every kind.
    const int n_programs = std::max<int>(40, static_cast<int>(f_.enrollments / 600));
    std::vector<int> kinds;
    const absl::Time created = absl::FromCivil(absl::CivilDay(kFirstYear - 1, 7, 1), tz_);
    for (int i = 0; i < n_programs; ++i) {
      cpb::Program p = catalog_.NextProgram();
      // About a third are skills training: the placement indicator's base.
      if (i % 3 == 0) p.set_kind(tpb::PROGRAM_KIND_SKILL_TRAINING);
      if (i % 17 == 5) p.set_kind(tpb::PROGRAM_KIND_LEARNING_FESTIVAL);
      kinds.push_back(p.kind());
      std::string topics;
      for (const auto& t : p.topics()) absl::StrAppend(&topics, topics.empty() ? "" : ";", t);
      std::string kind(tpb::ProgramKind_Name(p.kind()));
      programs.Row({absl::StrCat(f_.prefix, "-P", i), kind, p.title().zh(), p.title().en(),
                    p.description().zh(), p.description().en(), topics, p.district(), "published",
                    Time(created + absl::Hours(24 * Between(0, 25)))});
    }
    Writer offerings(f_.out + "/offerings.csv",
                     {"source_id", "program_source_id", "start", "end", "modality", "seats",
                      "venue_name_zh", "venue_name_en", "venue_address", "venue_district",
                      "latitude", "longitude", "online_url", "created_at"});
    // Offerings month by month, sized so that seats match the demand.
    double weight = 0;
    // The records start with the autumn term before the baseline year, so
    // that January 2024 has its completions like every other January.
    const absl::CivilMonth first(kFirstYear - 1, 9);
    const absl::CivilMonth last = absl::ToCivilMonth(f_.now, tz_) + 1;
    for (absl::CivilMonth m = first; m <= last; ++m) {
      weight += kSeason[m.month() - 1] * (1 + kGrowthPerYear * (m.year() - kFirstYear));
    }
    const double per_weight = static_cast<double>(f_.enrollments) / 32 / weight;
    int n = 0;
    for (absl::CivilMonth m = first; m <= last; ++m) {
      const double w = kSeason[m.month() - 1] * (1 + kGrowthPerYear * (m.year() - kFirstYear));
      const int count = std::max(1, static_cast<int>(std::lround(per_weight * w)));
      for (int i = 0; i < count; ++i) {
        Offering o;
        const int program = Between(0, n_programs - 1);
        o.kind = kinds[program];
        o.source_id = absl::StrCat(f_.prefix, "-O", n++);
        o.start =
            absl::FromCivil(absl::CivilDay(m) + Between(0, 27), tz_) + absl::Hours(Between(9, 19));
        const bool festival = o.kind == tpb::PROGRAM_KIND_LEARNING_FESTIVAL;
        o.end = o.start + absl::Hours(24 * (festival ? 7 : 7 * Between(4, 10)));
        // Enrollment opens 30 days ahead, within the history.
        o.open =
            std::max(o.start - absl::Hours(24 * 30), absl::FromCivil(absl::CivilDay(first), tz_));
        if (o.open > f_.now) continue;  // not announced yet
        o.seats = festival ? 0 : Between(20, 45);
        o.demand = w * (0.6 + 0.6 * U());
        cpb::Offering t = catalog_.OfferingsFor(o.start).front();
        const bool online = t.modality() == tpb::MODALITY_ONLINE;
        offerings.Row({o.source_id, absl::StrCat(f_.prefix, "-P", program), Time(o.start),
                       Time(o.end), std::string(tpb::Modality_Name(t.modality())),
                       o.seats == 0 ? "unlimited" : absl::StrCat(o.seats),
                       online ? "" : t.venue().name().zh(),
                       online ? "" : "Community learning centre",
                       online ? "" : absl::StrCat(t.venue().name().zh(), " 1号"),
                       online ? "" : t.venue().district(),
                       online ? "" : absl::StrCat(t.venue().location().latitude()),
                       online ? "" : absl::StrCat(t.venue().location().longitude()), t.online_url(),
                       Time(o.open - absl::Hours(24))});
        offerings_.push_back(o);
      }
    }
  }

  // A learner, skewed so that some take many courses and most a few.
  int64_t PickLearner() {
    return static_cast<int64_t>(std::pow(U(), 1.6) * static_cast<double>(f_.learners));
  }

  void WriteEnrollments() {
    Writer out(f_.out + "/enrollments.csv",
               {"source_id", "learner_source_id", "offering", "state", "enrolled_at", "seated_at",
                "cancelled_at", "cancel_reason", "outcome", "hours", "completed_at", "employed",
                "employed_since", "rating", "comment", "feedback_at"});
    double demand = 0;
    for (const Offering& o : offerings_) demand += o.demand * (o.seats ? o.seats : 60);
    int64_t next = 0;
    for (const Offering& o : offerings_) {
      const int capacity = o.seats ? o.seats : 60;
      int wanted = static_cast<int>(
          std::lround(static_cast<double>(f_.enrollments) * o.demand * capacity / demand));
      std::set<int64_t> taken_by;
      std::vector<std::pair<int64_t, absl::Time>> arrivals;
      if (std::min(o.start, f_.now) <= o.open) continue;
      for (int i = 0; i < wanted; ++i) {
        const int64_t l = PickLearner();
        if (!taken_by.insert(l).second) continue;
        // Arrivals spread over the whole enrollment window; those still to
        // come have not enrolled yet (squeezing them before `now` would
        // crowd the current month with next month's learners).
        const absl::Time at = o.open + (o.start - o.open) * std::pow(U(), 0.7);
        if (at <= f_.now) arrivals.push_back({l, at});
      }
      std::sort(arrivals.begin(), arrivals.end(),
                [](const auto& a, const auto& b) { return a.second < b.second; });
      WriteOffering(o, arrivals, out, next);
    }
    std::fprintf(stderr, "%s: %lld enrollments in %zu offerings\n", city_.city_id().c_str(),
                 static_cast<long long>(out.rows()), offerings_.size());
  }

  void WriteOffering(const Offering& o, const std::vector<std::pair<int64_t, absl::Time>>& arrivals,
                     Writer& out, int64_t& next) {
    const bool ended = o.end <= f_.now;
    const bool skills = o.kind == tpb::PROGRAM_KIND_SKILL_TRAINING;
    const double years = YearsIn(o.end);
    // Seats given back before the start go to those waiting, in order.
    std::vector<absl::Time> freed;
    size_t promoted = 0;
    int seated = 0;
    for (const auto& [learner, at] : arrivals) {
      const std::string id = absl::StrCat(f_.prefix, "-E", next++);
      const std::string who = absl::StrCat(f_.prefix, "-L", learner);
      first_seen_[learner] = std::min(first_seen_.count(learner) ? first_seen_[learner] : at, at);
      std::vector<std::string> row = {id, who, o.source_id, "", Time(at), "", "", "",
                                      "", "",  "",          "", "",       "", "", ""};
      absl::Time seat = at;
      if (o.seats != 0 && seated >= o.seats) {
        if (promoted < freed.size() && freed[promoted] < std::min(o.start, f_.now)) {
          seat = std::max(at, freed[promoted++]);
          row[5] = Time(seat);
        } else if (!ended) {
          row[3] = "waitlisted";
          out.Row(row);
          continue;
        } else {
          row[3] = "cancelled";
          row[5] = "never";
          row[6] = Time(o.start);
          row[7] = "开课时仍在候补名单 / still waitlisted when it started";
          out.Row(row);
          continue;
        }
      } else {
        ++seated;
      }
      const double fate = U();
      if (fate < 0.1) {  // cancels a while after the seat, before the end
        const absl::Time cancel = seat + (std::min(o.end, f_.now) - seat) * U() * 0.5;
        if (o.seats != 0 && cancel < o.start) freed.push_back(cancel);
        row[3] = "cancelled";
        row[6] = Time(cancel);
        out.Row(row);
        continue;
      }
      if (!ended || fate < 0.14) {  // still on, or no result recorded
        row[3] = "confirmed";
        out.Row(row);
        continue;
      }
      const absl::Time done = std::min(o.end + absl::Hours(Between(0, 48)), f_.now);
      row[3] = "completed";
      row[8] = skills ? (U() < 0.82 ? "passed" : "failed") : "completed";
      row[9] = absl::StrCat(Between(6, 40));
      row[10] = Time(done);
      if (skills) {
        // Placement: the baseline in 2024, 5 points better each year (less
        // the learners who graduate twice a year and count once).
        const double placed = placement_2024_ - 0.04 + 0.05 * (years - 0.5);
        const absl::Time since = U() < placed ? done + absl::Hours(24 * Between(10, 170))
                                              : done + absl::Hours(24 * Between(200, 360));
        if (since <= f_.now) {
          row[11] = "yes";
          row[12] = Time(since);
        } else if (done + absl::Hours(24 * 180) <= f_.now) {
          row[11] = "no";
        }
      }
      if (U() < 0.65) {
        // Satisfied (4 or 5): the baseline in 2024, rising.
        const double satisfied = satisfaction_2024_ + 0.035 * (years - 0.5);
        const int rating =
            U() < satisfied ? (U() < 0.6 ? 4 : 5) : (U() < 0.6 ? 3 : (U() < 0.75 ? 2 : 1));
        row[13] = absl::StrCat(rating);
        row[15] = Time(std::min(done + absl::Hours(Between(1, 240)), f_.now));
      }
      out.Row(row);
    }
  }

  void WriteLearners() {
    Writer out(f_.out + "/learners.csv",
               {"source_id", "external_subject", "district", "age_band", "statistics_consent",
                "share_progress_consent", "backend", "registered_at"});
    std::discrete_distribution<int> district(district_weights_.begin(), district_weights_.end());
    static const char* kBands[] = {"teen",  "young_adult", "adult",  "adult",
                                   "adult", "senior",      "senior", "child"};
    const absl::Time start = absl::FromCivil(absl::CivilDay(kFirstYear, 1, 1), tz_);
    for (int64_t l = 0; l < f_.learners; ++l) {
      auto it = first_seen_.find(l);
      const absl::Time first = it != first_seen_.end() ? it->second : f_.now;
      const absl::Time registered =
          std::max(start - absl::Hours(24 * 400), first - absl::Hours(24 * Between(1, 300)));
      const bool app = U() < 0.7;
      out.Row({absl::StrCat(f_.prefix, "-L", l),
               app ? absl::StrCat("legacy-", city_.city_id(), "-", f_.prefix, l) : "",
               city_.districts(district(rng_)).id(), kBands[Between(0, 7)],
               U() < 0.9 ? "yes" : "no", U() < 0.5 ? "yes" : "no",
               app ? absl::StrCat(city_.city_id(), "-app") : "", Time(registered)});
    }
    std::fprintf(stderr, "%s: %lld learners\n", city_.city_id().c_str(),
                 static_cast<long long>(out.rows()));
  }

  const gnlc::CityConfig& city_;
  const Flags& f_;
  absl::TimeZone tz_;
  std::mt19937_64 rng_;
  gnlc::demo::SyntheticCatalog catalog_;
  std::vector<double> district_weights_;
  std::vector<Offering> offerings_;
  std::map<int64_t, absl::Time> first_seen_;
  double placement_2024_ = 0.55, satisfaction_2024_ = 0.72;
};

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "gnlc-demo-history: %s\nusage: gnlc-demo-history --config=CITY.json --out=DIR "
               "[--enrollments=N] [--learners=N] [--now=RFC3339]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&](const std::string& name) -> const char* {
      const std::string prefix = "--" + name + "=";
      return a.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("config")) {
      f.config = v;
    } else if (const char* v = value("out")) {
      f.out = v;
    } else if (const char* v = value("enrollments")) {
      if (!absl::SimpleAtoi(v, &f.enrollments) || f.enrollments < 0) return Usage("--enrollments");
    } else if (const char* v = value("learners")) {
      if (!absl::SimpleAtoi(v, &f.learners) || f.learners < 1) return Usage("--learners");
    } else if (const char* v = value("id_prefix")) {
      f.prefix = v;
    } else if (const char* v = value("now")) {
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, v, &f.now, &err)) return Usage("--now: " + err);
    } else {
      return Usage("unknown argument " + a);
    }
  }
  if (f.config.empty() || f.out.empty()) return Usage("--config and --out are required");
  auto city = gnlc::LoadCityConfig(f.config);
  if (!city.ok()) return Usage(std::string(city.status().message()));
  // The day, not the second: runs on the same day write the same files.
  f.now = absl::FromCivil(absl::ToCivilDay(f.now, absl::UTCTimeZone()), absl::UTCTimeZone());
  History(*city, f).Write();
  return 0;
}

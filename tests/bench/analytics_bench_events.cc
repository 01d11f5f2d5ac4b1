// Writes N synthetic enrollment events (what the enrollment service
// publishes) as Redis protocol to stdout, for `redis-cli --pipe`: the input
// of the analytics ingestion benchmark. Learners, districts, kinds and
// changes are spread as in a busy city; times spread over 2026.
//
//   gnlc-analytics-bench-events --count=1000000 --learners=100000 | redis-cli -p P --pipe
#include <cstdio>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/events/event_codec.h"
#include "common/events/streams.h"
#include "common/time/proto_time.h"

namespace {

void WriteBulk(std::string& out, const std::string& s) {
  absl::StrAppend(&out, "$", s.size(), "\r\n", s, "\r\n");
}

}  // namespace

int main(int argc, char** argv) {
  int64_t count = 1'000'000;
  int64_t learners = 100'000;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--count=", 0) == 0 && absl::SimpleAtoi(a.substr(8), &count)) continue;
    if (a.rfind("--learners=", 0) == 0 && absl::SimpleAtoi(a.substr(11), &learners)) continue;
    std::fprintf(stderr, "usage: %s [--count=N] [--learners=N]\n", argv[0]);
    return 2;
  }
  const char* districts[] = {"xuanwu",    "qinhuai", "jianye", "gulou",  "qixia",  "yuhuatai",
                             "jiangning", "pukou",   "liuhe",  "lishui", "gaochun"};
  std::mt19937_64 rng(42);
  const absl::Time start = absl::FromCivil(absl::CivilDay(2026, 1, 1), absl::UTCTimeZone());
  const absl::Duration step = absl::Hours(24 * 365) / count;
  std::string out;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t l = static_cast<int64_t>(rng() % static_cast<uint64_t>(learners));
    const absl::Time t = start + step * i;
    gnlc::Event e = gnlc::NewEvent("nanjing", absl::StrCat("cities/nanjing/enrollments/e", i), t);
    auto* c = e.mutable_enrollment_changed();
    auto* en = c->mutable_enrollment();
    en->set_name(absl::StrCat("cities/nanjing/enrollments/e", i));
    en->set_learner(absl::StrCat("cities/nanjing/learners/l", l));
    c->set_learner_district(districts[l % 11]);
    c->set_learner_age_band(static_cast<int>(1 + l % 5));
    c->set_program_kind(static_cast<int>(1 + rng() % 7));
    c->set_modality(static_cast<int>(1 + rng() % 3));
    c->set_counts_in_statistics(true);
    const int roll = static_cast<int>(rng() % 100);
    using gnlc::enrollment::v1::EnrollmentState;
    if (roll < 55) {
      c->set_change(gnlc::events::v1::ENROLLMENT_CHANGE_ENROLLED);
      en->set_state(gnlc::enrollment::v1::ENROLLMENT_STATE_CONFIRMED);
    } else if (roll < 65) {
      c->set_change(gnlc::events::v1::ENROLLMENT_CHANGE_WAITLISTED);
      en->set_state(gnlc::enrollment::v1::ENROLLMENT_STATE_WAITLISTED);
    } else if (roll < 70) {
      c->set_change(gnlc::events::v1::ENROLLMENT_CHANGE_CANCELLED);
      auto* h = en->add_history();
      h->set_from_state(gnlc::enrollment::v1::ENROLLMENT_STATE_CONFIRMED);
      h->set_to_state(gnlc::enrollment::v1::ENROLLMENT_STATE_CANCELLED);
    } else if (roll < 88) {
      c->set_change(gnlc::events::v1::ENROLLMENT_CHANGE_COMPLETED);
      en->set_state(gnlc::enrollment::v1::ENROLLMENT_STATE_COMPLETED);
      *en->mutable_completion()->mutable_complete_time() = gnlc::TimestampFromTime(t);
    } else {
      c->set_change(gnlc::events::v1::ENROLLMENT_CHANGE_FEEDBACK_GIVEN);
      en->mutable_feedback()->set_rating(static_cast<int>(1 + rng() % 5));
    }
    const std::string bytes = gnlc::EncodeEvent(e);
    out += "*5\r\n";
    WriteBulk(out, "XADD");
    WriteBulk(out, gnlc::kEnrollmentStream);
    WriteBulk(out, "*");
    WriteBulk(out, "e");
    WriteBulk(out, bytes);
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

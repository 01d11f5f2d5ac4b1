#include "tools/gnlcctl/history_csv.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status/errors.h"
#include "common/time/proto_time.h"

namespace gnlc::ctl {
namespace {

namespace cpb = gnlc::catalog::v1;
namespace epb = gnlc::enrollment::v1;
namespace tpb = gnlc::type::v1;

absl::Status Bad(absl::string_view column, absl::string_view what) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(column, " ", what),
                         {{"field", std::string(column)}});
}

std::string Text(const CsvReader& row, absl::string_view column) {
  return std::string(absl::StripAsciiWhitespace(row.Field(column)));
}

// An enum value by its short lower-case name ("skill_training") or its full
// name ("PROGRAM_KIND_SKILL_TRAINING").
template <typename Enum>
absl::StatusOr<Enum> EnumOf(const CsvReader& row, absl::string_view column,
                            absl::string_view prefix, bool (*parse)(const std::string&, Enum*),
                            absl::string_view allowed) {
  const std::string value = Text(row, column);
  Enum out{};
  std::string full = absl::AsciiStrToUpper(value);
  if (!absl::StartsWith(full, prefix)) full = absl::StrCat(prefix, full);
  if (value.empty() || !parse(full, &out) || absl::EndsWith(full, "_UNSPECIFIED")) {
    return Bad(column, absl::StrCat("must be one of ", allowed, " (got '", value, "')"));
  }
  return out;
}

absl::StatusOr<bool> YesNo(const CsvReader& row, absl::string_view column, bool empty_value) {
  const std::string v = absl::AsciiStrToLower(Text(row, column));
  if (v.empty()) return empty_value;
  if (v == "yes" || v == "true" || v == "1" || v == "y") return true;
  if (v == "no" || v == "false" || v == "0" || v == "n") return false;
  return Bad(column, "must be yes or no");
}

// Calls `set` with the column's time, unless the column is empty.
template <typename Set>
absl::Status OptionalTime(const CsvReader& row, absl::string_view column, absl::TimeZone tz,
                          Set set) {
  const std::string v = Text(row, column);
  if (v.empty()) return absl::OkStatus();
  auto t = ParseCsvTime(column, v, tz);
  if (!t.ok()) return t.status();
  set(TimestampFromTime(*t));
  return absl::OkStatus();
}

template <typename Set>
absl::Status RequiredTime(const CsvReader& row, absl::string_view column, absl::TimeZone tz,
                          Set set) {
  if (Text(row, column).empty()) return Bad(column, "is required");
  return OptionalTime(row, column, tz, set);
}

// The setter of a Timestamp field, for OptionalTime: Into(msg.mutable_x()).
// Only called when the column has a value, so an empty column leaves the
// field unset.
#define GNLC_INTO(message, field) \
  [&](const google::protobuf::Timestamp& t) { *(message).mutable_##field() = t; }

absl::StatusOr<double> Number(const CsvReader& row, absl::string_view column) {
  double v = 0;
  const std::string text = Text(row, column);
  if (!text.empty() && !absl::SimpleAtod(text, &v)) return Bad(column, "must be a number");
  return v;
}

void SetLocalized(const CsvReader& row, absl::string_view stem, tpb::LocalizedText* out) {
  out->set_zh(Text(row, absl::StrCat(stem, "_zh")));
  out->set_en(Text(row, absl::StrCat(stem, "_en")));
}

}  // namespace

const HistoryFile& ProgramsFile() {
  static const HistoryFile f{
      "programs.csv",
      {"source_id", "kind", "title_zh", "title_en"},
      {"description_zh", "description_en", "topics", "district", "state", "created_at"}};
  return f;
}

const HistoryFile& OfferingsFile() {
  static const HistoryFile f{
      "offerings.csv",
      {"source_id", "program_source_id", "start", "end", "modality", "seats"},
      {"venue_name_zh", "venue_name_en", "venue_address", "venue_district", "latitude", "longitude",
       "online_url", "cancelled", "created_at"}};
  return f;
}

const HistoryFile& LearnersFile() {
  static const HistoryFile f{"learners.csv",
                             {"source_id", "district", "age_band"},
                             {"external_subject", "statistics_consent", "share_progress_consent",
                              "backend", "registered_at"}};
  return f;
}

const HistoryFile& EnrollmentsFile() {
  static const HistoryFile f{
      "enrollments.csv",
      {"source_id", "learner_source_id", "offering", "state", "enrolled_at"},
      {"seated_at", "cancelled_at", "cancel_reason", "cancel_reason_en", "outcome", "hours",
       "credential", "completed_at", "employed", "employed_since", "employment_recorded_at",
       "rating", "comment", "feedback_at", "restored"}};
  return f;
}

absl::StatusOr<absl::Time> ParseCsvTime(absl::string_view column, absl::string_view value,
                                        absl::TimeZone tz) {
  const std::string v(absl::StripAsciiWhitespace(value));
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, v, &t, &err)) return t;
  for (const char* format :
       {"%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"}) {
    if (absl::ParseTime(format, v, tz, &t, &err)) return t;
  }
  return Bad(column, absl::StrCat("'", v,
                                  "' is not a time: write 2024-03-01, 2024-03-01 09:30 or "
                                  "2024-03-01T09:30:00+08:00"));
}

absl::StatusOr<cpb::ProgramImport> ProgramFromCsv(const CsvReader& row, absl::TimeZone tz) {
  cpb::ProgramImport out;
  out.set_row(row.line());
  out.set_source_id(Text(row, "source_id"));
  cpb::Program& p = *out.mutable_program();
  auto kind = EnumOf<tpb::ProgramKind>(row, "kind", "PROGRAM_KIND_", tpb::ProgramKind_Parse,
                                       "workshop, learning_festival, skill_training, "
                                       "intergenerational, cultural, community_learning_centre, "
                                       "course");
  if (!kind.ok()) return kind.status();
  p.set_kind(*kind);
  SetLocalized(row, "title", p.mutable_title());
  SetLocalized(row, "description", p.mutable_description());
  for (absl::string_view topic : absl::StrSplit(row.Field("topics"), ';', absl::SkipWhitespace())) {
    p.add_topics(std::string(absl::StripAsciiWhitespace(topic)));
  }
  p.set_district(Text(row, "district"));
  if (!Text(row, "state").empty()) {
    auto state = EnumOf<cpb::ProgramState>(row, "state", "PROGRAM_STATE_", cpb::ProgramState_Parse,
                                           "draft, published, cancelled");
    if (!state.ok()) return state.status();
    p.set_state(*state);
  } else {
    p.set_state(cpb::PROGRAM_STATE_PUBLISHED);
  }
  if (auto s = OptionalTime(row, "created_at", tz, GNLC_INTO(out, create_time)); !s.ok()) return s;
  return out;
}

absl::StatusOr<cpb::OfferingImport> OfferingFromCsv(const CsvReader& row, absl::TimeZone tz) {
  cpb::OfferingImport out;
  out.set_row(row.line());
  out.set_source_id(Text(row, "source_id"));
  out.set_program_source_id(Text(row, "program_source_id"));
  cpb::Offering& o = *out.mutable_offering();
  if (auto s = RequiredTime(row, "start", tz, GNLC_INTO(o, start_time)); !s.ok()) return s;
  if (auto s = RequiredTime(row, "end", tz, GNLC_INTO(o, end_time)); !s.ok()) return s;
  auto modality = EnumOf<tpb::Modality>(row, "modality", "MODALITY_", tpb::Modality_Parse,
                                        "in_person, online, hybrid");
  if (!modality.ok()) return modality.status();
  o.set_modality(*modality);
  const std::string seats = absl::AsciiStrToLower(Text(row, "seats"));
  int32_t n = 0;
  if (seats == "unlimited") {
    o.mutable_capacity()->set_unlimited(true);
  } else if (absl::SimpleAtoi(seats, &n)) {
    o.mutable_capacity()->set_seats(n);
  } else {
    return Bad("seats", "must be a number of seats or 'unlimited'");
  }
  if (!Text(row, "venue_name_zh").empty() || !Text(row, "venue_name_en").empty() ||
      !Text(row, "venue_address").empty()) {
    cpb::Venue& v = *o.mutable_venue();
    SetLocalized(row, "venue_name", v.mutable_name());
    v.set_address(Text(row, "venue_address"));
    v.set_district(Text(row, "venue_district"));
    auto lat = Number(row, "latitude");
    if (!lat.ok()) return lat.status();
    auto lng = Number(row, "longitude");
    if (!lng.ok()) return lng.status();
    if (!Text(row, "latitude").empty()) {
      v.mutable_location()->set_latitude(*lat);
      v.mutable_location()->set_longitude(*lng);
    }
  }
  o.set_online_url(Text(row, "online_url"));
  auto cancelled = YesNo(row, "cancelled", false);
  if (!cancelled.ok()) return cancelled.status();
  out.set_cancelled(*cancelled);
  if (auto s = OptionalTime(row, "created_at", tz, GNLC_INTO(out, create_time)); !s.ok()) return s;
  return out;
}

absl::StatusOr<epb::LearnerImport> LearnerFromCsv(const CsvReader& row, absl::TimeZone tz) {
  epb::LearnerImport out;
  out.set_row(row.line());
  out.set_source_id(Text(row, "source_id"));
  epb::Learner& l = *out.mutable_learner();
  l.set_external_subject(Text(row, "external_subject"));
  l.set_district(Text(row, "district"));
  auto band = EnumOf<tpb::AgeBand>(row, "age_band", "AGE_BAND_", tpb::AgeBand_Parse,
                                   "child, teen, young_adult, adult, senior");
  if (!band.ok()) return band.status();
  l.set_age_band(*band);
  auto stats = YesNo(row, "statistics_consent", false);
  if (!stats.ok()) return stats.status();
  auto share = YesNo(row, "share_progress_consent", false);
  if (!share.ok()) return share.status();
  l.mutable_consents()->set_city_statistics(*stats);
  l.mutable_consents()->set_share_progress_with_provider(*share);
  l.set_backend(Text(row, "backend"));
  if (auto s = OptionalTime(row, "registered_at", tz, GNLC_INTO(out, create_time)); !s.ok())
    return s;
  return out;
}

absl::StatusOr<epb::EnrollmentImport> EnrollmentFromCsv(
    const CsvReader& row, absl::TimeZone tz, const std::map<std::string, std::string>& offerings) {
  epb::EnrollmentImport out;
  out.set_row(row.line());
  out.set_source_id(Text(row, "source_id"));
  out.set_learner_source_id(Text(row, "learner_source_id"));
  const std::string offering = Text(row, "offering");
  if (absl::StartsWith(offering, "cities/")) {
    out.set_offering(offering);
  } else if (auto it = offerings.find(offering); it != offerings.end()) {
    out.set_offering(it->second);
  } else {
    return Bad("offering", absl::StrCat("'", offering,
                                        "' is neither a source id of offerings.csv nor a catalog "
                                        "name (cities/.../offerings/...)"));
  }
  auto state =
      EnumOf<epb::EnrollmentState>(row, "state", "ENROLLMENT_STATE_", epb::EnrollmentState_Parse,
                                   "confirmed, waitlisted, cancelled, completed");
  if (!state.ok()) return state.status();
  out.set_state(*state);
  if (auto s = RequiredTime(row, "enrolled_at", tz, GNLC_INTO(out, enroll_time)); !s.ok()) return s;
  if (absl::AsciiStrToLower(Text(row, "seated_at")) == "never") {
    out.set_never_seated(true);
  } else if (auto s = OptionalTime(row, "seated_at", tz, GNLC_INTO(out, seat_time)); !s.ok()) {
    return s;
  }
  if (auto s = OptionalTime(row, "cancelled_at", tz, GNLC_INTO(out, cancel_time)); !s.ok())
    return s;
  out.mutable_cancel_reason()->set_zh(Text(row, "cancel_reason"));
  out.mutable_cancel_reason()->set_en(Text(row, "cancel_reason_en"));
  if (out.cancel_reason().zh().empty() && out.cancel_reason().en().empty()) {
    out.clear_cancel_reason();
  }
  if (!Text(row, "outcome").empty() || !Text(row, "completed_at").empty()) {
    epb::Completion& c = *out.mutable_completion();
    auto outcome =
        EnumOf<epb::CompletionOutcome>(row, "outcome", "COMPLETION_OUTCOME_",
                                       epb::CompletionOutcome_Parse, "completed, passed, failed");
    if (!outcome.ok()) return outcome.status();
    c.set_outcome(*outcome);
    auto hours = Number(row, "hours");
    if (!hours.ok()) return hours.status();
    c.set_hours(*hours);
    c.set_credential_ref(Text(row, "credential"));
    if (auto s = RequiredTime(row, "completed_at", tz, GNLC_INTO(c, complete_time)); !s.ok()) {
      return s;
    }
  }
  if (!Text(row, "employed").empty()) {
    auto employed = YesNo(row, "employed", false);
    if (!employed.ok()) return employed.status();
    out.mutable_employment()->set_employed(*employed);
    if (auto s = OptionalTime(row, "employed_since", tz,
                              GNLC_INTO(*out.mutable_employment(), employed_since));
        !s.ok()) {
      return s;
    }
    if (!*employed) out.mutable_employment()->clear_employed_since();
    if (auto s = OptionalTime(row, "employment_recorded_at", tz,
                              GNLC_INTO(*out.mutable_employment(), record_time));
        !s.ok()) {
      return s;
    }
  }
  if (!Text(row, "rating").empty()) {
    int rating = 0;
    if (!absl::SimpleAtoi(Text(row, "rating"), &rating)) return Bad("rating", "must be 1 to 5");
    epb::Feedback& f = *out.mutable_feedback();
    f.set_rating(rating);
    f.set_comment(Text(row, "comment"));
    if (auto s = RequiredTime(row, "feedback_at", tz, GNLC_INTO(f, submit_time)); !s.ok()) return s;
  }
  auto restored = YesNo(row, "restored", false);
  if (!restored.ok()) return restored.status();
  out.set_restored(*restored);
  return out;
}

namespace {

std::string CsvTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime(absl::RFC3339_full, TimeFromTimestamp(t), absl::UTCTimeZone());
}
std::string CsvYesNo(bool v) { return v ? "yes" : "no"; }
// "AGE_BAND_YOUNG_ADULT" -> "young_adult", as the files are written by hand.
std::string ShortEnum(const std::string& name, absl::string_view prefix) {
  return absl::AsciiStrToLower(absl::StripPrefix(name, prefix));
}

}  // namespace

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      line += f;
      continue;
    }
    line += '"';
    for (char c : f) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }
  return line + "\n";
}

const std::vector<std::string>& ArchivedLearnerColumns() {
  static const auto* columns = new std::vector<std::string>{
      "source_id",        "district",           "age_band",
      "external_subject", "statistics_consent", "share_progress_consent",
      "backend",          "registered_at"};
  return *columns;
}

std::vector<std::string> LearnerCsvRow(const epb::LearnerImport& l) {
  const epb::Learner& x = l.learner();
  return {l.source_id(),
          x.district(),
          ShortEnum(tpb::AgeBand_Name(x.age_band()), "AGE_BAND_"),
          x.external_subject(),
          CsvYesNo(x.consents().city_statistics()),
          CsvYesNo(x.consents().share_progress_with_provider()),
          x.backend(),
          l.has_create_time() ? CsvTime(l.create_time()) : ""};
}

const std::vector<std::string>& ArchivedEnrollmentColumns() {
  static const auto* columns = new std::vector<std::string>{
      "source_id",        "learner_source_id", "offering",       "state",
      "enrolled_at",      "seated_at",         "cancelled_at",   "cancel_reason",
      "cancel_reason_en", "outcome",           "hours",          "credential",
      "completed_at",     "employed",          "employed_since", "employment_recorded_at",
      "rating",           "comment",           "feedback_at",    "restored"};
  return *columns;
}

std::vector<std::string> EnrollmentCsvRow(const epb::EnrollmentImport& e) {
  const bool completed = e.has_completion();
  const bool employment = e.has_employment();
  const bool feedback = e.has_feedback();
  return {
      e.source_id(),
      e.learner_source_id(),
      e.offering(),
      epb::EnrollmentState_Name(e.state()),
      CsvTime(e.enroll_time()),
      e.never_seated() ? "never" : (e.has_seat_time() ? CsvTime(e.seat_time()) : ""),
      e.has_cancel_time() ? CsvTime(e.cancel_time()) : "",
      e.cancel_reason().zh(),
      e.cancel_reason().en(),
      completed ? epb::CompletionOutcome_Name(e.completion().outcome()) : "",
      completed ? absl::StrFormat("%.17g", e.completion().hours()) : "",
      completed ? e.completion().credential_ref() : "",
      completed ? CsvTime(e.completion().complete_time()) : "",
      employment ? CsvYesNo(e.employment().employed()) : "",
      employment && e.employment().has_employed_since() ? CsvTime(e.employment().employed_since())
                                                        : "",
      employment && e.employment().has_record_time() ? CsvTime(e.employment().record_time()) : "",
      feedback ? absl::StrCat(e.feedback().rating()) : "",
      feedback ? e.feedback().comment() : "",
      feedback ? CsvTime(e.feedback().submit_time()) : "",
      CsvYesNo(e.restored())};
}

}  // namespace gnlc::ctl

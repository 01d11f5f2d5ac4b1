#include "services/catalog/catalog_validation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc::catalog {
namespace {

using google::protobuf::Timestamp;
using google::protobuf::util::TimeUtil;

absl::Status Bad(absl::string_view field, absl::string_view message) {
  return InvalidArgument("INVALID_FIELD", absl::StrCat(field, ": ", message),
                         {{"field", std::string(field)}});
}

absl::Status ValidateLocalized(absl::string_view field, const gnlc::type::v1::LocalizedText& text,
                               size_t max_chars, bool required) {
  RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".zh"), text.zh(), max_chars));
  RETURN_IF_ERROR(ValidateText(absl::StrCat(field, ".en"), text.en(), max_chars));
  if (required && text.zh().empty() && text.en().empty()) {
    return Bad(field, "is required in at least one language (zh or en)");
  }
  return absl::OkStatus();
}

bool IsLanguageTag(absl::string_view tag) {
  // BCP 47, simplified: a 2-3 letter language and optional subtags.
  if (tag.size() < 2 || tag.size() > 35) return false;
  size_t i = 0;
  while (i < tag.size() && absl::ascii_isalpha(tag[i])) ++i;
  if (i < 2 || i > 3) return false;
  for (; i < tag.size(); ++i) {
    if (!absl::ascii_isalnum(tag[i]) && tag[i] != '-') return false;
  }
  return tag.back() != '-';
}

absl::Time ToTime(const Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

Timestamp FromTime(absl::Time t) { return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t)); }

absl::Status ValidateTimestamp(absl::string_view field, const Timestamp& t) {
  // 2000-01-01 to 2100-01-01: far enough for any real schedule.
  if (t.seconds() < 946684800 || t.seconds() > 4102444800 || t.nanos() < 0 ||
      t.nanos() > 999999999) {
    return Bad(field, "must be a time between 2000 and 2100");
  }
  return absl::OkStatus();
}

absl::Status ValidateDistrict(absl::string_view field, absl::string_view district,
                              const CityConfig& config) {
  if (district.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(ValidateId(field, district));
  // A peer city's records are checked against a config without its
  // districts (we do not know them): any well-formed id is accepted.
  if (config.districts_size() > 0 && !HasDistrict(config, district)) {
    std::vector<std::string> known;
    for (const auto& d : config.districts()) known.push_back(d.id());
    return Bad(field, absl::StrCat("unknown district '", district,
                                   "'; known: ", absl::StrJoin(known, ", ")));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateProgram(Program& p, const CityConfig& config) {
  if (p.kind() == gnlc::type::v1::PROGRAM_KIND_UNSPECIFIED ||
      !gnlc::type::v1::ProgramKind_IsValid(p.kind())) {
    return Bad("program.kind", "must be one of the ProgramKind values");
  }
  RETURN_IF_ERROR(ValidateLocalized("program.title", p.title(), kMaxTitleChars, true));
  RETURN_IF_ERROR(
      ValidateLocalized("program.description", p.description(), kMaxDescriptionChars, false));
  if (p.topics_size() > kMaxTopics) return Bad("program.topics", "at most 20 topics");
  for (std::string& topic : *p.mutable_topics()) {
    RETURN_IF_ERROR(ValidateText("program.topics", topic, kMaxTopicChars));
    if (topic.empty()) return Bad("program.topics", "a topic must not be empty");
    absl::AsciiStrToLower(&topic);
  }
  for (int a : p.audiences()) {
    if (a == 0 || !gnlc::type::v1::AgeBand_IsValid(a)) {
      return Bad("program.audiences", "must be AgeBand values other than UNSPECIFIED");
    }
  }
  if (p.languages_size() > kMaxLanguages) return Bad("program.languages", "at most 5 languages");
  for (const std::string& lang : p.languages()) {
    if (!IsLanguageTag(lang)) {
      return Bad("program.languages",
                 absl::StrCat("'", lang, "' is not a BCP 47 tag like zh or en"));
    }
  }
  if (p.providers_size() > kMaxProviders) return Bad("program.providers", "at most 10 providers");
  for (const std::string& provider : p.providers()) {
    RETURN_IF_ERROR(ValidateText("program.providers", provider, kMaxProviderChars));
  }
  for (int goal : p.sdg_goals()) {
    if (goal < 1 || goal > 17) return Bad("program.sdg_goals", "SDG goals are 1 to 17");
  }
  if (p.state() == v1::PROGRAM_STATE_ARCHIVED || !v1::ProgramState_IsValid(p.state())) {
    return Bad("program.state", "must be DRAFT, PUBLISHED or CANCELLED (delete to archive)");
  }
  RETURN_IF_ERROR(ValidateDistrict("program.district", p.district(), config));
  return absl::OkStatus();
}

absl::Status ValidateOffering(Offering& o, const CityConfig& config, absl::Time now) {
  if (!o.has_start_time()) return Bad("offering.start_time", "is required");
  if (!o.has_end_time()) return Bad("offering.end_time", "is required");
  RETURN_IF_ERROR(ValidateTimestamp("offering.start_time", o.start_time()));
  RETURN_IF_ERROR(ValidateTimestamp("offering.end_time", o.end_time()));
  const absl::Time start = ToTime(o.start_time()), end = ToTime(o.end_time());
  if (end <= start) return Bad("offering.end_time", "must be after start_time");
  if (end - start > kMaxOfferingLength) {
    return Bad("offering.end_time", "an offering lasts at most 400 days");
  }
  if (!o.has_enrollment_open_time())
    *o.mutable_enrollment_open_time() = FromTime(std::min(now, start));
  if (!o.has_enrollment_close_time()) *o.mutable_enrollment_close_time() = o.start_time();
  RETURN_IF_ERROR(ValidateTimestamp("offering.enrollment_open_time", o.enrollment_open_time()));
  RETURN_IF_ERROR(ValidateTimestamp("offering.enrollment_close_time", o.enrollment_close_time()));
  const absl::Time open = ToTime(o.enrollment_open_time());
  const absl::Time close = ToTime(o.enrollment_close_time());
  if (close <= open) {
    return Bad("offering.enrollment_close_time", "must be after enrollment_open_time");
  }
  if (close > end) return Bad("offering.enrollment_close_time", "must not be after end_time");
  if (start - open > kMaxEnrollmentLead) {
    return Bad("offering.enrollment_open_time",
               "enrollment may open at most 366 days before the offering starts");
  }
  if (!o.has_capacity() || o.capacity().limit_case() == v1::Capacity::LIMIT_NOT_SET) {
    return Bad("offering.capacity", "set either seats (0 or more) or unlimited: true");
  }
  if (o.capacity().has_seats() && (o.capacity().seats() < 0 || o.capacity().seats() > kMaxSeats)) {
    return Bad("offering.capacity.seats", "must be between 0 and 1000000");
  }
  if (o.capacity().has_unlimited() && !o.capacity().unlimited()) {
    return Bad("offering.capacity.unlimited", "must be true when set; use seats for a limit");
  }
  if (o.has_waitlist_limit() && (o.waitlist_limit() < 0 || o.waitlist_limit() > kMaxWaitlist)) {
    return Bad("offering.waitlist_limit", "must be between 0 and 100000, or unset for no limit");
  }
  const auto modality = o.modality();
  if (modality == gnlc::type::v1::MODALITY_UNSPECIFIED ||
      !gnlc::type::v1::Modality_IsValid(modality)) {
    return Bad("offering.modality", "must be IN_PERSON, ONLINE or HYBRID");
  }
  const bool needs_venue = modality != gnlc::type::v1::MODALITY_ONLINE;
  const bool needs_url = modality != gnlc::type::v1::MODALITY_IN_PERSON;
  if (needs_venue && !o.has_venue())
    return Bad("offering.venue", "is required for in-person and hybrid");
  if (o.has_venue()) {
    const auto& v = o.venue();
    RETURN_IF_ERROR(
        ValidateLocalized("offering.venue.name", v.name(), kMaxTitleChars, needs_venue));
    RETURN_IF_ERROR(ValidateText("offering.venue.address", v.address(), 300));
    RETURN_IF_ERROR(ValidateDistrict("offering.venue.district", v.district(), config));
    if (needs_venue && !v.has_location()) {
      return Bad("offering.venue.location", "is required for in-person and hybrid");
    }
    const double lat = v.location().latitude(), lng = v.location().longitude();
    if (!std::isfinite(lat) || lat < -90 || lat > 90) {
      return Bad("offering.venue.location.latitude", "must be between -90 and 90");
    }
    if (!std::isfinite(lng) || lng < -180 || lng > 180) {
      return Bad("offering.venue.location.longitude", "must be between -180 and 180");
    }
  }
  RETURN_IF_ERROR(ValidateText("offering.online_url", o.online_url(), 500));
  if (needs_url && o.online_url().rfind("https://", 0) != 0) {
    return Bad("offering.online_url", "an https:// link is required for online and hybrid");
  }
  if (!needs_url && !o.online_url().empty() && o.online_url().rfind("https://", 0) != 0) {
    return Bad("offering.online_url", "must be an https:// link");
  }
  if (o.has_price()) {
    const auto& p = o.price();
    if (p.currency_code() != "CNY" && p.currency_code() != "USD" && p.currency_code() != "EUR") {
      return Bad("offering.price.currency_code", "must be CNY, USD or EUR");
    }
    if (p.units() < 0 || p.nanos() < 0 || p.nanos() > 999999999 || p.units() > 1000000) {
      return Bad("offering.price", "must be between 0 and 1000000 with nanos in [0, 1e9)");
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyProgramMask(const Program& update, const google::protobuf::FieldMask& mask,
                              Program& stored) {
  if (mask.paths().empty()) {
    return Bad("update_mask", "is required: name the fields to change, e.g. \"title,topics\"");
  }
  for (const std::string& path : mask.paths()) {
    if (path == "kind")
      stored.set_kind(update.kind());
    else if (path == "title")
      *stored.mutable_title() = update.title();
    else if (path == "title.zh")
      stored.mutable_title()->set_zh(update.title().zh());
    else if (path == "title.en")
      stored.mutable_title()->set_en(update.title().en());
    else if (path == "description")
      *stored.mutable_description() = update.description();
    else if (path == "description.zh")
      stored.mutable_description()->set_zh(update.description().zh());
    else if (path == "description.en")
      stored.mutable_description()->set_en(update.description().en());
    else if (path == "topics")
      *stored.mutable_topics() = update.topics();
    else if (path == "audiences")
      *stored.mutable_audiences() = update.audiences();
    else if (path == "languages")
      *stored.mutable_languages() = update.languages();
    else if (path == "providers")
      *stored.mutable_providers() = update.providers();
    else if (path == "sdg_goals")
      *stored.mutable_sdg_goals() = update.sdg_goals();
    else if (path == "state")
      stored.set_state(update.state());
    else if (path == "district")
      stored.set_district(update.district());
    else {
      return Bad("update_mask", absl::StrCat("'", path,
                                             "' cannot be updated; allowed: kind, title, "
                                             "description, topics, audiences, languages, "
                                             "providers, sdg_goals, state, district"));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOfferingMask(const Offering& update, const google::protobuf::FieldMask& mask,
                               Offering& stored) {
  if (mask.paths().empty()) {
    return Bad("update_mask", "is required: name the fields to change, e.g. \"capacity\"");
  }
  for (const std::string& path : mask.paths()) {
    if (path == "start_time")
      *stored.mutable_start_time() = update.start_time();
    else if (path == "end_time")
      *stored.mutable_end_time() = update.end_time();
    else if (path == "enrollment_open_time")
      *stored.mutable_enrollment_open_time() = update.enrollment_open_time();
    else if (path == "enrollment_close_time")
      *stored.mutable_enrollment_close_time() = update.enrollment_close_time();
    else if (path == "capacity")
      *stored.mutable_capacity() = update.capacity();
    else if (path == "waitlist_limit") {
      if (update.has_waitlist_limit())
        stored.set_waitlist_limit(update.waitlist_limit());
      else
        stored.clear_waitlist_limit();
    } else if (path == "modality")
      stored.set_modality(update.modality());
    else if (path == "venue")
      *stored.mutable_venue() = update.venue();
    else if (path == "online_url")
      stored.set_online_url(update.online_url());
    else if (path == "price")
      *stored.mutable_price() = update.price();
    else {
      return Bad("update_mask", absl::StrCat("'", path,
                                             "' cannot be updated; allowed: start_time, "
                                             "end_time, enrollment_open_time, "
                                             "enrollment_close_time, capacity, waitlist_limit, "
                                             "modality, venue, "
                                             "online_url, price"));
    }
  }
  return absl::OkStatus();
}

void ClearProgramOutputs(Program& p) {
  p.clear_name();
  p.clear_etag();
  p.clear_create_time();
  p.clear_update_time();
  p.clear_origin_city();
  p.clear_availability();
  p.clear_offering_count();
}

void ClearOfferingOutputs(Offering& o) {
  o.clear_name();
  o.clear_state();
  o.clear_cancel_reason();
  o.clear_seats_taken();
  o.clear_seats_left();
  o.clear_availability();
  o.clear_etag();
  o.clear_create_time();
  o.clear_update_time();
}

}  // namespace gnlc::catalog

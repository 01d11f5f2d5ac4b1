#include "services/enrollment/enrollment_store.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/names/resource_names.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "gnlc/events/v1/events.pb.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/enrollment_scripts.h"

namespace gnlc::enrollment {
namespace {

using gnlc::catalog::v1::Offering;
using gnlc::catalog::v1::Program;

template <typename Message>
bool Parse(absl::string_view bytes, Message& out) {
  return out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

absl::StatusOr<pb::Enrollment> ParseEnrollment(absl::string_view blob, int64_t position) {
  pb::Enrollment e;
  if (!Parse(blob, e)) return BrokenInvariant("a stored enrollment does not parse");
  e.set_waitlist_position(static_cast<int32_t>(position));
  return e;
}

absl::string_view Outcome(const RedisReply& reply) {
  const ReplyView r = reply.view();
  return r.size() > 0 ? r[0].str() : absl::string_view();
}

// A number we stored (a nil field is 0); false if it is not a number.
template <typename Int>
bool StoredNumber(const ReplyView& field, Int& out) {
  return field.is_nil() || absl::SimpleAtoi(field.str(), &out);
}

const std::string& LearnersKey() {
  static const std::string* key = new std::string(Key("learners"));
  return *key;
}

absl::Status Unexpected(absl::string_view outcome) {
  return BrokenInvariant("an enrollment script answered what its caller does not know",
                         {{"outcome", std::string(outcome)}});
}

std::string Time(int64_t unix_seconds) {
  return absl::FormatTime(absl::RFC3339_sec, absl::FromUnixSeconds(unix_seconds),
                          absl::UTCTimeZone());
}

}  // namespace

std::string StatisticsFields(const pb::Learner& learner) {
  gnlc::events::v1::EnrollmentChanged fields;
  if (learner.consents().city_statistics()) {
    fields.set_learner_district(learner.district());
    fields.set_learner_age_band(learner.age_band());
    fields.set_counts_in_statistics(true);
  }
  return fields.SerializeAsString();
}

OfferingFacts FactsOf(const Offering& offering, absl::string_view offering_id,
                      absl::string_view program_id) {
  OfferingFacts f;
  f.offering_id = std::string(offering_id);
  f.name = offering.name();
  f.program_id = std::string(program_id);
  if (!absl::SimpleAtoi(offering.etag(), &f.version)) {
    // Version 0: never newer than facts already stored, so never applied.
    ReportBrokenInvariant("the catalog sent an offering without a numeric etag",
                          {{"offering", offering.name()}});
  }
  f.capacity = offering.capacity().has_unlimited() ? -1 : offering.capacity().seats();
  f.open = offering.enrollment_open_time().seconds();
  f.close = offering.enrollment_close_time().seconds();
  f.end = offering.end_time().seconds();
  f.cancelled = offering.state() == gnlc::catalog::v1::OFFERING_STATE_CANCELLED;
  f.waitlist_limit = offering.has_waitlist_limit() ? offering.waitlist_limit() : -1;
  f.modality = offering.modality();
  f.cancel_reason = offering.cancel_reason().SerializeAsString();
  f.start = offering.start_time().seconds();
  f.venue_name = offering.venue().name().SerializeAsString();
  f.venue_address = offering.venue().address();
  return f;
}

ProgramFacts FactsOf(const Program& program, absl::string_view program_id, bool deleted) {
  ProgramFacts f;
  f.program_id = std::string(program_id);
  if (!absl::SimpleAtoi(program.etag(), &f.version)) {
    ReportBrokenInvariant("the catalog sent a program without a numeric etag",
                          {{"program", program.name()}});
  }
  f.state = program.state();
  if (deleted) {
    f.version += 1;
    f.state = gnlc::catalog::v1::PROGRAM_STATE_ARCHIVED;
  }
  f.kind = program.kind();
  return f;
}

EnrollmentStore::EnrollmentStore(RedisPool* pool, std::string city, Clock clock,
                                 absl::Duration stream_retention)
    : pool_(pool),
      city_(std::move(city)),
      clock_(std::move(clock)),
      retention_ms_(std::to_string(absl::ToInt64Milliseconds(stream_retention))) {}

absl::StatusOr<EnrollmentStore::StatisticsPage> EnrollmentStore::ReadStatisticsPage(
    absl::string_view cursor, int count, absl::string_view set) {
  const bool learners = set != "enr";
  ASSIGN_OR_RETURN(RedisReply r, Run(StatisticsPageScript(), {cursor, absl::StrCat(count), set}));
  const ReplyView v = r.view();
  if (v.size() < 1) return Unexpected("empty statistics page");
  StatisticsPage page;
  page.next_cursor = std::string(v[0].str());
  for (size_t i = 1; i < v.size(); ++i) {
    if (learners) {
      page.learners.emplace_back(v[i].str());
      continue;
    }
    gnlc::events::v1::EnrollmentChanged record;
    if (!record.ParseFromArray(v[i].str().data(), static_cast<int>(v[i].str().size()))) {
      return BrokenInvariant("a stored enrollment does not parse");
    }
    page.records.push_back(std::move(record));
  }
  return page;
}

absl::Status EnrollmentStore::RepublishSeats() {
  std::string cursor = "0";
  do {
    ASSIGN_OR_RETURN(RedisReply r, Run(RepublishSeatsScript(), {cursor}));
    cursor = std::string(r.view().str());
  } while (cursor != "0");
  return absl::OkStatus();
}

absl::Status EnrollmentStore::SweepOldEventIds(absl::string_view trimmed) {
  return Run(SweepOldEventIdsScript(), {trimmed}).status();
}

absl::StatusOr<RedisReply> EnrollmentStore::Run(const RedisScript& script,
                                                std::vector<absl::string_view> args,
                                                const std::vector<std::string>& keys) {
  const std::string now = std::to_string(absl::ToUnixMillis(clock_()));
  args.insert(args.begin(), {city_, now, retention_ms_});
  return script.Run(*pool_, ScriptKeys(keys), args);
}

absl::StatusOr<std::optional<std::string>> EnrollmentStore::CreateLearner(
    absl::string_view learner_id, const pb::Learner& learner, absl::string_view request_id,
    absl::string_view fingerprint) {
  const std::string blob = learner.SerializeAsString();
  const std::string stats = StatisticsFields(learner);
  ASSIGN_OR_RETURN(RedisReply reply, Run(CreateLearnerScript(),
                                         {learner_id, blob, stats, learner.external_subject(),
                                          request_id, fingerprint},
                                         {Key("lreq", learner_id), Key("req:l", request_id)}));
  const absl::string_view outcome = Outcome(reply);
  if (outcome == "OK") return std::nullopt;
  if (outcome == "DUPLICATE") return std::string(reply.view()[1].str());
  if (outcome == "REQUEST_MISMATCH") return RequestIdReused();
  if (outcome == "ID_TAKEN") return absl::AlreadyExistsError("id taken");
  if (outcome == "SUBJECT_TAKEN") {
    const std::string existing = LearnerName(city_, reply.view()[1].str());
    return MakeError(absl::StatusCode::kAlreadyExists, "EXTERNAL_SUBJECT_TAKEN",
                     absl::StrCat("learner.external_subject is already registered as ", existing),
                     {{"existing", existing}});
  }
  return Unexpected(outcome);
}

absl::Status EnrollmentStore::LearnerNotFound(absl::string_view learner_id) const {
  return NotFound("LEARNER_NOT_FOUND",
                  absl::StrCat(LearnerName(city_, learner_id), " does not exist or was erased"));
}

absl::Status EnrollmentStore::EnrollmentNotFound(absl::string_view enrollment_id) const {
  return NotFound("ENROLLMENT_NOT_FOUND",
                  absl::StrCat(EnrollmentName(city_, enrollment_id), " does not exist"));
}

absl::StatusOr<std::vector<std::optional<pb::Learner>>> EnrollmentStore::ReadLearners(
    const std::vector<std::string>& learner_ids) {
  std::vector<std::optional<pb::Learner>> out(learner_ids.size());
  if (learner_ids.empty()) return out;
  std::vector<absl::string_view> args = {"HMGET", LearnersKey()};
  for (const auto& id : learner_ids) args.push_back(id);
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command(args));
  const ReplyView r = reply.view();
  for (size_t i = 0; i < learner_ids.size() && i < r.size(); ++i) {
    if (r[i].is_nil()) continue;
    pb::Learner learner;
    if (!Parse(r[i].str(), learner)) {
      // Left out of the batch (as if absent), but never silently.
      ReportBrokenInvariant("a stored learner does not parse", {{"learner", learner_ids[i]}});
      continue;
    }
    out[i] = std::move(learner);
  }
  return out;
}

absl::StatusOr<StoredLearner> EnrollmentStore::ReadLearner(absl::string_view learner_id) {
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command({"HGET", LearnersKey(), learner_id}));
  StoredLearner out;
  out.blob = std::string(reply.view().str());
  if (reply.view().is_nil()) return LearnerNotFound(learner_id);
  if (!Parse(out.blob, out.learner)) {
    return BrokenInvariant("a stored learner does not parse",
                           {{"learner", std::string(learner_id)}});
  }
  return out;
}

absl::Status EnrollmentStore::UpdateLearner(absl::string_view learner_id,
                                            absl::string_view expected_blob,
                                            const pb::Learner& learner) {
  const std::string blob = learner.SerializeAsString();
  const std::string stats = StatisticsFields(learner);
  ASSIGN_OR_RETURN(RedisReply reply,
                   Run(UpdateLearnerScript(), {learner_id, expected_blob, blob, stats}));
  const absl::string_view outcome = Outcome(reply);
  if (outcome == "OK") return absl::OkStatus();
  if (outcome == "NOT_FOUND") {
    return LearnerNotFound(learner_id);
  }
  if (outcome == "CONFLICT") {
    return Aborted("CONCURRENT_UPDATE", "the learner changed meanwhile: read it again and retry");
  }
  return Unexpected(outcome);
}

absl::StatusOr<std::optional<pb::Enrollment>> EnrollmentStore::Enroll(
    absl::string_view learner_id, absl::string_view offering_id, absl::string_view offering_name,
    absl::string_view enrollment_id, absl::string_view request_id, absl::string_view fingerprint,
    const pb::Enrollment& confirmed, const pb::Enrollment& waitlisted) {
  const std::string confirmed_blob = confirmed.SerializeAsString();
  const std::string waitlisted_blob = waitlisted.SerializeAsString();
  std::vector<std::string> keys = OfferingKeys(offering_id);
  for (std::string& key : LearnerKeys(learner_id)) keys.push_back(std::move(key));
  keys.push_back(Key("req:e", request_id));
  ASSIGN_OR_RETURN(RedisReply reply,
                   Run(EnrollScript(),
                       {learner_id, offering_id, enrollment_id, request_id, fingerprint,
                        confirmed_blob, waitlisted_blob, offering_name},
                       keys));
  const ReplyView r = reply.view();
  const absl::string_view outcome = Outcome(reply);
  if (outcome == "OK" || outcome == "DUPLICATE") {
    int64_t position = 0;
    if (!StoredNumber(r[2], position)) return Unexpected("waitlist position not a number");
    return ParseEnrollment(r[1].str(), position);
  }
  if (outcome == "NO_FACTS") return std::nullopt;
  if (outcome == "REQUEST_MISMATCH") return RequestIdReused();
  if (outcome == "NO_LEARNER") {
    return LearnerNotFound(learner_id);
  }
  const std::map<std::string, std::string> offering = {{"offering", std::string(offering_name)}};
  if (outcome == "NO_OFFERING") {
    return NotFound("OFFERING_NOT_FOUND", absl::StrCat(offering_name, " does not exist"), offering);
  }
  if (outcome == "NOT_PUBLISHED") {
    return FailedPrecondition("PROGRAM_NOT_PUBLISHED",
                              "the offering's program is not published: it takes no enrollments",
                              offering);
  }
  if (outcome == "CANCELLED") {
    return FailedPrecondition("OFFERING_CANCELLED", "the offering was cancelled", offering);
  }
  if (outcome == "NOT_OPEN" || outcome == "CLOSED") {
    int64_t when = 0;
    if (!StoredNumber(r[1], when)) return Unexpected("enrollment window not a number");
    const bool open = outcome == "NOT_OPEN";
    return FailedPrecondition(
        open ? "ENROLLMENT_NOT_OPEN" : "ENROLLMENT_CLOSED",
        absl::StrCat(open ? "enrollment opens at " : "enrollment closed at ", Time(when)),
        {{"offering", std::string(offering_name)},
         {open ? "open_time" : "close_time", Time(when)}});
  }
  if (outcome == "EXISTS") {
    const std::string existing = EnrollmentName(city_, r[1].str());
    return MakeError(absl::StatusCode::kAlreadyExists, "ALREADY_ENROLLED",
                     absl::StrCat("the learner is already enrolled in this offering as ", existing),
                     {{"existing", existing}});
  }
  if (outcome == "WAITLIST_FULL") {
    return MakeError(
        absl::StatusCode::kResourceExhausted, "WAITLIST_FULL",
        absl::StrCat("the offering is full and its waitlist of ", r[1].str(), " is full too"),
        {{"offering", std::string(offering_name)}, {"waitlist_limit", std::string(r[1].str())}});
  }
  return Unexpected(outcome);
}

absl::StatusOr<pb::Enrollment> EnrollmentStore::Cancel(absl::string_view enrollment_id,
                                                       const gnlc::type::v1::LocalizedText& reason,
                                                       absl::string_view actor) {
  const std::string history_reason =
      !reason.en().empty() ? reason.en() : (!reason.zh().empty() ? reason.zh() : "cancelled");
  const std::string reason_blob = reason.SerializeAsString();
  ASSIGN_OR_RETURN(RedisReply reply,
                   Run(CancelScript(), {enrollment_id, history_reason, reason_blob, actor}));
  const absl::string_view outcome = Outcome(reply);
  if (outcome == "OK") return ParseEnrollment(reply.view()[1].str(), 0);
  if (outcome == "NOT_FOUND") {
    return EnrollmentNotFound(enrollment_id);
  }
  if (outcome == "NOT_ACTIVE") {
    return FailedPrecondition("ENROLLMENT_NOT_ACTIVE",
                              "only a confirmed or waitlisted enrollment can be cancelled");
  }
  return Unexpected(outcome);
}

absl::Status EnrollmentStore::Rewrite(absl::string_view enrollment_id,
                                      absl::string_view expected_blob,
                                      const pb::Enrollment& updated, int change, bool completing) {
  pb::Enrollment stored = updated;
  stored.clear_waitlist_position();
  const std::string blob = stored.SerializeAsString();
  const std::string change_code = std::to_string(change);
  ASSIGN_OR_RETURN(RedisReply reply, Run(RewriteScript(), {enrollment_id, expected_blob, blob,
                                                           change_code, completing ? "4" : "0"}));
  const absl::string_view outcome = Outcome(reply);
  if (outcome == "OK") return absl::OkStatus();
  if (outcome == "NOT_FOUND") {
    return EnrollmentNotFound(enrollment_id);
  }
  if (outcome == "CONFLICT") {
    return Aborted("CONCURRENT_UPDATE", "the enrollment changed meanwhile: read it and retry");
  }
  return Unexpected(outcome);
}

absl::StatusOr<StoredEnrollment> EnrollmentStore::ReadEnrollment(absl::string_view enrollment_id) {
  ASSIGN_OR_RETURN(RedisReply reply, Run(ViewScript(), {enrollment_id}));
  const ReplyView r = reply.view();
  if (r.size() < 2 || r[0].str().empty()) {
    return EnrollmentNotFound(enrollment_id);
  }
  StoredEnrollment out;
  out.blob = std::string(r[0].str());
  ASSIGN_OR_RETURN(out.enrollment, ParseEnrollment(out.blob, r[1].integer()));
  return out;
}

absl::StatusOr<EnrollmentStore::Page> EnrollmentStore::List(const std::string& index,
                                                            absl::string_view after, int state,
                                                            int limit, absl::string_view learner_id,
                                                            bool encoded) {
  // Scan at most this many entries per page, so a rare state filter over a
  // long list returns a short page (with a token) instead of a long call.
  constexpr int kScanBudget = 5000;
  const std::string state_arg = std::to_string(state);
  const std::string limit_arg = std::to_string(limit);
  const std::string budget_arg = std::to_string(std::max(kScanBudget, limit));
  ASSIGN_OR_RETURN(
      RedisReply reply,
      Run(ListScript(), {index, after, state_arg, limit_arg, budget_arg, learner_id}, {index}));
  const ReplyView r = reply.view();
  if (r[1].integer() < 0) return LearnerNotFound(learner_id);
  Page page;
  page.last_position = std::string(r[0].str());
  page.more = r[1].integer() == 1;
  for (size_t i = 2; i + 1 < r.size(); i += 2) {
    if (r[i].str().empty()) continue;  // erased meanwhile
    if (encoded) {
      // Stored records carry no waitlist_position (field 5, a varint): it
      // is appended, as the scripts do for events.
      std::string& bytes = page.encoded.emplace_back(r[i].str());
      if (const int64_t position = r[i + 1].integer(); position > 0) {
        google::protobuf::io::StringOutputStream out(&bytes);
        google::protobuf::io::CodedOutputStream coded(&out);
        coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
            pb::Enrollment::kWaitlistPositionFieldNumber,
            google::protobuf::internal::WireFormatLite::WIRETYPE_VARINT));
        coded.WriteVarint64(static_cast<uint64_t>(position));
      }
      continue;
    }
    ASSIGN_OR_RETURN(pb::Enrollment e, ParseEnrollment(r[i].str(), r[i + 1].integer()));
    page.enrollments.push_back(std::move(e));
  }
  return page;
}

absl::StatusOr<EnrollmentStore::Page> EnrollmentStore::ListByLearner(absl::string_view learner_id,
                                                                     absl::string_view after,
                                                                     int state, int limit,
                                                                     bool encoded) {
  return List(Key("le", learner_id), after, state, limit, learner_id, encoded);
}

absl::StatusOr<EnrollmentStore::Page> EnrollmentStore::ListByOffering(absl::string_view offering_id,
                                                                      absl::string_view after,
                                                                      int state, int limit,
                                                                      bool encoded) {
  return List(Key("roster", offering_id), after, state, limit, "", encoded);
}

absl::StatusOr<std::optional<pb::OfferingSeats>> EnrollmentStore::ReadSeats(
    absl::string_view offering_id, absl::string_view offering_name) {
  ASSIGN_OR_RETURN(RedisReply reply, Run(SeatsScript(), {offering_id}, OfferingKeys(offering_id)));
  const ReplyView r = reply.view();
  if (r.size() < 3) return std::nullopt;
  pb::OfferingSeats seats;
  seats.set_offering(std::string(offering_name));
  seats.set_capacity(static_cast<int32_t>(r[0].integer()));
  seats.set_taken(static_cast<int32_t>(r[1].integer()));
  seats.set_free(seats.capacity() < 0 ? -1 : std::max(0, seats.capacity() - seats.taken()));
  seats.set_waitlist_length(static_cast<int32_t>(r[2].integer()));
  return seats;
}

absl::StatusOr<std::optional<OfferingFacts>> EnrollmentStore::ReadOfferingFacts(
    absl::string_view offering_id) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   pool_->Command({"HMGET", Key("off", offering_id), "ver", "prog", "end",
                                   "cancelled", "modality", "name", "start", "vname", "vaddr"}));
  const ReplyView r = reply.view();
  if (r.size() < 9 || r[0].is_nil()) return std::nullopt;
  OfferingFacts f;
  f.offering_id = std::string(offering_id);
  f.program_id = std::string(r[1].str());
  f.cancelled = r[3].str() == "1";
  f.name = std::string(r[5].str());
  // A field absent from facts stored before it was kept stays 0 (unknown).
  if (!StoredNumber(r[0], f.version) || !StoredNumber(r[2], f.end) ||
      !StoredNumber(r[4], f.modality) || !StoredNumber(r[6], f.start)) {
    return BrokenInvariant("stored offering facts hold a field that is not a number",
                           {{"offering", std::string(offering_id)}});
  }
  f.venue_name = std::string(r[7].str());
  f.venue_address = std::string(r[8].str());
  return f;
}

absl::StatusOr<std::optional<ProgramFacts>> EnrollmentStore::ReadProgramFacts(
    absl::string_view program_id) {
  ASSIGN_OR_RETURN(RedisReply reply,
                   pool_->Command({"HMGET", Key("prog", program_id), "ver", "state", "kind"}));
  const ReplyView r = reply.view();
  if (r.size() < 3 || r[0].is_nil()) return std::nullopt;
  ProgramFacts f;
  f.program_id = std::string(program_id);
  if (!StoredNumber(r[0], f.version) || !StoredNumber(r[1], f.state) ||
      !StoredNumber(r[2], f.kind)) {
    return BrokenInvariant("stored program facts hold a field that is not a number",
                           {{"program", std::string(program_id)}});
  }
  return f;
}

absl::Status EnrollmentStore::PutOfferingFacts(const OfferingFacts& f) {
  const std::string version = std::to_string(f.version);
  const std::string capacity = std::to_string(f.capacity);
  const std::string open = std::to_string(f.open);
  const std::string close = std::to_string(f.close);
  const std::string end = std::to_string(f.end);
  const std::string limit = std::to_string(f.waitlist_limit);
  const std::string modality = std::to_string(f.modality);
  const std::string start = std::to_string(f.start);
  return Run(PutOfferingFactsScript(),
             {f.offering_id, version, f.name, f.program_id, capacity, open, close, end,
              f.cancelled ? "1" : "0", limit, modality, f.cancel_reason, start, f.venue_name,
              f.venue_address},
             OfferingKeys(f.offering_id))
      .status();
}

absl::Status EnrollmentStore::PutProgramFacts(const ProgramFacts& f) {
  const std::string version = std::to_string(f.version);
  const std::string state = std::to_string(f.state);
  const std::string kind = std::to_string(f.kind);
  return Run(PutProgramFactsScript(), {f.program_id, version, state, kind},
             {Key("prog", f.program_id)})
      .status();
}

absl::StatusOr<bool> EnrollmentStore::EraseLearner(absl::string_view learner_id,
                                                   absl::string_view external_subject) {
  const std::string name = LearnerName(city_, learner_id);
  ASSIGN_OR_RETURN(RedisReply reply, Run(EraseLearnerScript(), {learner_id, external_subject, name},
                                         LearnerKeys(learner_id)));
  return reply.view().integer() == 1;
}

}  // namespace gnlc::enrollment

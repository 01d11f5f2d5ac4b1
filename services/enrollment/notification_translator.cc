#include "services/enrollment/notification_translator.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/names/resource_names.h"
#include "common/server/logging.h"
#include "common/status/invariant.h"
#include "common/status/status_macros.h"
#include "common/time/proto_time.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/enrollment_scripts.h"

namespace gnlc::enrollment {
namespace {

namespace events = gnlc::events::v1;

const std::string& CursorKey() {
  static const std::string* key = new std::string(Key("ntfcursor"));
  return *key;
}
constexpr int kBatchEvents = 256;
// After a batch that was not full, let the next one gather this long: under
// load a batch then holds many events for the same few round trips.
constexpr absl::Duration kGather = absl::Milliseconds(10);
constexpr absl::Duration kReminderCheckEvery = absl::Milliseconds(250);

// The event's type without parsing it: the encoders (EncodeEvent, the Lua
// publish) write `type` (field 2) first. Events of no interest here (seat
// counts, half of all events) are skipped unparsed.
bool MayNotify(absl::string_view bytes) {
  if (bytes.size() < 2 || bytes[0] != 0x12) return true;  // not as expected: parse it
  const absl::string_view type = bytes.substr(2, static_cast<unsigned char>(bytes[1]));
  return type == "enrollment_changed" || type == "offering_rescheduled";
}
constexpr int kRemindersPerStep = 200;

absl::Duration SecondsFromEnvironment(const char* name, absl::Duration fallback) {
  const char* value = std::getenv(name);
  int64_t seconds = 0;
  if (value == nullptr || !absl::SimpleAtoi(value, &seconds) || seconds <= 0) return fallback;
  return absl::Seconds(seconds);
}

bool Active(pb::EnrollmentState state) {
  return state == pb::ENROLLMENT_STATE_CONFIRMED || state == pb::ENROLLMENT_STATE_WAITLISTED;
}

}  // namespace

NotificationSettings NotificationSettings::FromEnvironment() {
  NotificationSettings s;
  s.reminder_lead = SecondsFromEnvironment("GNLC_REMINDER_LEAD_SECONDS", s.reminder_lead);
  s.retention = SecondsFromEnvironment("GNLC_NOTIFICATION_RETENTION_SECONDS", s.retention);
  const char* enabled = std::getenv("GNLC_NOTIFICATIONS");
  s.enabled = enabled == nullptr || std::string(enabled) != "off";
  return s;
}

NotificationTranslator::NotificationTranslator(RedisOptions options, RedisPool* pool,
                                               EnrollmentStore* store, std::string city,
                                               Clock clock, NotificationSettings settings,
                                               std::function<void()> on_commit)
    : options_(std::move(options)),
      pool_(pool),
      store_(store),
      city_(std::move(city)),
      clock_(std::move(clock)),
      settings_(settings),
      on_commit_(std::move(on_commit)) {}

NotificationTranslator::~NotificationTranslator() { Stop(); }

void NotificationTranslator::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NotificationTranslator::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void NotificationTranslator::Run() {
  RedisConnection reader(options_);
  absl::Duration backoff = absl::Milliseconds(50);
  absl::Time reminders_checked = absl::InfinitePast();
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<size_t> read = TranslateOnce(reader);
    absl::Status status = read.status();
    if (!status.ok()) cursor_.clear();  // the commit may have landed: ask Redis
    if (status.ok() && absl::Now() - reminders_checked >= kReminderCheckEvery) {
      status = SendDueReminders();
      reminders_checked = absl::Now();
    }
    if (status.ok()) {
      backoff = absl::Milliseconds(50);
      if (*read > 0 && *read < kBatchEvents) stop_.WaitForNotificationWithTimeout(kGather);
      continue;
    }
    LogJson(LogLevel::kWarn, "notification translation failed, retrying",
            {{"error", std::string(status.message())}});
    stop_.WaitForNotificationWithTimeout(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

std::string NotificationTranslator::MinId() const {
  return std::to_string(absl::ToUnixMillis(clock_() - settings_.retention));
}

absl::StatusOr<size_t> NotificationTranslator::TranslateOnce(RedisConnection& reader) {
  if (cursor_.empty()) {
    // At start, and after another replica committed first.
    ASSIGN_OR_RETURN(RedisReply cursor_reply, pool_->Command({"GET", CursorKey()}));
    cursor_ = std::string(cursor_reply.view().str());
  }
  const std::string cursor = cursor_;
  if (cursor.empty()) {
    // First start: notify of what happens from now on, not of the past.
    ASSIGN_OR_RETURN(RedisReply last,
                     pool_->Command({"XREVRANGE", kEnrollmentStream, "+", "-", "COUNT", "1"}));
    const std::string start =
        last.view().size() > 0 ? std::string(last.view()[0][0].str()) : std::string("0-0");
    RETURN_IF_ERROR(Commit("", start, {}));
    return 0;
  }
  // BLOCK is short so that Stop() and due reminders are noticed quickly.
  ASSIGN_OR_RETURN(RedisReply reply,
                   reader.Command({"XREAD", "COUNT", std::to_string(kBatchEvents), "BLOCK", "250",
                                   "STREAMS", kEnrollmentStream, cursor},
                                  absl::Seconds(2)));
  const ReplyView streams = reply.view();
  if (streams.size() == 0) return 0;
  const ReplyView entries = streams[0][1];
  if (entries.size() == 0) return 0;
  std::vector<Event> events;
  std::string last = cursor;
  for (size_t i = 0; i < entries.size(); ++i) {
    last = std::string(entries[i][0].str());
    const ReplyView fields = entries[i][1];
    for (size_t f = 0; f + 1 < fields.size(); f += 2) {
      if (fields[f].str() != kEventField || !MayNotify(fields[f + 1].str())) continue;
      auto event = DecodeEvent(last, fields[f + 1].str());
      if (!event.ok()) continue;  // not ours to judge: other consumers log it
      events.push_back(std::move(*event));
    }
  }
  RETURN_IF_ERROR(ReadLearnersOf(events));
  Batch batch;
  for (const Event& event : events) RETURN_IF_ERROR(Translate(event, batch));
  RETURN_IF_ERROR(Commit(cursor, last, batch));
  return entries.size();
}

absl::Status NotificationTranslator::Translate(const Event& event, Batch& batch) {
  switch (event.payload_case()) {
    case Event::kEnrollmentChanged:
      return TranslateEnrollmentChange(event, batch);
    case Event::kOfferingRescheduled:
      return TranslateReschedule(event, batch);
    default:
      return absl::OkStatus();
  }
}

absl::Status NotificationTranslator::TranslateEnrollmentChange(const Event& event, Batch& batch) {
  const events::EnrollmentChanged& change = event.enrollment_changed();
  const pb::Enrollment& e = change.enrollment();
  const std::string id = absl::StrCat("n", event.id());
  switch (change.change()) {
    case events::ENROLLMENT_CHANGE_ENROLLED:
      return Add(event, e, pb::NOTIFICATION_TYPE_UNSPECIFIED, "", "S", batch);
    case events::ENROLLMENT_CHANGE_PROMOTED:
      return Add(event, e, pb::NOTIFICATION_TYPE_PROMOTED, id, "S", batch);
    case events::ENROLLMENT_CHANGE_CANCELLED: {
      // The learner knows what they did themself; an erasure has nobody to tell.
      const bool tell = change.actor() == "city" || change.actor() == "offering";
      return Add(event, e,
                 tell ? pb::NOTIFICATION_TYPE_CANCELLED : pb::NOTIFICATION_TYPE_UNSPECIFIED, id,
                 "X", batch, [&](pb::Notification& n) { *n.mutable_reason() = e.cancel_reason(); });
    }
    case events::ENROLLMENT_CHANGE_COMPLETED:
      return Add(event, e, pb::NOTIFICATION_TYPE_COMPLETED, id, "X", batch,
                 [&](pb::Notification& n) { *n.mutable_completion() = e.completion(); });
    default:
      return absl::OkStatus();
  }
}

absl::Status NotificationTranslator::TranslateReschedule(const Event& event, Batch& batch) {
  const events::OfferingRescheduled& r = event.offering_rescheduled();
  auto ref = ParseOfferingName(r.offering(), city_, "offering");
  if (!ref.ok()) return absl::OkStatus();
  // Everyone holding or waiting for a seat now hears of it.
  std::string after = "0";
  int index = 0;
  EnrollmentStore::Page page;
  do {
    ASSIGN_OR_RETURN(page, store_->ListByOffering(ref->offering_id, after, 0, 500));
    for (const pb::Enrollment& e : page.enrollments) {
      if (!Active(e.state())) continue;
      RETURN_IF_ERROR(Add(event, e, pb::NOTIFICATION_TYPE_SCHEDULE_CHANGED,
                          absl::StrCat("n", event.id(), ".", index++),
                          e.state() == pb::ENROLLMENT_STATE_CONFIRMED ? "S" : "", batch,
                          [&](pb::Notification& n) {
                            *n.mutable_previous_start_time() = r.previous_start_time();
                          }));
    }
    after = page.last_position;
  } while (page.more);
  return absl::OkStatus();
}

absl::Status NotificationTranslator::Add(const Event& event, const pb::Enrollment& e,
                                         pb::NotificationType type, std::string id,
                                         const std::string& reminder_op, Batch& batch,
                                         const std::function<void(pb::Notification&)>& fill) {
  auto learner_id = ParseLearnerName(e.learner(), city_, "learner");
  auto enrollment_id = ParseEnrollmentName(e.name(), city_, "enrollment");
  auto offering = ParseOfferingName(e.offering(), city_, "offering");
  if (!learner_id.ok() || !enrollment_id.ok() || !offering.ok()) return absl::OkStatus();
  if (reminder_op == "X") batch.reminders.push_back({"X", *enrollment_id, 0, ""});
  if (type == pb::NOTIFICATION_TYPE_UNSPECIFIED && reminder_op != "S") return absl::OkStatus();
  ASSIGN_OR_RETURN(const pb::Learner* learner, Learner(*learner_id));
  // Erased, or nobody to deliver to.
  if (learner == nullptr || learner->backend().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const OfferingFacts* facts, Facts(offering->offering_id));

  pb::Notification n;
  n.set_type(type);
  n.set_id(std::move(id));
  *n.mutable_time() = event.time();
  n.set_learner(e.learner());
  n.set_external_subject(learner->external_subject());
  n.set_enrollment(e.name());
  n.set_offering(e.offering());
  n.set_state(e.state());
  if (facts != nullptr && facts->start > 0) {
    *n.mutable_offering_start_time() = TimestampFromTime(absl::FromUnixSeconds(facts->start));
    if (!n.mutable_venue_name()->ParseFromString(facts->venue_name)) {
      ReportBrokenInvariant("stored venue name does not parse", {{"offering", e.offering()}});
    }
    n.set_venue_address(facts->venue_address);
  }
  if (fill) fill(n);
  if (reminder_op == "S" && facts != nullptr && facts->start > 0 &&
      absl::FromUnixSeconds(facts->start) > clock_()) {
    const absl::Time due = absl::FromUnixSeconds(facts->start) - settings_.reminder_lead;
    pb::Notification reminder = n;
    reminder.set_type(pb::NOTIFICATION_TYPE_REMINDER);
    reminder.set_id(absl::StrCat("r-", *enrollment_id));
    *reminder.mutable_time() = TimestampFromTime(due);
    reminder.set_state(pb::ENROLLMENT_STATE_CONFIRMED);
    reminder.clear_previous_start_time();
    batch.reminders.push_back(
        {"S", *enrollment_id, absl::ToUnixMillis(due),
         absl::StrCat(learner->backend(), " ", reminder.SerializeAsString())});
  }
  if (type != pb::NOTIFICATION_TYPE_UNSPECIFIED) {
    batch.outgoing.push_back({learner->backend(), *learner_id, std::move(n)});
  }
  return absl::OkStatus();
}

absl::Status NotificationTranslator::ReadLearnersOf(const std::vector<Event>& events) {
  learners_.clear();
  facts_.clear();
  std::vector<std::string> ids;
  for (const Event& event : events) {
    // Imported history tells nobody anything: no learner to read.
    if (!event.has_enrollment_changed() ||
        event.enrollment_changed().change() == events::ENROLLMENT_CHANGE_IMPORTED) {
      continue;
    }
    auto id = ParseLearnerName(event.enrollment_changed().enrollment().learner(), city_, "learner");
    if (id.ok() && !learners_.contains(*id)) {
      learners_.emplace(*id, std::nullopt);
      ids.push_back(*id);
    }
  }
  ASSIGN_OR_RETURN(auto read, store_->ReadLearners(ids));
  for (size_t i = 0; i < ids.size(); ++i) learners_[ids[i]] = std::move(read[i]);
  return absl::OkStatus();
}

absl::StatusOr<const pb::Learner*> NotificationTranslator::Learner(const std::string& learner_id) {
  auto it = learners_.find(learner_id);
  if (it == learners_.end()) {
    ASSIGN_OR_RETURN(auto read, store_->ReadLearners({learner_id}));
    it = learners_.emplace(learner_id, std::move(read[0])).first;
  }
  return it->second.has_value() ? &*it->second : nullptr;
}

absl::StatusOr<const OfferingFacts*> NotificationTranslator::Facts(const std::string& offering_id) {
  auto it = facts_.find(offering_id);
  if (it == facts_.end()) {
    ASSIGN_OR_RETURN(auto read, store_->ReadOfferingFacts(offering_id));
    it = facts_.emplace(offering_id, std::move(read)).first;
  }
  return it->second.has_value() ? &*it->second : nullptr;
}

absl::Status NotificationTranslator::Commit(const std::string& expected, const std::string& last,
                                            const Batch& batch) {
  std::vector<std::string> owned = {
      city_,   std::to_string(absl::ToUnixMillis(clock_())), store_->retention_ms(), expected, last,
      MinId(), std::to_string(batch.outgoing.size())};
  std::vector<std::string> keys;
  for (const Outgoing& o : batch.outgoing) {
    keys.insert(keys.end(),
                {Key("ntf", o.backend), Key("ntftrim", o.backend), Key("lntf", o.learner_id)});
    owned.push_back(o.backend);
    owned.push_back(o.learner_id);
    owned.push_back(o.notification.SerializeAsString());
  }
  for (const ReminderChange& r : batch.reminders) {
    owned.push_back(r.op);
    owned.push_back(r.enrollment_id);
    owned.push_back(std::to_string(r.due_ms));
    owned.push_back(r.payload);
  }
  const std::vector<absl::string_view> args(owned.begin(), owned.end());
  ASSIGN_OR_RETURN(RedisReply reply,
                   CommitNotificationsScript().Run(*pool_, ScriptKeys(keys), args));
  if (reply.view()[0].str() != "OK") {
    // CONFLICT: another replica committed this batch; read the cursor again
    // and go on after it.
    cursor_.clear();
    return absl::OkStatus();
  }
  cursor_ = last;
  if (!batch.outgoing.empty() && on_commit_) on_commit_();
  return absl::OkStatus();
}

absl::Status NotificationTranslator::SendDueReminders() {
  const std::string now = std::to_string(absl::ToUnixMillis(clock_()));
  const std::string limit = std::to_string(kRemindersPerStep);
  int64_t due = 0;
  do {
    ASSIGN_OR_RETURN(RedisReply reply,
                     DueRemindersScript().Run(
                         *pool_, ScriptKeys(),
                         {city_, now, store_->retention_ms(), now, MinId(), limit,
                          std::to_string(absl::ToInt64Milliseconds(settings_.reminder_lead))}));
    due = reply.view().integer();
    if (due > 0 && on_commit_) on_commit_();
  } while (due == kRemindersPerStep && !stop_.HasBeenNotified());
  return absl::OkStatus();
}

}  // namespace gnlc::enrollment

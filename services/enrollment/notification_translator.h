// Turns the enrollment stream's events into notifications for mobile
// backends (gnlc.enrollment.v1.Notification) in each backend's own stream,
// and sends reminders when they fall due.
//
// Every replica runs one, on its own thread. All read the enrollment stream
// from one shared cursor (enr:{0}:ntfcursor) and commit a translated batch
// with a script that moves the cursor only if it is still where the batch
// was read from: exactly one replica's translation of each event lands, in
// stream order, so one enrollment's notifications keep their order. The
// loser re-reads from the new cursor. Reminders live in a sorted set by due
// time; the script that sends one removes it in the same step, so two
// replicas never send it twice.
//
//   NotificationTranslator t(redis_options, &pool, &store, "nanjing", clock,
//                            NotificationSettings::FromEnvironment(),
//                            [&] { hub.Wake(); });
//   t.Start(); ... t.Stop();
#ifndef GNLC_SERVICES_ENROLLMENT_NOTIFICATION_TRANSLATOR_H_
#define GNLC_SERVICES_ENROLLMENT_NOTIFICATION_TRANSLATOR_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/events/event_codec.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_pool.h"
#include "gnlc/enrollment/v1/notification.pb.h"
#include "services/enrollment/enrollment_store.h"

namespace gnlc::enrollment {

struct NotificationSettings {
  // How long before a confirmed enrollment's offering starts its reminder
  // goes out (GNLC_REMINDER_LEAD_SECONDS, default 24 h).
  absl::Duration reminder_lead = absl::Hours(24);
  // How long each backend's notifications are kept for resuming
  // (GNLC_NOTIFICATION_RETENTION_SECONDS, default 7 days).
  absl::Duration retention = absl::Hours(24 * 7);
  // GNLC_NOTIFICATIONS=off: translate nothing (a city without mobile
  // backends saves the translator's Redis work; streams stay open but quiet).
  bool enabled = true;

  static NotificationSettings FromEnvironment();
};

class NotificationTranslator final {
 public:
  using Clock = std::function<absl::Time()>;

  NotificationTranslator(RedisOptions options, RedisPool* pool, EnrollmentStore* store,
                         std::string city, Clock clock, NotificationSettings settings,
                         std::function<void()> on_commit);
  ~NotificationTranslator();

  void Start();
  void Stop();

 private:
  // One notification for one learner's backend.
  struct Outgoing {
    std::string backend;
    std::string learner_id;
    pb::Notification notification;
  };
  // "S": schedule a reminder (payload "{backend} {Notification}"), "X": drop.
  struct ReminderChange {
    std::string op;
    std::string enrollment_id;
    int64_t due_ms = 0;
    std::string payload;
  };
  struct Batch {
    std::vector<Outgoing> outgoing;
    std::vector<ReminderChange> reminders;
  };

  void Run();
  // Reads, translates and commits one batch after the shared cursor;
  // returns how many events it read.
  absl::StatusOr<size_t> TranslateOnce(RedisConnection& reader);
  absl::Status Translate(const Event& event, Batch& batch);
  absl::Status TranslateEnrollmentChange(const Event& event, Batch& batch);
  absl::Status TranslateReschedule(const Event& event, Batch& batch);
  // Adds the notification of `type` (if the learner has a backend) and the
  // reminder change `reminder_op` ("" none) for enrollment `e`.
  absl::Status Add(const Event& event, const pb::Enrollment& e, pb::NotificationType type,
                   std::string id, const std::string& reminder_op, Batch& batch,
                   const std::function<void(pb::Notification&)>& fill = nullptr);
  absl::Status Commit(const std::string& expected, const std::string& last, const Batch& batch);
  // Sends the reminders due now.
  absl::Status SendDueReminders();
  std::string MinId() const;

  // Per batch: learners (all those the batch's enrollment events name, in
  // one round trip) and offering facts read once.
  absl::Status ReadLearnersOf(const std::vector<Event>& events);
  absl::StatusOr<const pb::Learner*> Learner(const std::string& learner_id);
  absl::StatusOr<const OfferingFacts*> Facts(const std::string& offering_id);

  RedisOptions options_;
  RedisPool* pool_;
  EnrollmentStore* store_;
  const std::string city_;
  Clock clock_;
  const NotificationSettings settings_;
  std::function<void()> on_commit_;
  // The shared cursor as this replica last committed it ("" : read it from
  // Redis); only the translator's thread uses these.
  std::string cursor_;
  absl::flat_hash_map<std::string, std::optional<pb::Learner>> learners_;
  absl::flat_hash_map<std::string, std::optional<OfferingFacts>> facts_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_NOTIFICATION_TRANSLATOR_H_

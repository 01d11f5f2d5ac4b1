// gnlc.enrollment.v1.EnrollmentService: learners, enrollments, seats and
// waitlists, outcomes, feedback and residents' data rights for one city.
// Every write is one atomic Redis step with its events (EnrollmentStore).
// Offering facts come from the catalog over gRPC the first time an offering
// is seen, then from the catalog's stream (consumer group "enrollment").
//
//   EnrollmentService enrollment(options, &pool, &metrics);
//   server.AddService(&enrollment, "gnlc.enrollment.v1.EnrollmentService");
//   return ServeUntilSignal(server, enrollment);   // Start() follows the
//                                                  // catalog's events
#ifndef GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SERVICE_H_
#define GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SERVICE_H_

#include <functional>
#include <memory>

#include "absl/synchronization/mutex.h"
#include "common/events/event_codec.h"
#include "common/events/group_consumer.h"
#include "common/events/stream_follower.h"
#include "common/events/stream_retention.h"
#include "common/names/resource_names.h"
#include "common/paging/page_token.h"
#include "common/redis/bulk_pacer.h"
#include "common/redis/live_latency.h"
#include "common/server/handler_pool.h"
#include "common/server/rpc_service.h"
#include "common/server/server_options.h"
#include "common/server/service_lifecycle.h"
#include "common/time/proto_time.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "services/catalog/catalog_client.h"
#include "services/enrollment/enrollment_store.h"
#include "services/enrollment/notification_hub.h"
#include "services/enrollment/notification_translator.h"
#include "services/enrollment/partner_programs.h"

namespace gnlc::enrollment {

class EnrollmentService final : public RpcService<pb::EnrollmentService>, public ServiceLifecycle {
 public:
  using Clock = std::function<absl::Time()>;

  EnrollmentService(
      const ServerOptions& options, RedisPool* pool, Metrics* metrics,
      Clock clock = [] { return absl::Now(); });
  ~EnrollmentService() override;

  // Keeps offering facts current from the catalog's events, and which
  // partners deliver which programs from the partnership service's; and
  // translates changes into mobile backends' notifications.
  absl::Status Start() override;
  // Enrollment reads Redis on every call: nothing to load first.
  bool ready() const override { return true; }
  const NotificationHub& notifications() const { return hub_; }
  // Where imports run (for tests: how many jobs they did).
  const HandlerPool& bulk_threads() const { return bulk_threads_; }
  // Ends open notification streams (server shutdown: GnlcServer::OnShutdown).
  void CloseNotificationStreams() { hub_.CloseAll(); }
  void Stop() override;

 private:
  // Registers every RPC with the common edge (constructor).
  void ServeRpcs();
  // learner_rpcs.cc
  absl::Status DoCreateLearner(const CallAuth& call, const pb::CreateLearnerRequest& req,
                               pb::CreateLearnerResponse& resp);
  absl::Status DoGetLearner(const CallAuth& call, const pb::GetLearnerRequest& req,
                            pb::GetLearnerResponse& resp);
  absl::Status DoUpdateLearner(const CallAuth& call, const pb::UpdateLearnerRequest& req,
                               pb::UpdateLearnerResponse& resp);
  absl::Status DoExportLearnerData(const CallAuth& call, const pb::ExportLearnerDataRequest& req,
                                   pb::ExportLearnerDataResponse& resp);
  absl::Status DoEraseLearner(const CallAuth& call, const pb::EraseLearnerRequest& req,
                              pb::EraseLearnerResponse& resp);
  // enrollment_rpcs.cc
  absl::Status DoCreateEnrollment(const CallAuth& call, const pb::CreateEnrollmentRequest& req,
                                  pb::CreateEnrollmentResponse& resp, absl::Time deadline);
  absl::Status DoGetEnrollment(const CallAuth& call, const pb::GetEnrollmentRequest& req,
                               pb::GetEnrollmentResponse& resp);
  absl::Status DoCancelEnrollment(const CallAuth& call, const pb::CancelEnrollmentRequest& req,
                                  pb::CancelEnrollmentResponse& resp);
  absl::Status DoListEnrollments(const CallAuth& call, const pb::ListEnrollmentsRequest& req,
                                 pb::ListEnrollmentsResponse& resp);
  absl::Status DoGetOfferingSeats(const pb::GetOfferingSeatsRequest& req,
                                  pb::GetOfferingSeatsResponse& resp, absl::Time deadline);
  // outcome_rpcs.cc
  absl::Status DoCompleteEnrollment(const CallAuth& call, const pb::CompleteEnrollmentRequest& req,
                                    pb::CompleteEnrollmentResponse& resp);
  absl::Status DoRecordEmploymentOutcome(const CallAuth& call,
                                         const pb::RecordEmploymentOutcomeRequest& req,
                                         pb::RecordEmploymentOutcomeResponse& resp);
  absl::Status DoSubmitFeedback(const CallAuth& call, const pb::SubmitFeedbackRequest& req,
                                pb::SubmitFeedbackResponse& resp);
  // import_rpcs.cc
  absl::Status DoImportHistory(const CallAuth& call, const pb::ImportHistoryRequest& req,
                               pb::ImportHistoryResponse& resp, absl::Time deadline);
  absl::Status ImportLearners(const pb::ImportHistoryRequest& req, absl::Time now,
                              absl::Time deadline, gnlc::type::v1::ImportResult& out);
  // Runs store_.Import{Learners,Enrollments} over `writes` in chunks paced
  // by bulk_; the outcomes of every row, in order.
  template <typename Write>
  absl::StatusOr<std::vector<std::string>> PacedImport(
      absl::string_view job, const std::vector<Write>& writes, absl::Time deadline,
      absl::StatusOr<std::vector<std::string>> (EnrollmentStore::*import)(absl::Span<const Write>));
  absl::Status ImportEnrollments(const pb::ImportHistoryRequest& req, absl::Time now,
                                 absl::Time deadline, gnlc::type::v1::ImportResult& out);
  // archive_rpcs.cc
  absl::Status DoArchiveHistory(const CallAuth& call, const pb::ArchiveHistoryRequest& req,
                                pb::ArchiveHistoryResponse& resp, absl::Time deadline);
  absl::Status DoConfirmArchive(const CallAuth& call, const pb::ConfirmArchiveRequest& req,
                                pb::ConfirmArchiveResponse& resp);
  // statistics_rpcs.cc
  absl::Status DoListStatisticsRecords(const CallAuth& call,
                                       const pb::ListStatisticsRecordsRequest& req,
                                       pb::ListStatisticsRecordsResponse& resp);
  // notification_rpcs.cc
  absl::StatusOr<grpc::ServerWriteReactor<grpc::ByteBuffer>*> DoSubscribeNotifications(
      const CallAuth& call, const pb::SubscribeNotificationsRequest& req);

  // access_checks.cc: the "own" rules of the permission table. The Read*For
  // functions return the record they read to decide, so a handler that
  // needs it reads it once; the Check* ones are for handlers that read it
  // later in their own way (a change with its retry loop), and read nothing
  // for a caller the table lets see every record.
  absl::StatusOr<StoredLearner> ReadLearnerFor(const CallAuth& call, absl::string_view learner_id);
  absl::StatusOr<StoredEnrollment> ReadEnrollmentFor(const CallAuth& call,
                                                     absl::string_view enrollment_id);
  absl::Status CheckLearnerAccess(const CallAuth& call, absl::string_view learner_id);
  absl::Status CheckEnrollmentAccess(const CallAuth& call, absl::string_view field,
                                     absl::string_view name);
  absl::Status CheckRosterAccess(const CallAuth& call, const OfferingRef& offering);
  bool PartnerMaySee(const CallAuth& call, absl::string_view offering_name,
                     const pb::Learner& learner) const;

  // Fetches an offering's facts from the catalog and stores them.
  absl::Status LearnOffering(const OfferingRef& ref, absl::Time deadline);
  // Read-modify-write of an enrollment, retried if it changed meanwhile.
  absl::Status ChangeEnrollment(absl::string_view enrollment_field, absl::string_view name,
                                int change, bool completing,
                                const std::function<absl::Status(pb::Enrollment&)>& edit,
                                pb::Enrollment& out);
  // Applies one catalog event to the stored offering and program facts.
  absl::Status ApplyCatalogEvent(const Event& event);
  // After the catalog stream was trimmed past what this service had read
  // (it was stopped longer than the retention): every offering it knows is
  // fetched from the catalog again, applying what changed (a cancellation,
  // more seats). Returns the stream position read first.
  absl::StatusOr<std::string> RefreshOfferingFacts();
  absl::Status RepublishSeatsAfterACut(const std::string& point);
  // After an erasure, asks Redis to rewrite its AOF (at most once per
  // GNLC_ERASURE_AOF_REWRITE_SECONDS, default 3600; 0: never), so the
  // erased learner's old commands leave the disk too, not only the data set.
  void RewriteAofSoon();

  const ServerOptions options_;
  const std::string city_;
  Clock clock_;
  EnrollmentStore store_;
  catalog::CatalogClient catalog_;
  PageTokenCodec tokens_;
  std::unique_ptr<GroupConsumer> catalog_consumer_;
  PartnerPrograms partner_programs_;
  std::unique_ptr<StreamFollower> partnership_follower_;
  // Trims the enrollment stream behind its readers (every replica runs one).
  std::unique_ptr<StreamTrimmer> trimmer_;
  RedisPool* pool_;
  // Imports yield to residents (common/redis/bulk_pacer.h); the p99 of
  // this server's live calls is published for the other services' bulk
  // work.
  BulkPacer bulk_;
  LivePublisher live_publisher_;
  NotificationHub hub_;
  std::unique_ptr<NotificationTranslator> translator_;
  const absl::Duration aof_rewrite_interval_;
  absl::Mutex rewrite_mu_;
  absl::Time last_rewrite_ ABSL_GUARDED_BY(rewrite_mu_) = absl::InfinitePast();
  // Where imports do their work, at bulk priority: two at a time, a few
  // more queued, the rest told to retry (BULK_BUSY). Last: its jobs end
  // before anything they use goes.
  HandlerPool bulk_threads_{2, 6, HandlerPool::kBulk};
};

}  // namespace gnlc::enrollment

#endif  // GNLC_SERVICES_ENROLLMENT_ENROLLMENT_SERVICE_H_

// EnrollmentStore's side of an import of history: reading source mappings
// and running the import scripts in one round trip per batch.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/streams.h"
#include "common/status/status_macros.h"
#include "gnlc/type/v1/program_kind.pb.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/enrollment_scripts.h"
#include "services/enrollment/enrollment_store.h"

namespace gnlc::enrollment {
namespace {

std::vector<std::string> Strings(const RedisReply& reply) {
  std::vector<std::string> out;
  const ReplyView r = reply.view();
  for (size_t i = 0; i < r.size(); ++i) out.emplace_back(r[i].str());
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EnrollmentStore::ReadSourceMappings(
    const std::vector<std::string>& fields) {
  if (fields.empty()) return std::vector<std::string>{};
  // Named: a view of Key()'s temporary would dangle once this line ends.
  const std::string sources = Key("src");
  std::vector<absl::string_view> argv = {"HMGET", sources};
  argv.insert(argv.end(), fields.begin(), fields.end());
  ASSIGN_OR_RETURN(RedisReply reply, pool_->Command(argv));
  std::vector<std::string> out = Strings(reply);
  if (out.size() != fields.size()) return absl::InternalError("unexpected HMGET reply");
  return out;
}

absl::StatusOr<std::vector<std::string>> EnrollmentStore::ImportLearners(
    absl::Span<const LearnerWrite> rows) {
  std::vector<std::string> args = {std::to_string(rows.size())};
  std::vector<std::string> keys;
  for (const LearnerWrite& w : rows) {
    for (std::string& key : LearnerKeys(w.learner_id)) keys.push_back(std::move(key));
    args.insert(args.end(), {w.source_id, w.learner_id, w.expected, w.learner.SerializeAsString(),
                             StatisticsFields(w.learner), w.learner.external_subject(),
                             w.fingerprint, w.old_subject});
  }
  ASSIGN_OR_RETURN(
      RedisReply reply,
      Run(ImportLearnersScript(), std::vector<absl::string_view>(args.begin(), args.end()), keys));
  std::vector<std::string> out = Strings(reply);
  if (out.size() != rows.size()) return absl::InternalError("unexpected import reply");
  return out;
}

absl::StatusOr<std::vector<std::string>> EnrollmentStore::ImportEnrollments(
    absl::Span<const EnrollmentWrite> rows) {
  std::vector<std::string> args = {std::to_string(rows.size()),
                                   std::to_string(gnlc::type::v1::PROGRAM_KIND_SKILL_TRAINING)};
  std::vector<std::string> keys;
  for (const EnrollmentWrite& w : rows) {
    for (std::string& key : LearnerKeys(w.learner_id)) keys.push_back(std::move(key));
    for (std::string& key : OfferingKeys(w.offering_id)) keys.push_back(std::move(key));
    const int64_t at =
        w.record.create_time().seconds() * 1000 + w.record.create_time().nanos() / 1000000;
    args.insert(args.end(), {w.source_id, w.enrollment_id, w.expected, w.learner_id, w.offering_id,
                             w.record.offering(), w.record.SerializeAsString(), w.fingerprint,
                             w.record.has_employment() ? "1" : "0", std::to_string(at),
                             std::to_string(w.record.state()), w.restored ? "1" : "0"});
  }
  ASSIGN_OR_RETURN(RedisReply reply,
                   Run(ImportEnrollmentsScript(),
                       std::vector<absl::string_view>(args.begin(), args.end()), keys));
  std::vector<std::string> out = Strings(reply);
  if (out.size() != rows.size()) return absl::InternalError("unexpected import reply");
  return out;
}

absl::StatusOr<int64_t> EnrollmentStore::StreamBacklog() {
  auto reply = pool_->Command({"XINFO", "GROUPS", kEnrollmentStream});
  if (!reply.ok() && absl::StrContains(reply.status().message(), "no such key")) return 0;
  RETURN_IF_ERROR(reply.status());
  int64_t most = 0;
  const ReplyView groups = reply->view();
  for (size_t g = 0; g < groups.size(); ++g) {
    const ReplyView fields = groups[g];
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str() == "lag" && fields[i + 1].is_integer()) {
        most = std::max(most, fields[i + 1].integer());
      }
    }
  }
  return most;
}

}  // namespace gnlc::enrollment

// EnrollmentStore's part of an archive (archive_rpcs.cc): candidates, taking
// them out, and the rows kept until the caller has stored them.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "services/enrollment/enrollment_keys.h"
#include "services/enrollment/enrollment_scripts.h"
#include "services/enrollment/enrollment_store.h"

namespace gnlc::enrollment {
namespace {

const std::string& StagedKey() {
  static const std::string* key = new std::string(Key("archive"));
  return *key;
}

template <typename Message>
absl::Status ParseStored(absl::string_view bytes, Message& out) {
  if (!out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InternalError("a stored record does not parse");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EnrollmentStore::ArchivePage> EnrollmentStore::ArchiveCandidates(
    absl::string_view cursor, int count) {
  ASSIGN_OR_RETURN(RedisReply r, Run(ArchiveCandidatesScript(), {cursor, absl::StrCat(count)}));
  const ReplyView v = r.view();
  if (v.size() < 1) return absl::InternalError("empty archive page");
  ArchivePage page;
  page.next_cursor = std::string(v[0].str());
  size_t i = 1;
  while (i + 5 <= v.size()) {
    ArchiveCandidate c;
    c.learner_id = std::string(v[i].str());
    RETURN_IF_ERROR(ParseStored(v[i + 1].str(), c.learner));
    c.learner_source = std::string(v[i + 2].str());
    c.digest = std::string(v[i + 3].str());
    const int64_t n = v[i + 4].integer();
    i += 5;
    if (n < 0 || i + 3 * static_cast<size_t>(n) > v.size()) {
      return absl::InternalError("short archive page");
    }
    for (int64_t e = 0; e < n; ++e, i += 3) {
      ArchiveCandidate::Item item;
      item.id = std::string(v[i].str());
      RETURN_IF_ERROR(ParseStored(v[i + 1].str(), item.enrollment));
      item.source = std::string(v[i + 2].str());
      c.enrollments.push_back(std::move(item));
    }
    page.candidates.push_back(std::move(c));
  }
  return page;
}

absl::StatusOr<bool> EnrollmentStore::StageArchive(const ArchiveCandidate& candidate,
                                                   absl::string_view rows,
                                                   absl::string_view learner_source) {
  ASSIGN_OR_RETURN(RedisReply r, Run(StageArchiveScript(),
                                     {candidate.learner_id, candidate.digest,
                                      candidate.learner.external_subject(), rows, learner_source},
                                     LearnerKeys(candidate.learner_id)));
  return r.view().integer() == 1;
}

absl::StatusOr<std::vector<std::string>> EnrollmentStore::StagedArchive(int count) {
  ASSIGN_OR_RETURN(RedisReply r,
                   pool_->Command({"HSCAN", StagedKey(), "0", "COUNT", absl::StrCat(count)}));
  std::vector<std::string> rows;
  const ReplyView fields = r.view()[1];
  for (size_t i = 0; i + 1 < fields.size(); i += 2) rows.emplace_back(fields[i + 1].str());
  return rows;
}

absl::Status EnrollmentStore::ConfirmArchived(const std::vector<std::string>& learner_ids) {
  if (learner_ids.empty()) return absl::OkStatus();
  std::vector<absl::string_view> args = {"HDEL", StagedKey()};
  for (const std::string& id : learner_ids) args.push_back(id);
  return pool_->Command(args).status();
}

}  // namespace gnlc::enrollment

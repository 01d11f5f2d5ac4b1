#include "tools/gnlcctl/history_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/time/proto_time.h"
#include "gnlc/enrollment/v1/enrollment_service.grpc.pb.h"
#include "tools/gnlcctl/history_csv.h"

namespace gnlc::ctl {
namespace {

namespace epb = gnlc::enrollment::v1;

// One of the archive's CSV files, opened for appending.
class ArchiveFile {
 public:
  ArchiveFile(std::string path, const std::vector<std::string>& columns)
      : path_(std::move(path)), header_(CsvLine(columns)) {}
  ~ArchiveFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Opens it; a file already there must begin with the same header.
  bool Open(std::string& error) {
    std::ifstream existing(path_);
    std::string first;
    if (existing && std::getline(existing, first) && first + "\n" != header_) {
      error = absl::StrCat(
          path_, " is not a file of gnlcctl archive (its header differs): ", "choose a new folder");
      return false;
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      error = absl::StrCat("cannot open ", path_);
      return false;
    }
    if (::lseek(fd_, 0, SEEK_END) == 0) pending_ = header_;
    return true;
  }
  void Add(const std::vector<std::string>& fields) { pending_ += CsvLine(fields); }
  // Writes what was added and waits until it is on disk.
  bool Flush() {
    size_t done = 0;
    while (done < pending_.size()) {
      const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    pending_.clear();
    return ::fsync(fd_) == 0;
  }

 private:
  std::string path_;
  std::string header_;
  std::string pending_;
  int fd_ = -1;
};

constexpr absl::Duration kCallTimeout = absl::Seconds(60);

// Calls until the answer is not UNAVAILABLE (the service restarting, Redis
// busy), waiting a little longer each time.
template <typename Call>
grpc::Status Retrying(Call call) {
  absl::Duration backoff = absl::Milliseconds(200);
  for (int attempt = 0;; ++attempt) {
    const grpc::Status s = call();
    if (s.error_code() != grpc::StatusCode::UNAVAILABLE || attempt == 30) return s;
    std::fprintf(stderr, "waiting and retrying: %s\n", s.error_message().c_str());
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

}  // namespace

HistoryArchiveReport ArchiveHistory(const std::shared_ptr<grpc::Channel>& enrollment,
                                    const HistoryArchiveOptions& o) {
  HistoryArchiveReport report;
  ArchiveFile learners(absl::StrCat(o.dir, "/learners.csv"), ArchivedLearnerColumns());
  ArchiveFile enrollments(absl::StrCat(o.dir, "/enrollments.csv"), ArchivedEnrollmentColumns());
  std::string error;
  if (!learners.Open(error) || !enrollments.Open(error)) {
    std::fprintf(stderr, "gnlcctl archive: %s\n", error.c_str());
    report.exit_code = 2;
    return report;
  }
  auto stub = epb::EnrollmentService::NewStub(enrollment);
  const auto prepare = [&](grpc::ClientContext& ctx) {
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + kCallTimeout));
    if (!o.plaintext_token.empty()) {
      ctx.AddMetadata("authorization", "Bearer " + o.plaintext_token);
    }
  };
  const auto stopped = [&](const grpc::Status& s) {
    std::fprintf(stderr, "\narchive stopped: %s\n  run the same command again to continue\n",
                 s.error_message().c_str());
    report.exit_code = 1;
    return report;
  };
  epb::ArchiveHistoryRequest req;
  req.set_parent(absl::StrCat("cities/", o.city));
  *req.mutable_archive_before() = TimestampFromTime(o.before);
  req.set_page_size(o.page_size);
  do {
    epb::ArchiveHistoryResponse resp;
    grpc::Status s = Retrying([&] {
      grpc::ClientContext ctx;
      prepare(ctx);
      return stub->ArchiveHistory(&ctx, req, &resp);
    });
    if (!s.ok()) return stopped(s);
    if (resp.learners_size() > 0) {
      epb::ConfirmArchiveRequest confirm;
      confirm.set_parent(req.parent());
      for (const epb::ArchivedLearner& a : resp.learners()) {
        learners.Add(LearnerCsvRow(a.learner()));
        for (const auto& e : a.enrollments()) enrollments.Add(EnrollmentCsvRow(e));
        report.enrollments += a.enrollments_size();
        confirm.add_names(a.name());
      }
      // On disk before the service may forget them.
      if (!learners.Flush() || !enrollments.Flush()) {
        std::fprintf(stderr, "gnlcctl archive: cannot write to %s\n", o.dir.c_str());
        report.exit_code = 1;
        return report;
      }
      epb::ConfirmArchiveResponse confirmed;
      s = Retrying([&] {
        grpc::ClientContext ctx;
        prepare(ctx);
        return stub->ConfirmArchive(&ctx, confirm, &confirmed);
      });
      if (!s.ok()) return stopped(s);
      report.learners += resp.learners_size();
      std::fprintf(stderr, "%s%lld learners, %lld enrollments archived%s",
                   ::isatty(2) ? "\r\033[K" : "", static_cast<long long>(report.learners),
                   static_cast<long long>(report.enrollments), ::isatty(2) ? "" : "\n");
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  std::fprintf(stderr, "%s%lld learners, %lld enrollments archived into %s\n",
               ::isatty(2) ? "\r\033[K" : "", static_cast<long long>(report.learners),
               static_cast<long long>(report.enrollments), o.dir.c_str());
  return report;
}

}  // namespace gnlc::ctl

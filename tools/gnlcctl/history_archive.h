// gnlcctl archive --before=YEAR DIR: takes the learners whose every record
// is older than the start of YEAR (in the city's zone) out of the city's
// Redis, into DIR/learners.csv and DIR/enrollments.csv, the files
// `gnlcctl import` reads (enrollments marked `restored`, so analytics does
// not count them twice when they come back).
//
// Each page the enrollment service takes out (ArchiveHistory) is appended
// to the files and made durable (fsync) before it is confirmed
// (ConfirmArchive); the service keeps unconfirmed rows and hands them out
// again, so an interrupted archive run again loses nothing (a row written
// twice imports as "unchanged"). The files must be new or from earlier
// archives (the same header).
#ifndef GNLC_TOOLS_GNLCCTL_HISTORY_ARCHIVE_H_
#define GNLC_TOOLS_GNLCCTL_HISTORY_ARCHIVE_H_

#include <grpcpp/channel.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"

namespace gnlc::ctl {

struct HistoryArchiveOptions {
  std::string dir;
  std::string city;
  absl::Time before;            // records older than this are archived
  int page_size = 100;          // learners examined per request
  std::string plaintext_token;  // sent per call when the channel is plaintext
};

struct HistoryArchiveReport {
  int exit_code = 0;  // 0 done, 1 stopped (run it again to continue)
  int64_t learners = 0;
  int64_t enrollments = 0;
};

HistoryArchiveReport ArchiveHistory(const std::shared_ptr<grpc::Channel>& enrollment,
                                    const HistoryArchiveOptions& options);

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_HISTORY_ARCHIVE_H_

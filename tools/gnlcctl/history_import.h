// gnlcctl import: a city's history from a folder of CSV files (docs/guides/history-import.md,
// "Bringing a city's history in"), through the services' ImportHistory
// RPCs: programs.csv and offerings.csv to the catalog, then learners.csv
// and enrollments.csv to enrollment. Every file is optional.
//
// Learners and enrollments go in batches, several in flight. After every
// batch the folder's checkpoint (.gnlc-import-CITY.progress) records how
// far each file is done, so an interrupted import run again skips what
// was acknowledged; the services' idempotency by source id covers the rest
// (a batch sent twice changes nothing). The catalog files are small and
// always sent whole: their results map offering source ids to names.
//
// On a terminal, stderr shows rows done, rate and time left for the file
// being imported; rejected rows are printed as FILE:LINE: field: reason.
#ifndef GNLC_TOOLS_GNLCCTL_HISTORY_IMPORT_H_
#define GNLC_TOOLS_GNLCCTL_HISTORY_IMPORT_H_

#include <grpcpp/channel.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gnlc/type/v1/import_result.pb.h"

namespace gnlc::ctl {

struct HistoryImportOptions {
  std::string dir;
  std::string city;
  absl::TimeZone tz;            // for times written without an offset
  int batch_rows = 1000;        // learners or enrollments per request
  int in_flight = 4;            // requests at once
  std::string plaintext_token;  // sent per call when the channel is plaintext
  // Stop (as if interrupted) after this many learner or enrollment batches
  // were acknowledged; 0: never. For tests of resuming.
  int64_t stop_after_batches = 0;
};

struct HistoryImportReport {
  // 0 when every row was imported (or unchanged), 3 when some rows were
  // rejected, 1 when the import stopped (run it again to continue), 2 when
  // the folder holds no import file.
  int exit_code = 0;
  // Per file: the counts of this run (rejections listed below), and for the
  // catalog's files the records (source id -> resource name).
  std::map<std::string, gnlc::type::v1::ImportResult> files;
  // Per file, the rows of batches sent again after a lost reply (the
  // service's storage timed out, or our deadline passed) that came back
  // unchanged: the lost attempt imported them, or they were there before.
  // Kept out of files[...].unchanged, which the batch's own reply decided.
  std::map<std::string, int64_t> resent_unchanged;
  // Per file, the rejected rows, by line.
  std::map<std::string, std::vector<gnlc::type::v1::RejectedRecord>> rejected;
};

HistoryImportReport ImportHistory(const std::shared_ptr<grpc::Channel>& catalog,
                                  const std::shared_ptr<grpc::Channel>& enrollment,
                                  const HistoryImportOptions& options);

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_HISTORY_IMPORT_H_

// The CSV files of `gnlcctl import` (docs/guides/history-import.md, "Bringing a city's history
// in") and the import records each row becomes. A value that cannot be
// read gives INVALID_ARGUMENT with the column as its "field", reported like
// a row the service rejected.
#ifndef GNLC_TOOLS_GNLCCTL_HISTORY_CSV_H_
#define GNLC_TOOLS_GNLCCTL_HISTORY_CSV_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"
#include "gnlc/enrollment/v1/enrollment_service.pb.h"
#include "tools/gnlcctl/csv_reader.h"

namespace gnlc::ctl {

// One kind of record: its file name in the import folder and its columns.
struct HistoryFile {
  std::string name;  // "enrollments.csv"
  std::vector<std::string> required, optional;
};
const HistoryFile& ProgramsFile();
const HistoryFile& OfferingsFile();
const HistoryFile& LearnersFile();
const HistoryFile& EnrollmentsFile();

// Times: "2024-03-01", "2024-03-01 09:30" or "2024-03-01T09:30:00" in
// `tz` (the city's zone), or RFC 3339 with an offset ("...+08:00", "...Z").
absl::StatusOr<absl::Time> ParseCsvTime(absl::string_view column, absl::string_view value,
                                        absl::TimeZone tz);

absl::StatusOr<gnlc::catalog::v1::ProgramImport> ProgramFromCsv(const CsvReader& row,
                                                                absl::TimeZone tz);
absl::StatusOr<gnlc::catalog::v1::OfferingImport> OfferingFromCsv(const CsvReader& row,
                                                                  absl::TimeZone tz);
absl::StatusOr<gnlc::enrollment::v1::LearnerImport> LearnerFromCsv(const CsvReader& row,
                                                                   absl::TimeZone tz);
// `offerings`: offering source id -> catalog name, from this run's import of
// offerings.csv. The offering column may also hold a catalog name.
absl::StatusOr<gnlc::enrollment::v1::EnrollmentImport> EnrollmentFromCsv(
    const CsvReader& row, absl::TimeZone tz, const std::map<std::string, std::string>& offerings);

// Writing the same files (gnlcctl archive): one RFC 4180 line (quoted
// where needed, ending in a newline), and the columns and fields of a
// learner's and an enrollment's row. Times are RFC 3339 in UTC with every
// digit, so a file read back gives the very same records.
std::string CsvLine(const std::vector<std::string>& fields);
const std::vector<std::string>& ArchivedLearnerColumns();
std::vector<std::string> LearnerCsvRow(const gnlc::enrollment::v1::LearnerImport& learner);
const std::vector<std::string>& ArchivedEnrollmentColumns();
std::vector<std::string> EnrollmentCsvRow(const gnlc::enrollment::v1::EnrollmentImport& e);

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_HISTORY_CSV_H_

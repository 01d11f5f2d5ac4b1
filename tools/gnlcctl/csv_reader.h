// Reads CSV (RFC 4180: quoted fields may hold commas, quotes as "" and line
// breaks; CRLF or LF) one record at a time, with the line each record starts
// on, so that a rejected row can be named by its line in the file. The
// first record is the header; fields are looked up by column name.
//
//   CsvReader csv(stream);
//   RETURN_IF_ERROR(csv.ReadHeader({"source_id", "district"}));
//   while (csv.Next()) Use(csv.Field("district"), csv.line());
#ifndef GNLC_TOOLS_GNLCCTL_CSV_READER_H_
#define GNLC_TOOLS_GNLCCTL_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gnlc::ctl {

class CsvReader final {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads the header. INVALID_ARGUMENT if a `required` column is missing or
  // a column is not in `required` or `optional` (a typo must not be
  // silently ignored).
  absl::Status ReadHeader(const std::vector<std::string>& required,
                          const std::vector<std::string>& optional);
  // Reads the next record; false at the end of the input.
  bool Next();
  // The current record's value of `column` ("" if the column is absent).
  absl::string_view Field(absl::string_view column) const;
  // The line the current record starts on (the header is line 1).
  int64_t line() const { return record_line_; }
  // Bytes consumed so far (for progress).
  int64_t bytes() const { return bytes_; }
  // Whether the current record had as many fields as the header.
  bool complete() const { return fields_.size() == columns_.size(); }

 private:
  bool ReadRecord(std::vector<std::string>& out);

  std::istream& in_;
  std::map<std::string, size_t, std::less<>> columns_;
  std::vector<std::string> fields_;
  int64_t line_ = 1;  // the line the reader is on
  int64_t record_line_ = 0;
  int64_t bytes_ = 0;
};

}  // namespace gnlc::ctl

#endif  // GNLC_TOOLS_GNLCCTL_CSV_READER_H_

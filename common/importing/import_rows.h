// What the services' ImportHistory RPCs share: source ids, content
// fingerprints, and the per-row result (gnlc.type.v1.ImportResult) in
// request order. A row is either accepted (a record) or rejected.
//
//   std::vector<ImportRow> rows(req.programs_size());
//   rows[i].rejection = Rejection(row.row(), row.source_id(), status);
//   rows[j].record = AcceptedRow(row.row(), row.source_id(), name,
//                                IMPORT_OUTCOME_IMPORTED);
//   Summarize(rows, *resp.mutable_programs());
#ifndef GNLC_COMMON_IMPORTING_IMPORT_ROWS_H_
#define GNLC_COMMON_IMPORTING_IMPORT_ROWS_H_

#include <google/protobuf/message.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gnlc/type/v1/import_result.pb.h"

namespace gnlc {

// Source ids: 1 to 128 characters of valid UTF-8 without spaces (they are
// joined with spaces in Redis values).
absl::Status ValidateSourceId(absl::string_view field, absl::string_view source_id);

// What identifies a row's content, whatever its row number (clear it
// first): equal fingerprints mean "unchanged" on a re-import.
std::string ImportFingerprint(const google::protobuf::Message& row_without_number);

// A stored source mapping "{id} {fingerprint}" split; both empty if none.
std::pair<std::string, std::string> SplitSourceMapping(absl::string_view mapping);

struct ImportRow {
  std::optional<gnlc::type::v1::ImportedRecord> record;
  std::optional<gnlc::type::v1::RejectedRecord> rejection;
};

gnlc::type::v1::ImportedRecord AcceptedRow(int64_t row, absl::string_view source_id,
                                           std::string name, gnlc::type::v1::ImportOutcome outcome);
// The rejection of `row` for `status` (its "field" metadata and message).
gnlc::type::v1::RejectedRecord Rejection(int64_t row, absl::string_view source_id,
                                         const absl::Status& status);
gnlc::type::v1::RejectedRecord Rejection(int64_t row, absl::string_view source_id,
                                         absl::string_view field, absl::string_view reason);

// Counts and lists the rows into `out`, in order.
void Summarize(const std::vector<ImportRow>& rows, gnlc::type::v1::ImportResult& out);

// Source ids seen in one request: the second row with an id is rejected
// (which of the two is meant is for the file's owner to say).
class SourceIdsSeen {
 public:
  // True (and `rejection` set) if `source_id` came before.
  bool Repeated(const std::string& source_id, int64_t row,
                std::optional<gnlc::type::v1::RejectedRecord>& rejection);

 private:
  std::map<std::string, int64_t> first_row_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_IMPORTING_IMPORT_ROWS_H_

#include "common/importing/import_rows.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hash/fnv1a.h"
#include "common/status/errors.h"
#include "common/status/status_macros.h"
#include "common/validation/validate.h"

namespace gnlc {

namespace tpb = gnlc::type::v1;

absl::Status ValidateSourceId(absl::string_view field, absl::string_view source_id) {
  const auto bad = [&](absl::string_view what) {
    return InvalidArgument("INVALID_FIELD", absl::StrCat(field, " ", what),
                           {{"field", std::string(field)}});
  };
  if (source_id.empty()) return bad("is required");
  RETURN_IF_ERROR(ValidateText(field, source_id, 128));
  for (char c : source_id) {
    if (c == ' ' || c == '\n' || c == '\t') return bad("must not contain spaces");
  }
  return absl::OkStatus();
}

std::string ImportFingerprint(const google::protobuf::Message& row_without_number) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    row_without_number.SerializeToCodedStream(&out);
  }
  return absl::StrFormat("%016x", Fnv1a64(bytes));
}

std::pair<std::string, std::string> SplitSourceMapping(absl::string_view mapping) {
  const size_t space = mapping.find(' ');
  if (space == absl::string_view::npos) return {};
  return {std::string(mapping.substr(0, space)), std::string(mapping.substr(space + 1))};
}

tpb::ImportedRecord AcceptedRow(int64_t row, absl::string_view source_id, std::string name,
                                tpb::ImportOutcome outcome) {
  tpb::ImportedRecord r;
  r.set_row(row);
  r.set_source_id(std::string(source_id));
  r.set_name(std::move(name));
  r.set_outcome(outcome);
  return r;
}

tpb::RejectedRecord Rejection(int64_t row, absl::string_view source_id,
                              const absl::Status& status) {
  tpb::RejectedRecord r;
  r.set_row(row);
  // An id too broken to store is not echoed back.
  if (IsValidUtf8(source_id) && source_id.size() <= 512) r.set_source_id(std::string(source_id));
  r.set_field(ErrorMetadataOf(status)["field"]);
  r.set_reason(std::string(status.message()));
  return r;
}

tpb::RejectedRecord Rejection(int64_t row, absl::string_view source_id, absl::string_view field,
                              absl::string_view reason) {
  tpb::RejectedRecord r = Rejection(row, source_id, absl::OkStatus());
  r.set_field(std::string(field));
  r.set_reason(std::string(reason));
  return r;
}

void Summarize(const std::vector<ImportRow>& rows, tpb::ImportResult& out) {
  for (const ImportRow& r : rows) {
    if (r.rejection) {
      out.set_rejected(out.rejected() + 1);
      *out.add_rejections() = *r.rejection;
      continue;
    }
    if (!r.record) continue;
    switch (r.record->outcome()) {
      case tpb::IMPORT_OUTCOME_IMPORTED:
        out.set_imported(out.imported() + 1);
        break;
      case tpb::IMPORT_OUTCOME_UPDATED:
        out.set_updated(out.updated() + 1);
        break;
      default:
        out.set_unchanged(out.unchanged() + 1);
    }
    *out.add_records() = *r.record;
  }
}

bool SourceIdsSeen::Repeated(const std::string& source_id, int64_t row,
                             std::optional<tpb::RejectedRecord>& rejection) {
  auto [it, fresh] = first_row_.emplace(source_id, row);
  if (fresh) return false;
  rejection = Rejection(row, source_id, "source_id",
                        absl::StrCat("source_id '", source_id,
                                     "' appears twice in this request (row ", it->second, " too)"));
  return true;
}

}  // namespace gnlc

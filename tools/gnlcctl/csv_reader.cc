#include "tools/gnlcctl/csv_reader.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gnlc::ctl {

absl::Status CsvReader::ReadHeader(const std::vector<std::string>& required,
                                   const std::vector<std::string>& optional) {
  std::vector<std::string> names;
  if (!ReadRecord(names)) return absl::InvalidArgumentError("the file is empty: no header line");
  // A UTF-8 byte order mark (spreadsheets write one) is not part of a name.
  if (!names.empty() && names[0].rfind("\xEF\xBB\xBF", 0) == 0) names[0].erase(0, 3);
  for (size_t i = 0; i < names.size(); ++i) {
    const bool known = std::count(required.begin(), required.end(), names[i]) > 0 ||
                       std::count(optional.begin(), optional.end(), names[i]) > 0;
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown column '", names[i], "'; columns are: ", absl::StrJoin(required, ", "), ", ",
          absl::StrJoin(optional, ", ")));
    }
    columns_[names[i]] = i;
  }
  for (const std::string& r : required) {
    if (!columns_.contains(r)) {
      return absl::InvalidArgumentError(absl::StrCat("missing column '", r, "'"));
    }
  }
  return absl::OkStatus();
}

bool CsvReader::Next() {
  record_line_ = line_;
  // Blank lines between records are skipped.
  while (ReadRecord(fields_)) {
    if (!(fields_.size() == 1 && fields_[0].empty())) return true;
    record_line_ = line_;
  }
  return false;
}

absl::string_view CsvReader::Field(absl::string_view column) const {
  auto it = columns_.find(column);
  if (it == columns_.end() || it->second >= fields_.size()) return "";
  return fields_[it->second];
}

bool CsvReader::ReadRecord(std::vector<std::string>& out) {
  out.clear();
  int c = in_.get();
  if (c == EOF) return false;
  std::string field;
  bool quoted = false;
  for (; c != EOF; c = in_.get()) {
    ++bytes_;
    const char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in_.peek() == '"') {
          in_.get();
          ++bytes_;
          field += '"';
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line_;
        field += ch;
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      quoted = true;
    } else if (ch == ',') {
      out.push_back(std::move(field));
      field.clear();
    } else if (ch == '\n') {
      ++line_;
      break;
    } else if (ch != '\r') {
      field += ch;
    }
  }
  out.push_back(std::move(field));
  return true;
}

}  // namespace gnlc::ctl

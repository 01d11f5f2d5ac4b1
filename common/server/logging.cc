#include "common/server/logging.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gnlc {
namespace {
absl::Mutex log_mu;
// Audit lines' file; nullptr: stdout.
std::FILE* audit_file ABSL_GUARDED_BY(log_mu) = nullptr;
std::string& ServiceName() {
  static auto* name = new std::string("gnlc");
  return *name;
}
}  // namespace

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&log_mu);
  ServiceName() = std::string(service);
}

std::string JsonEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

namespace {
void WriteLine(absl::string_view level, absl::string_view message,
               absl::Span<const LogField> fields, bool audit) {
  std::string line = absl::StrCat(
      "{\"ts\":\"", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      "\",\"level\":\"", JsonEscape(level), "\"");
  absl::MutexLock lock(&log_mu);
  absl::StrAppend(&line, ",\"service\":\"", JsonEscape(ServiceName()), "\",\"msg\":\"",
                  JsonEscape(message), "\"");
  for (const auto& [k, v] : fields) {
    absl::StrAppend(&line, ",\"", JsonEscape(k), "\":\"", JsonEscape(v), "\"");
  }
  if (audit) line += ",\"audit\":true";
  line += "}\n";
  std::FILE* out = audit && audit_file != nullptr ? audit_file : stdout;
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
}
}  // namespace

absl::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

void LogJson(LogLevel level, absl::string_view message, absl::Span<const LogField> fields) {
  WriteLine(LogLevelName(level), message, fields, false);
}

void LogAudit(absl::Span<const LogField> fields) {
  WriteLine(LogLevelName(LogLevel::kInfo), "audit", fields, true);
}

absl::Status SetAuditSink(const std::string& path) {
  std::FILE* file = nullptr;
  if (!path.empty() && path != "-") {
    file = std::fopen(path.c_str(), "a");
    if (file == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("--audit_log='", path, "': cannot be opened for appending"));
    }
  }
  absl::MutexLock lock(&log_mu);
  if (audit_file != nullptr) std::fclose(audit_file);
  audit_file = file;
  return absl::OkStatus();
}

}  // namespace gnlc

// Structured logs: one JSON object per line on stdout, so a cluster's log
// collector can index them without parsing rules.
//
//   SetLogService("catalog");
//   LogJson(LogLevel::kInfo, "index built", {{"programs", "100000"}});
//   // {"ts":"2026-11-24T06:00:00.000Z","level":"info","service":"catalog",
//   //  "msg":"index built","programs":"100000"}
#ifndef GNLC_COMMON_SERVER_LOGGING_H_
#define GNLC_COMMON_SERVER_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace gnlc {

using LogField = std::pair<absl::string_view, std::string>;

// How much a line matters, written as "info", "warn" or "error": kWarn for
// what an operator should look at (a refused peer, a retry that gave up),
// kError for a broken invariant or lost work.
enum class LogLevel { kInfo, kWarn, kError };

// The word a line carries for `level`.
absl::string_view LogLevelName(LogLevel level);

void SetLogService(absl::string_view service);
void LogJson(LogLevel level, absl::string_view message, absl::Span<const LogField> fields = {});

// An audit line: like LogJson(LogLevel::kInfo, "audit", fields) plus
// "audit":true, so a collector can route them to the audit store by that one field. They
// go to the audit sink: stdout with the other lines unless SetAuditSink
// named a file.
void LogAudit(absl::Span<const LogField> fields);

// Where audit lines go from now on: a file, appended to ("" or "-":
// stdout). An operator ships that file to the city's audit store, apart
// from the application log. INVALID_ARGUMENT if it cannot be opened.
absl::Status SetAuditSink(const std::string& path);

// Escapes `s` for use inside a JSON string literal.
std::string JsonEscape(absl::string_view s);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_LOGGING_H_

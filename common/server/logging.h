// Structured logs: one JSON object per line on stdout, so a cluster's log
// collector can index them without parsing rules.
//
//   SetLogService("catalog");
//   LogJson("info", "index built", {{"programs", "100000"}});
//   // {"ts":"2026-11-24T06:00:00.000Z","level":"info","service":"catalog",
//   //  "msg":"index built","programs":"100000"}
#ifndef GNLC_COMMON_SERVER_LOGGING_H_
#define GNLC_COMMON_SERVER_LOGGING_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace gnlc {

using LogField = std::pair<absl::string_view, std::string>;

void SetLogService(absl::string_view service);
void LogJson(absl::string_view level, absl::string_view message,
             std::initializer_list<LogField> fields = {});

// An audit line: like LogJson("info", "audit", fields) plus "audit":true,
// so a collector can route them to the audit store by that one field.
void LogAudit(std::initializer_list<LogField> fields);

// Escapes `s` for use inside a JSON string literal.
std::string JsonEscape(absl::string_view s);

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_LOGGING_H_

// Refused calls are written down as counts, not one by one: the first
// refusal of a kind (same source address, reason and caller) in an interval
// is written in full, the rest of that interval only counted, and when the
// interval ends one line gives the count. A flood of calls with forged
// tokens, or of a caller over its share, then writes a few lines per source
// and interval instead of two per call, each under the log's one lock.
//
//   RefusalLog refusals(absl::Seconds(10));
//   if (refusals.First(key, fields, /*audit=*/true, absl::Now())) LogAudit(fields);
//   // ... at the interval's end: {"msg":"audit","refused":"42",...,"audit":true}
//
// Memory is bounded: past `max_keys` kinds in one interval, further kinds
// are counted together under one key with the source "(many)".
#ifndef GNLC_COMMON_SERVER_REFUSAL_LOG_H_
#define GNLC_COMMON_SERVER_REFUSAL_LOG_H_

#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/server/logging.h"

namespace gnlc {

class RefusalLog final {
 public:
  // A kind of refusal: who (source address without port, role, subject
  // pseudonym) was refused and why (reason).
  struct Kind {
    std::string source, reason, role, subject;
    bool audit = false;  // an audit line (a denial) or a log line (a refusal)
  };

  // Writes the counts every `interval` on a thread of its own.
  explicit RefusalLog(absl::Duration interval = absl::Seconds(10), size_t max_keys = 4096);
  // Writes the counts not written yet.
  ~RefusalLog();
  RefusalLog(const RefusalLog&) = delete;
  RefusalLog& operator=(const RefusalLog&) = delete;

  // True when this is the first refusal of `kind` in the interval: the
  // caller writes it in full. Otherwise it is counted.
  bool First(const Kind& kind);

  // Writes one line per kind refused more than once since the last flush.
  void Flush();

 private:
  struct Count {
    Kind kind;
    int64_t more = 0;  // refusals after the first one, not yet written
  };
  void Loop(absl::Duration interval);

  const size_t max_keys_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Count> counts_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_REFUSAL_LOG_H_

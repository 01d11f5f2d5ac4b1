#include "common/server/bulk_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/server/logging.h"

namespace gnlc {
namespace {
// setpriority(PRIO_PROCESS, tid) addresses one thread on Linux (the nice
// value is per thread there, unlike POSIX's per process).
id_t ThisThreadId() { return static_cast<id_t>(::syscall(SYS_gettid)); }
}  // namespace

int ThisThreadNice() {
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, ThisThreadId());
  return errno == 0 ? nice : 0;
}

void MarkThisThreadBulk() {
  thread_local bool marked = false;
  if (marked) return;
  marked = true;
  const int nice = std::min(kMaxNice, ThisThreadNice() + kBulkNiceStep);
  if (::setpriority(PRIO_PROCESS, ThisThreadId(), nice) == 0) return;
  static std::atomic<bool> logged{false};
  if (!logged.exchange(true)) {
    LogJson(LogLevel::kWarn,
            "cannot lower a bulk thread's priority: bulk work competes with residents",
            {{"error", std::strerror(errno)}});
  }
}

}  // namespace gnlc

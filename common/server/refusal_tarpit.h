// Refusals answered late. A source refused for its failed tokens
// (AUTH_FAILURES_FROM_SOURCE) gets each answer after the delay its
// RetryInfo names (50 to 250 ms), not at once: a flood then runs at its
// concurrency divided by that delay instead of as fast as we can refuse,
// which costs us calls' worth of CPU the residents need; a waiting answer
// holds a little memory and no thread. At most `max_held` answers wait;
// past that they go at once.
//
//   if (!tarpit.Hold(absl::Now() + delay, [reactor, s] { reactor->Finish(s); }))
//     reactor->Finish(s);
#ifndef GNLC_COMMON_SERVER_REFUSAL_TARPIT_H_
#define GNLC_COMMON_SERVER_REFUSAL_TARPIT_H_

#include <functional>
#include <queue>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace gnlc {

class RefusalTarpit final {
 public:
  static constexpr absl::Duration kMinHold = absl::Milliseconds(50);
  static constexpr absl::Duration kMaxHold = absl::Milliseconds(250);

  explicit RefusalTarpit(size_t max_held = 10000);
  // Answers whatever still waits, at once.
  ~RefusalTarpit();
  RefusalTarpit(const RefusalTarpit&) = delete;
  RefusalTarpit& operator=(const RefusalTarpit&) = delete;

  // Runs `answer` at `until` (on the tarpit's thread); false when full (the
  // caller answers now).
  [[nodiscard]] bool Hold(absl::Time until, std::function<void()> answer);
  size_t held() const;

 private:
  struct Entry {
    absl::Time until;
    std::function<void()> answer;
    bool operator>(const Entry& other) const { return until > other.until; }
  };
  void Run();

  const size_t max_held_;
  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_SERVER_REFUSAL_TARPIT_H_

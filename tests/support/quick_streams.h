// Event streams that trim within a test's seconds instead of a city's days:
// the settings of stream_retention.h, put in the environment for the life of
// this object and removed after. Make it a fixture member, so that it is set
// before SetUp starts the servers (which read it once, at start; a spawned
// server inherits it).
//
//   class MyGapTest : public EnrollmentTest {
//     gnlc::testing::QuickStreams streams_{{.retention_seconds = 1}};
//   };
#ifndef GNLC_TESTS_SUPPORT_QUICK_STREAMS_H_
#define GNLC_TESTS_SUPPORT_QUICK_STREAMS_H_

#include <cstdlib>
#include <string>

namespace gnlc::testing {

struct QuickStreamSettings {
  int retention_seconds = 0;  // 0: the default (30 days)
  int min_age_ms = 1;
  int trim_every_ms = 50;
};

class QuickStreams {
 public:
  explicit QuickStreams(QuickStreamSettings s = {}) {
    if (s.retention_seconds > 0) {
      setenv(kRetention, std::to_string(s.retention_seconds).c_str(), 1);
    }
    setenv(kMinAge, std::to_string(s.min_age_ms).c_str(), 1);
    setenv(kTrimEvery, std::to_string(s.trim_every_ms).c_str(), 1);
  }
  ~QuickStreams() {
    unsetenv(kRetention);
    unsetenv(kMinAge);
    unsetenv(kTrimEvery);
  }
  QuickStreams(const QuickStreams&) = delete;
  QuickStreams& operator=(const QuickStreams&) = delete;

 private:
  static constexpr char kRetention[] = "GNLC_STREAM_RETENTION_SECONDS";
  static constexpr char kMinAge[] = "GNLC_STREAM_MIN_AGE_MS";
  static constexpr char kTrimEvery[] = "GNLC_STREAM_TRIM_EVERY_MS";
};

}  // namespace gnlc::testing

#endif  // GNLC_TESTS_SUPPORT_QUICK_STREAMS_H_

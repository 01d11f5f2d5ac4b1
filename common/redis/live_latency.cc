#include "common/redis/live_latency.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/redis/redis_pool.h"

namespace gnlc {
namespace {

constexpr uint64_t kMicrosBits = 24;
constexpr uint64_t kMaxMicros = (uint64_t{1} << kMicrosBits) - 1;
// Times are milliseconds since 2020 in the 40 bits left (until 2054).
constexpr int64_t kEpochMs = 1577836800000;
int64_t Millis(absl::Time t) { return absl::ToUnixMillis(t) - kEpochMs; }

thread_local int bulk_depth = 0;
thread_local int live_depth = 0;

constexpr absl::Duration kPublishEvery = absl::Milliseconds(250);
constexpr absl::Duration kPublishedWindow = absl::Milliseconds(500);
constexpr int kPublishMinSamples = 5;
constexpr char kPublishedLifetimeMs[] = "1500";

}  // namespace

void LiveLatency::Record(absl::Duration rtt, absl::Time now) {
  const uint64_t micros = std::min<uint64_t>(
      static_cast<uint64_t>(std::max<int64_t>(absl::ToInt64Microseconds(rtt), 0)), kMaxMicros);
  const uint64_t at = static_cast<uint64_t>(std::max<int64_t>(Millis(now), 1));
  const uint64_t slot = next_.fetch_add(1, std::memory_order_relaxed) % kSlots;
  ring_[slot].store((at << kMicrosBits) | micros, std::memory_order_relaxed);
}

LiveLatency::Window LiveLatency::Recent(absl::Time now, absl::Duration window) const {
  const int64_t to = Millis(now);
  const int64_t from = Millis(now - window);
  std::vector<uint64_t> micros;
  micros.reserve(kSlots);
  for (const auto& slot : ring_) {
    const uint64_t v = slot.load(std::memory_order_relaxed);
    if (v == 0) continue;
    const int64_t at = static_cast<int64_t>(v >> kMicrosBits);
    if (at > from && at <= to) micros.push_back(v & kMaxMicros);
  }
  Window w;
  w.samples = static_cast<int>(micros.size());
  if (micros.empty()) return w;
  const size_t k = std::min(micros.size() - 1, (micros.size() * 99) / 100);
  std::nth_element(micros.begin(), micros.begin() + static_cast<std::ptrdiff_t>(k), micros.end());
  w.p99 = absl::Microseconds(static_cast<int64_t>(micros[k]));
  return w;
}

BulkScope::BulkScope() { ++bulk_depth; }
BulkScope::~BulkScope() { --bulk_depth; }
bool BulkScope::Active() { return bulk_depth > 0; }

LiveScope::LiveScope() { ++live_depth; }
LiveScope::~LiveScope() { --live_depth; }
bool LiveScope::Active() { return live_depth > 0 && bulk_depth == 0; }

std::string LiveLatencyKey(absl::string_view service) { return absl::StrCat("live:{0}:", service); }

const std::vector<std::string>& LiveLatencyServices() {
  static const auto* services =
      new std::vector<std::string>{"catalog", "enrollment", "partnership", "analytics"};
  return *services;
}

LivePublisher::LivePublisher(RedisPool* pool, std::string service)
    : pool_(pool), key_(LiveLatencyKey(service)) {
  thread_ = std::thread([this] { Run(); });
}

LivePublisher::~LivePublisher() {
  stop_.Notify();
  thread_.join();
}

void LivePublisher::Run() {
  while (!stop_.WaitForNotificationWithTimeout(kPublishEvery)) {
    const LiveLatency::Window w = pool_->live().Recent(absl::Now(), kPublishedWindow);
    if (w.samples < kPublishMinSamples) continue;
    const std::string micros = absl::StrCat(absl::ToInt64Microseconds(w.p99));
    (void)pool_->Command({"SET", key_, micros, "PX", kPublishedLifetimeMs});
  }
}

absl::StatusOr<absl::Duration> PublishedLiveLatency(RedisPool& pool) {
  std::vector<std::string> keys;
  for (const std::string& s : LiveLatencyServices()) keys.push_back(LiveLatencyKey(s));
  std::vector<absl::string_view> args = {"MGET"};
  args.insert(args.end(), keys.begin(), keys.end());
  auto reply = pool.Command(args);
  if (!reply.ok()) return reply.status();
  const ReplyView v = reply->view();
  absl::Duration most = absl::ZeroDuration();
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t micros = 0;
    if (!v[i].is_nil() && absl::SimpleAtoi(v[i].str(), &micros)) {
      most = std::max(most, absl::Microseconds(micros));
    }
  }
  return most;
}

}  // namespace gnlc

// One replica's searchable copy of one peer's mirror: a SearchIndex of the
// generation served (mirror_store.h), kept current by following the
// mirror's stream as the replica's own index follows the catalog stream,
// and replaced whole (built aside, then swapped) when a new generation is
// served. Readers take a shared_ptr, so a swap never pulls an index from
// under a running search.
//
//   PeerMirror mirror(redis_options, &pool, "suzhou");
//   mirror.Start();
//   if (auto index = mirror.index()) index->Search(query, now);
#ifndef GNLC_SERVICES_CATALOG_PEER_MIRROR_H_
#define GNLC_SERVICES_CATALOG_PEER_MIRROR_H_

#include <prometheus/gauge.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "common/redis/redis_connection.h"
#include "services/catalog/mirror_page_cache.h"
#include "services/catalog/mirror_store.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

class PeerMirror final {
 public:
  PeerMirror(RedisOptions options, RedisPool* pool, std::string peer);
  ~PeerMirror();

  void Start();
  void Stop();
  // Gauges of the records indexed (/metrics), kept current from now on.
  void SetGauges(prometheus::Gauge* programs, prometheus::Gauge* offerings,
                 prometheus::Gauge* generation);

  const std::string& peer() const { return peer_; }
  // The index of the generation served; empty before the first is loaded.
  std::shared_ptr<const SearchIndex> index() const;
  int64_t generation() const { return generation_.load(); }
  // Until when the mirror is known complete (nullopt: never yet).
  std::optional<absl::Time> as_of() const;
  // The generation served at start (if any) is loaded.
  bool loaded() const { return loaded_.load(); }
  // Changes on every swap, so that cached searches are not served across one.
  uint64_t swaps() const { return swaps_.load(); }
  // What this mirror contributed to recent network searches (entries:
  // GNLC_MIRROR_SEARCH_CACHE_ENTRIES, default 1000; 0 = off).
  MirrorPageCache& page_cache() const { return page_cache_; }

 private:
  void Run();
  absl::Status Load(int64_t generation);
  absl::Status ApplyMembers(const std::vector<std::string>& members);
  void UpdateGauges(const SearchIndex& index);

  RedisOptions options_;
  const std::string peer_;
  MirrorStore store_;
  mutable absl::Mutex mu_;
  std::shared_ptr<SearchIndex> index_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> generation_{0};
  std::atomic<int64_t> as_of_ms_{0};
  std::atomic<uint64_t> swaps_{0};
  std::atomic<bool> loaded_{false};
  mutable MirrorPageCache page_cache_{MirrorPageCacheEntries()};
  prometheus::Gauge* programs_gauge_ = nullptr;
  prometheus::Gauge* offerings_gauge_ = nullptr;
  prometheus::Gauge* generation_gauge_ = nullptr;
  absl::Notification stop_;
  std::thread thread_;
};

// Puts a mirrored record (a serialized ProgramChange) into `index`: programs
// and offerings with the seats the peer reported. False if it does not parse.
bool IndexMirroredRecord(absl::string_view bytes, SearchIndex& index);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_PEER_MIRROR_H_

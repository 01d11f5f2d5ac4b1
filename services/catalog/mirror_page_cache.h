// What a peer's mirror contributed to recent network searches: each
// query's page, totals and facets from that one mirror. A mirror's index
// changes only when its peer city's catalog does (a harvest applied, a
// generation swapped in), so a network search repeated while the mirror
// stands still needs to search only this city's index. Exact, as the result
// cache is: an entry is served only for the very index object it was
// computed from, at the same generation, before its valid_until, and the
// key holds everything else the page depends on (the request, and the
// network-wide term statistics that weigh relevance, which move with this
// city's own index).
//
//   MirrorPageCache cache(2000);
//   if (auto page = cache.Get(index, key, now)) { ... } else { page = index->Search(...);
//   cache.Put(index, key, *page); }
#ifndef GNLC_SERVICES_CATALOG_MIRROR_PAGE_CACHE_H_
#define GNLC_SERVICES_CATALOG_MIRROR_PAGE_CACHE_H_

#include <prometheus/counter.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/catalog/search_index.h"

namespace gnlc::catalog {

// GNLC_MIRROR_SEARCH_CACHE_ENTRIES: pages kept per mirror (default 1000,
// about 12 MB at 20 results a page; 0 = off).
size_t MirrorPageCacheEntries();

class MirrorPageCache final {
 public:
  // At most `max_entries` pages; 0 disables the cache.
  explicit MirrorPageCache(size_t max_entries) : max_entries_(max_entries) {}

  bool enabled() const { return max_entries_ > 0; }

  // The page searched in `index` for `key`, while `index` is at the
  // generation the page was computed at and `now` is before its valid_until.
  std::optional<SearchPage> Get(const std::shared_ptr<const SearchIndex>& index,
                                const std::string& key, int64_t now) const;
  // Keeps `page` (not timed out), searched in `index` at page.generation.
  void Put(const std::shared_ptr<const SearchIndex>& index, std::string key,
           const SearchPage& page);

  // Counted on /metrics too, from now on (set before the first Get).
  void SetCounters(prometheus::Counter* hits, prometheus::Counter* misses) {
    hits_counter_ = hits;
    misses_counter_ = misses;
  }
  // Gets that found a page, and that did not.
  uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  uint64_t misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  // Every entry is of this index at this generation. A weak pointer names
  // the index without keeping it alive: while it is held, a new index can
  // never be allocated where the old one was and be taken for it.
  std::weak_ptr<const SearchIndex> index_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, SearchPage> pages_ ABSL_GUARDED_BY(mu_);
  mutable std::atomic<uint64_t> hits_{0}, misses_{0};
  prometheus::Counter* hits_counter_ = nullptr;
  prometheus::Counter* misses_counter_ = nullptr;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_MIRROR_PAGE_CACHE_H_

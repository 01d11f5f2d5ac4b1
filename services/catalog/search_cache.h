// Responses of SearchPrograms kept for repeats of the same request. Exact,
// not approximate: an entry is served only while the index is at the
// generation it was computed at and the clock is before the first moment an
// evaluated program's availability could change (SearchPage::valid_until).
// Residents' popular searches repeat; each write starts the cache afresh.
//
//   SearchCache cache(10000);
//   if (auto hit = cache.Get(key, index.generation(), now)) { *resp = *hit; ... }
//   ...
//   cache.Put(key, page.generation, page.valid_until, resp);
#ifndef GNLC_SERVICES_CATALOG_SEARCH_CACHE_H_
#define GNLC_SERVICES_CATALOG_SEARCH_CACHE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"

namespace gnlc::catalog {

class SearchCache final {
 public:
  // At most `max_entries` responses; 0 disables the cache.
  explicit SearchCache(size_t max_entries) : max_entries_(max_entries) {}

  std::optional<v1::SearchProgramsResponse> Get(const std::string& key, uint64_t generation,
                                                int64_t now) const;
  void Put(std::string key, uint64_t generation, int64_t valid_until,
           const v1::SearchProgramsResponse& response);

  bool enabled() const { return max_entries_ > 0; }

 private:
  struct Entry {
    int64_t valid_until;
    v1::SearchProgramsResponse response;
  };
  const size_t max_entries_;
  mutable absl::Mutex mu_;
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // of every entry held
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_SEARCH_CACHE_H_

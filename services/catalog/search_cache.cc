#include "services/catalog/search_cache.h"

namespace gnlc::catalog {

std::optional<v1::SearchProgramsResponse> SearchCache::Get(const std::string& key,
                                                           uint64_t generation, int64_t now) const {
  if (max_entries_ == 0) return std::nullopt;
  absl::ReaderMutexLock lock(&mu_);
  if (generation != generation_) return std::nullopt;
  auto it = entries_.find(key);
  if (it == entries_.end() || now >= it->second.valid_until) return std::nullopt;
  return it->second.response;
}

void SearchCache::Put(std::string key, uint64_t generation, int64_t valid_until,
                      const v1::SearchProgramsResponse& response) {
  if (max_entries_ == 0) return;
  absl::MutexLock lock(&mu_);
  if (generation < generation_) return;  // computed before a write we already saw
  if (generation > generation_ || entries_.size() >= max_entries_) {
    // Entries of an older generation can never be served again; when full,
    // starting afresh is simpler than tracking recency and costs one miss each.
    entries_.clear();
    generation_ = generation;
  }
  entries_.insert_or_assign(std::move(key), Entry{valid_until, response});
}

}  // namespace gnlc::catalog

#include "services/catalog/mirror_page_cache.h"

#include <cstdlib>

#include "absl/strings/numbers.h"

namespace gnlc::catalog {

size_t MirrorPageCacheEntries() {
  constexpr size_t kDefault = 1000;
  const char* value = std::getenv("GNLC_MIRROR_SEARCH_CACHE_ENTRIES");
  size_t entries = kDefault;
  if (value != nullptr && !absl::SimpleAtoi(value, &entries)) entries = kDefault;
  return entries;
}

std::optional<SearchPage> MirrorPageCache::Get(const std::shared_ptr<const SearchIndex>& index,
                                               const std::string& key, int64_t now) const {
  if (max_entries_ == 0 || index == nullptr) return std::nullopt;
  // Read before the lock, as SearchIndex::Search reads it: a page computed
  // at an older generation is never served for a newer one.
  const uint64_t generation = index->generation();
  absl::ReaderMutexLock lock(&mu_);
  auto it = pages_.find(key);
  if (index_.lock() != index || generation != generation_ || it == pages_.end() ||
      now >= it->second.valid_until) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    if (misses_counter_ != nullptr) misses_counter_->Increment();
    return std::nullopt;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  if (hits_counter_ != nullptr) hits_counter_->Increment();
  return it->second;
}

void MirrorPageCache::Put(const std::shared_ptr<const SearchIndex>& index, std::string key,
                          const SearchPage& page) {
  if (max_entries_ == 0 || index == nullptr || page.timed_out) return;
  absl::MutexLock lock(&mu_);
  const bool same_index = index_.lock() == index;
  if (same_index && page.generation < generation_) return;  // older than what we hold
  if (!same_index || page.generation > generation_ || pages_.size() >= max_entries_) {
    // Pages of another index or an older generation are never served
    // again; when full, starting afresh costs each query one search.
    pages_.clear();
    index_ = index;
    generation_ = page.generation;
  }
  pages_.insert_or_assign(std::move(key), page);
}

}  // namespace gnlc::catalog

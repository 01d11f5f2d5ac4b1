// Digests of a change feed, computed the same way by the origin (over its
// change log) and by a mirror (over what it harvested), so that comparing
// them finds the buckets of records where the two differ. A record counts
// as its log member ("p:{id}" or "o:{id}") and the sequence of its latest
// change: any difference in content shows up as a difference in sequence,
// including seat counts, which do not change a record's etag.
//
//   FeedDigest d(1024);
//   d.Add("p:p1abc", 42);
//   if (d.hashes()[b] != theirs.buckets(b).hash()) ...
#ifndef GNLC_SERVICES_CATALOG_FEED_DIGEST_H_
#define GNLC_SERVICES_CATALOG_FEED_DIGEST_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/hash/fnv1a.h"

namespace gnlc::catalog {

inline constexpr int kMaxDigestBuckets = 4096;

// The bucket of a log member, 0 to bucket_count - 1.
int FeedBucketOf(absl::string_view member, int bucket_count);

class FeedDigest final {
 public:
  explicit FeedDigest(int bucket_count);
  void Add(absl::string_view member, int64_t sequence);
  int bucket_count() const { return static_cast<int>(counts_.size()); }
  const std::vector<int32_t>& counts() const { return counts_; }
  const std::vector<uint64_t>& hashes() const { return hashes_; }

 private:
  std::vector<int32_t> counts_;
  std::vector<uint64_t> hashes_;
};

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_FEED_DIGEST_H_

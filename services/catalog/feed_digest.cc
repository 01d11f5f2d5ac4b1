#include "services/catalog/feed_digest.h"

#include "absl/strings/str_cat.h"

namespace gnlc::catalog {

int FeedBucketOf(absl::string_view member, int bucket_count) {
  return static_cast<int>(Fnv1a64(member) % static_cast<uint64_t>(bucket_count));
}

FeedDigest::FeedDigest(int bucket_count) : counts_(bucket_count, 0), hashes_(bucket_count, 0) {}

void FeedDigest::Add(absl::string_view member, int64_t sequence) {
  const int b = FeedBucketOf(member, bucket_count());
  ++counts_[b];
  hashes_[b] ^= Fnv1a64(absl::StrCat(member, "@", sequence));
}

}  // namespace gnlc::catalog

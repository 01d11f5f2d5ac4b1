// FNV-1a, 64 bits: a hash that is the same across builds, machines and
// languages (std::hash is not), for what clients or peers compute too: the
// buckets of a feed digest, the partition of a notification.
//
//   uint64_t h = Fnv1a64("cities/nanjing/enrollments/e1");
#ifndef GNLC_COMMON_HASH_FNV1A_H_
#define GNLC_COMMON_HASH_FNV1A_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace gnlc {

// `seed` defaults to the standard offset basis; another seed chains hashes.
inline uint64_t Fnv1a64(absl::string_view bytes, uint64_t seed = 14695981039346656037ull) {
  uint64_t h = seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace gnlc

#endif  // GNLC_COMMON_HASH_FNV1A_H_

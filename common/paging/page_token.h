// Opaque page tokens that a client can neither forge nor reuse with other
// filters, and page-size rules shared by every List/Search RPC.
//
//   PageTokenCodec codec(secret);
//   uint64_t fp = RequestFingerprint(request);   // ignores page_token/size
//   ASSIGN_OR_RETURN(std::string position, codec.Decode(request.page_token(), fp));
//   ...
//   response.set_next_page_token(codec.Encode(fp, last_position));
//
// A token is base64url(fingerprint, position, HMAC-SHA256 over both): the
// position is whatever the service needs to resume (a keyset cursor).
#ifndef GNLC_COMMON_PAGING_PAGE_TOKEN_H_
#define GNLC_COMMON_PAGING_PAGE_TOKEN_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace gnlc {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// What one page of any list may carry, so that a response stays well below
// gRPC's 4 MiB message limit however large its records are (500 programs
// with long descriptions would not): a page takes items until the next would
// pass this, and is then cut short with a token for the rest.
inline constexpr size_t kMaxPageBytes = 1 << 20;

class PageBytes {
 public:
  explicit PageBytes(size_t max_bytes = kMaxPageBytes) : max_(max_bytes) {}
  // True if an item of `bytes` still fits; the first item always does (a
  // page never comes back empty while items remain).
  bool Take(size_t bytes) {
    if (used_ > 0 && used_ + bytes > max_) return false;
    used_ += bytes;
    return true;
  }

 private:
  size_t max_;
  size_t used_ = 0;
};

// 0 means `default_size`; above `max_size` is clamped; negative is
// INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int32_t requested, int default_size = kDefaultPageSize,
                                      int max_size = kMaxPageSize);

// A stable 64-bit fingerprint of a request with its `page_token` and
// `page_size` fields cleared (deterministic serialization, FNV-1a).
uint64_t RequestFingerprint(const google::protobuf::Message& request);

class PageTokenCodec final {
 public:
  // Replicas that serve the same clients must share the secret.
  explicit PageTokenCodec(std::string secret);

  std::string Encode(uint64_t fingerprint, absl::string_view position) const;
  // The position inside `token`; "" for an empty token. INVALID_ARGUMENT if
  // the token was altered or belongs to a request with other filters.
  absl::StatusOr<std::string> Decode(absl::string_view token, uint64_t fingerprint) const;

 private:
  std::string Mac(absl::string_view data) const;
  std::string secret_;
};

}  // namespace gnlc

#endif  // GNLC_COMMON_PAGING_PAGE_TOKEN_H_

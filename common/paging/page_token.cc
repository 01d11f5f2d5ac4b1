#include "common/paging/page_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/base/internal/endian.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/status/errors.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace gnlc {
namespace {
constexpr size_t kMacBytes = 16;  // truncated HMAC-SHA256: ample against forgery

absl::Status BadToken() {
  return InvalidArgument("INVALID_PAGE_TOKEN",
                         "page_token is not valid for this request: pass the token from the "
                         "previous response unchanged, with the same filters");
}
}  // namespace

absl::StatusOr<int> EffectivePageSize(int32_t requested, int default_size, int max_size) {
  if (requested < 0) {
    return InvalidArgument("INVALID_PAGE_SIZE",
                           absl::StrCat("page_size must not be negative (got ", requested, ")"),
                           {{"field", "page_size"}});
  }
  if (requested == 0) return default_size;
  return std::min<int>(requested, max_size);
}

uint64_t RequestFingerprint(const google::protobuf::Message& request) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  const auto* desc = copy->GetDescriptor();
  const auto* refl = copy->GetReflection();
  for (const char* name : {"page_token", "page_size", "cursor"}) {
    if (const auto* f = desc->FindFieldByName(name)) refl->ClearField(copy.get(), f);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

PageTokenCodec::PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

std::string PageTokenCodec::Mac(absl::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), kMacBytes);
}

std::string PageTokenCodec::Encode(uint64_t fingerprint, absl::string_view position) const {
  std::string data(8, '\0');
  absl::little_endian::Store64(data.data(), fingerprint);
  data.append(position.data(), position.size());
  std::string token = data + Mac(data);
  return absl::WebSafeBase64Escape(token);
}

absl::StatusOr<std::string> PageTokenCodec::Decode(absl::string_view token,
                                                   uint64_t fingerprint) const {
  if (token.empty()) return std::string();
  if (token.size() > 4096) return BadToken();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < 8 + kMacBytes) return BadToken();
  const absl::string_view data(raw.data(), raw.size() - kMacBytes);
  const absl::string_view mac(raw.data() + data.size(), kMacBytes);
  const std::string expected = Mac(data);
  if (CRYPTO_memcmp(expected.data(), mac.data(), kMacBytes) != 0) return BadToken();
  if (absl::little_endian::Load64(data.data()) != fingerprint) return BadToken();
  return std::string(data.substr(8));
}

}  // namespace gnlc

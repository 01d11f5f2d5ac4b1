// Page tokens come back from clients: any string must decode to a position
// or INVALID_ARGUMENT, never crash; a token we made decodes to what we put
// in, and only for the request it was made for.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/paging/page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gnlc::PageTokenCodec codec("fuzz-secret");
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto decoded = codec.Decode(input, 42);
  if (!decoded.ok() && decoded.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  const std::string token = codec.Encode(42, input);
  auto round = codec.Decode(token, 42);
  if (!round.ok() || *round != input) std::abort();
  if (!input.empty() && codec.Decode(token, 43).ok()) std::abort();
  return 0;
}

// What a peer city's catalog sends us: any bytes, as a page of its feed,
// must be checked record by record without crashing, and whatever is kept
// must be a record of the peer, under the peer's name, that parses back.
// Cursors from the network decode to a position or INVALID_ARGUMENT.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "services/catalog/feed_cursor.h"
#include "services/catalog/peer_records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  auto cursor = gnlc::catalog::DecodeFeedCursor(input);
  if (!cursor.ok() && cursor.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (cursor.ok() && cursor->sequence < 0) std::abort();

  gnlc::catalog::v1::ListProgramChangesResponse page;
  if (!page.ParseFromString(input)) return 0;
  static const gnlc::CityConfig peer = [] {
    gnlc::CityConfig c;
    c.set_city_id("suzhou");
    return c;
  }();
  for (const auto& change : page.changes()) {
    const auto checked = gnlc::catalog::CheckPeerChange(change, peer, absl::FromUnixSeconds(1.8e9));
    if (checked.bytes.empty()) continue;
    gnlc::catalog::v1::ProgramChange kept;
    if (!kept.ParseFromString(checked.bytes)) std::abort();
    if (!absl::StartsWith(kept.name(), "cities/suzhou/programs/")) std::abort();
    if (kept.has_program() && kept.program().origin_city() != "suzhou") std::abort();
    if (checked.bytes.size() > gnlc::catalog::kMaxMirroredRecordBytes) std::abort();
  }
  return 0;
}

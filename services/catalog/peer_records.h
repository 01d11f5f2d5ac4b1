// What a peer city's feed may put into our mirror. A peer is trusted for its
// own records only, and no more than a local writer: every record is checked
// like a local write (without our districts, which are not its), its name
// must be one of the peer's, and what cannot be mirrored is skipped and
// counted, never allowed to stop the harvest of the rest.
#ifndef GNLC_SERVICES_CATALOG_PEER_RECORDS_H_
#define GNLC_SERVICES_CATALOG_PEER_RECORDS_H_

#include <string>

#include "absl/time/time.h"
#include "common/config/city_config.h"
#include "gnlc/catalog/v1/catalog_service.pb.h"

namespace gnlc::catalog {

// Largest record we mirror (a valid program is at most about 30 KB).
inline constexpr size_t kMaxMirroredRecordBytes = 64 * 1024;

struct CheckedChange {
  // The log member ("p:{id}", "o:{id}") when the name is one of the peer's;
  // empty when it is not (nothing is written for it).
  std::string member;
  // What to store: the change re-serialized, or empty to hold no record (a
  // tombstone, or a record that was skipped).
  std::string bytes;
  // Why the record was skipped; empty when it was fine.
  std::string problem;
};

// `peer` is a config of the peer city with no districts.
CheckedChange CheckPeerChange(const v1::ProgramChange& change, const CityConfig& peer,
                              absl::Time now);

// The log member of a program or offering name ("" if it is neither).
std::string MemberOfName(absl::string_view name);

}  // namespace gnlc::catalog

#endif  // GNLC_SERVICES_CATALOG_PEER_RECORDS_H_

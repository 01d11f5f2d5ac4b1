#include "services/catalog/catalog_views.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "common/names/resource_names.h"
#include "common/status/errors.h"
#include "common/status/invariant.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc::catalog {

Program ProgramFromView(const ProgramView& view) {
  Program p;
  // The index holds bytes it serialized itself.
  if (!p.ParseFromString(view.program)) ReportBrokenInvariant("an indexed program does not parse");
  p.set_availability(view.availability);
  p.set_offering_count(view.offering_count);
  return p;
}

Offering OfferingFromView(const OfferingView& view) {
  Offering o;
  if (!o.ParseFromString(view.offering))
    ReportBrokenInvariant("an indexed offering does not parse");
  o.set_availability(view.availability);
  o.set_seats_taken(view.seats_taken);
  o.set_seats_left(view.seats_left);
  o.set_origin_city(std::string(CityOfName(o.name())));  // the owner is in the name
  return o;
}

std::string EncodeCursor(const SearchCursor& cursor) {
  std::string out(sizeof(double), '\0');
  std::memcpy(out.data(), &cursor.key, sizeof(double));
  out += cursor.name;
  return out;
}

absl::StatusOr<std::optional<SearchCursor>> DecodeCursor(const std::string& position) {
  if (position.empty()) return std::nullopt;
  if (position.size() < sizeof(double)) {
    return InvalidArgument("INVALID_PAGE_TOKEN", "page_token is not valid for this request");
  }
  SearchCursor c;
  std::memcpy(&c.key, position.data(), sizeof(double));
  c.name = position.substr(sizeof(double));
  return c;
}

google::protobuf::Timestamp TimestampFromSeconds(int64_t seconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  return t;
}

uint64_t EtagVersion(absl::string_view etag) {
  uint64_t v = 0;
  return absl::SimpleAtoi(etag, &v) ? v : 0;
}

}  // namespace gnlc::catalog

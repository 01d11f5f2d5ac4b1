#include "common/events/event_codec.h"

#include <cstdint>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/util/time_util.h"

namespace gnlc {

Event NewEvent(absl::string_view city, absl::string_view resource, absl::Time time) {
  Event e;
  e.set_city(std::string(city));
  e.set_resource(std::string(resource));
  *e.mutable_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
  return e;
}

std::string EncodeEvent(Event& event) {
  const auto* oneof = Event::descriptor()->FindOneofByName("payload");
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  event.set_type(field != nullptr ? field->name() : "");
  event.clear_id();
  return event.SerializeAsString();
}

absl::StatusOr<Event> DecodeEvent(absl::string_view entry_id, absl::string_view bytes) {
  Event e;
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("event ", entry_id, " does not parse"));
  }
  e.set_id(std::string(entry_id));
  return e;
}

namespace {
std::pair<uint64_t, uint64_t> SplitId(absl::string_view id) {
  uint64_t ms = 0, seq = 0;
  const size_t dash = id.find('-');
  (void)absl::SimpleAtoi(id.substr(0, dash), &ms);
  if (dash != absl::string_view::npos) (void)absl::SimpleAtoi(id.substr(dash + 1), &seq);
  return {ms, seq};
}
}  // namespace

int CompareStreamIds(absl::string_view a, absl::string_view b) {
  const auto x = SplitId(a), y = SplitId(b);
  return x < y ? -1 : (x == y ? 0 : 1);
}

}  // namespace gnlc

// Building and reading the gnlc.events.v1.Event envelope.
//
//   Event e = NewEvent(city, "cities/nanjing/programs/p1", now);
//   *e.mutable_program_upserted()->mutable_program() = program;
//   std::string bytes = EncodeEvent(e);   // sets e.type, goes into XADD
#ifndef GNLC_COMMON_EVENTS_EVENT_CODEC_H_
#define GNLC_COMMON_EVENTS_EVENT_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gnlc/events/v1/events.pb.h"

namespace gnlc {

using Event = gnlc::events::v1::Event;

// The stream entry field that holds the serialized event.
inline constexpr absl::string_view kEventField = "e";

// An envelope with city, resource and time filled in.
Event NewEvent(absl::string_view city, absl::string_view resource, absl::Time time);

// Sets `type` from the payload and serializes (without `id`, which is the
// stream entry id).
std::string EncodeEvent(Event& event);

// Parses a stream entry's field value and sets `id`.
absl::StatusOr<Event> DecodeEvent(absl::string_view entry_id, absl::string_view bytes);

// Orders two stream ids ("1700000000000-3"): <0, 0 or >0.
int CompareStreamIds(absl::string_view a, absl::string_view b);

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_EVENT_CODEC_H_

// Lua constants for protobuf field and enum numbers, read from the compiled
// descriptors: a script that writes wire format (lua/proto.lua) names what
// it writes, and the numbers cannot drift from the .proto files.
//
//   ProtoFieldsLua(*pb::EnrollmentTransition::descriptor(), {"from_state", "to_state"})
//   // local ENROLLMENT_TRANSITION_FROM_STATE = 1
//   // local ENROLLMENT_TRANSITION_TO_STATE = 2
//   ProtoEnumLua(*pb::EnrollmentState_descriptor(), {"ENROLLMENT_STATE_CONFIRMED"})
//   // local ENROLLMENT_STATE_CONFIRMED = 1
//
// A name the descriptor does not have stops the process when the script is
// built (GNLC_CHECK): the script would write bytes no reader understands.
#ifndef GNLC_COMMON_EVENTS_PROTO_FIELDS_LUA_H_
#define GNLC_COMMON_EVENTS_PROTO_FIELDS_LUA_H_

#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace gnlc {

// "local {MESSAGE}_{FIELD} = number" per field, the message's name in
// UPPER_SNAKE_CASE.
std::string ProtoFieldsLua(const google::protobuf::Descriptor& message,
                           std::initializer_list<absl::string_view> fields);

// "local {VALUE} = number" per enum value (values carry their enum's prefix).
std::string ProtoEnumLua(const google::protobuf::EnumDescriptor& type,
                         std::initializer_list<absl::string_view> values);

// The constants lua/proto.lua itself needs (google.protobuf.Timestamp's).
std::string ProtoLuaPrelude();

}  // namespace gnlc

#endif  // GNLC_COMMON_EVENTS_PROTO_FIELDS_LUA_H_

#include "common/events/proto_fields_lua.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/events/lua/proto.lua.h"
#include "common/status/invariant.h"
#include "google/protobuf/timestamp.pb.h"

namespace gnlc {
namespace {

std::string UpperSnake(absl::string_view camel) {
  std::string out;
  for (size_t i = 0; i < camel.size(); ++i) {
    const char c = camel[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) out += '_';
    out += absl::ascii_toupper(c);
  }
  return out;
}

}  // namespace

std::string ProtoFieldsLua(const google::protobuf::Descriptor& message,
                           std::initializer_list<absl::string_view> fields) {
  const std::string prefix = UpperSnake(message.name());
  std::string out;
  for (absl::string_view name : fields) {
    const google::protobuf::FieldDescriptor* field = message.FindFieldByName(std::string(name));
    GNLC_CHECK(field != nullptr, absl::StrCat(message.full_name(), " has no field ", name));
    absl::StrAppend(&out, "local ", prefix, "_", absl::AsciiStrToUpper(name), " = ",
                    field->number(), "\n");
  }
  return out;
}

std::string ProtoEnumLua(const google::protobuf::EnumDescriptor& type,
                         std::initializer_list<absl::string_view> values) {
  std::string out;
  for (absl::string_view name : values) {
    const google::protobuf::EnumValueDescriptor* value = type.FindValueByName(std::string(name));
    GNLC_CHECK(value != nullptr, absl::StrCat(type.full_name(), " has no value ", name));
    absl::StrAppend(&out, "local ", name, " = ", value->number(), "\n");
  }
  return out;
}

std::string ProtoLuaPrelude() {
  return absl::StrCat(
      ProtoFieldsLua(*google::protobuf::Timestamp::descriptor(), {"seconds", "nanos"}), kProtoLua);
}

}  // namespace gnlc

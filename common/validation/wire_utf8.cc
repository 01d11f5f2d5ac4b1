#include "common/validation/wire_utf8.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "absl/strings/str_cat.h"
#include "common/validation/validate.h"

namespace gnlc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// protobuf's own default recursion limit.
constexpr int kMaxDepth = 100;

// Walks one message's fields. Returns true when it found the field (its
// path in `path`); false when there is none or the bytes end in nonsense.
bool Walk(const Descriptor& type, CodedInputStream& in, int depth, std::string& path) {
  if (depth > kMaxDepth) return false;
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) return false;  // end of this message, or a broken tag
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (field == nullptr || !delimited ||
        (field->type() != FieldDescriptor::TYPE_STRING &&
         field->type() != FieldDescriptor::TYPE_MESSAGE)) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length) || static_cast<int>(length) < 0 ||
        static_cast<int>(length) > in.BytesUntilLimit()) {
      return false;
    }
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      const void* data = nullptr;
      int available = 0;
      std::string copy;
      absl::string_view value;
      // Contiguous when read from one flat buffer, which is all we parse.
      if (in.GetDirectBufferPointer(&data, &available) && available >= static_cast<int>(length)) {
        value = absl::string_view(static_cast<const char*>(data), length);
        in.Skip(static_cast<int>(length));
      } else {
        if (!in.ReadString(&copy, static_cast<int>(length))) return false;
        value = copy;
      }
      // proto3 refuses invalid UTF-8 in every string field (all of ours).
      if (field->file()->syntax() == google::protobuf::FileDescriptor::SYNTAX_PROTO3 &&
          !IsValidUtf8(value)) {
        path = field->name();
        return true;
      }
      continue;
    }
    const auto limit = in.PushLimit(static_cast<int>(length));
    std::string inner;
    if (Walk(*field->message_type(), in, depth + 1, inner)) {
      path = absl::StrCat(field->name(), ".", inner);
      return true;
    }
    if (!in.ConsumedEntireMessage()) return false;
    in.PopLimit(limit);
  }
}

}  // namespace

std::string FindInvalidUtf8Field(const Descriptor& type, absl::string_view bytes) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  std::string path;
  return Walk(type, in, 0, path) ? path : "";
}

}  // namespace gnlc

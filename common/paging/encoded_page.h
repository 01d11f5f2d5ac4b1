// A page of a List response sent as the records' stored bytes.
//
// A List handler that holds each record serialized (the partnership
// directory, the enrollment records in Redis) adds them to the response as
// unknown fields of the repeated field's number. On the wire that is
// exactly the repeated message field, element after element (serialized
// after the known fields such as next_page_token, which parsers accept in
// any order), and the server neither parses, copies nor re-serializes a
// message, which for 20–50 records is most of such a call's CPU
// (BENCHMARKS.md). Only for our own records, which we wrote: bytes from
// anyone else are parsed and validated first.
//
//   AddEncodedRecords(resp, pb::ListPartnershipsResponse::kPartnershipsFieldNumber, page.records);
#ifndef GNLC_COMMON_PAGING_ENCODED_PAGE_H_
#define GNLC_COMMON_PAGING_ENCODED_PAGE_H_

#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>

#include <string>
#include <utility>
#include <vector>

namespace gnlc {

// Moves each of `records` (serialized messages) into `response` as an
// element of its repeated message field `field`.
inline void AddEncodedRecords(google::protobuf::Message& response, int field,
                              std::vector<std::string>& records) {
  google::protobuf::UnknownFieldSet* unknown =
      response.GetReflection()->MutableUnknownFields(&response);
  for (std::string& bytes : records) *unknown->AddLengthDelimited(field) = std::move(bytes);
  records.clear();
}

}  // namespace gnlc

#endif  // GNLC_COMMON_PAGING_ENCODED_PAGE_H_

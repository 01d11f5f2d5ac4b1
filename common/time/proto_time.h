// absl::Time <-> google.protobuf.Timestamp, for every service's records.
#ifndef GNLC_COMMON_TIME_PROTO_TIME_H_
#define GNLC_COMMON_TIME_PROTO_TIME_H_

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include "absl/time/time.h"

namespace gnlc {

inline google::protobuf::Timestamp TimestampFromTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

inline absl::Time TimeFromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

}  // namespace gnlc

#endif  // GNLC_COMMON_TIME_PROTO_TIME_H_

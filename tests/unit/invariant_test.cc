// The invariant rule's pieces: BrokenInvariant counts and answers INTERNAL
// without internals, a Redis reply read past its end is a nil view and a
// count (not undefined behaviour), GNLC_CHECK stops the process, and the
// Lua protobuf constants come from the descriptors or stop the process.
#include "common/status/invariant.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/events/proto_fields_lua.h"
#include "common/redis/redis_reply.h"
#include "gnlc/enrollment/v1/enrollment.pb.h"
#include "gnlc/events/v1/events.pb.h"

namespace gnlc {
namespace {

TEST(Invariant, BrokenInvariantIsInternalCountedAndNamesNoInternals) {
  const int64_t before = BrokenInvariantCount();
  const absl::Status s = BrokenInvariant("a stored learner does not parse", {{"learner", "L1"}});
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(absl::StrContains(s.message(), "learner")) << s.message();
  ReportBrokenInvariant("a scan left a record out");
  EXPECT_EQ(BrokenInvariantCount(), before + 2);
}

TEST(Invariant, AReplyReadPastItsEndIsNilAndCounted) {
  redisReply element{};
  element.type = REDIS_REPLY_INTEGER;
  element.integer = 7;
  redisReply* elements[] = {&element};
  redisReply array{};
  array.type = REDIS_REPLY_ARRAY;
  array.elements = 1;
  array.element = elements;
  const ReplyView view(&array);
  const int64_t before = BrokenInvariantCount();
  EXPECT_EQ(view[0].integer(), 7);
  EXPECT_EQ(BrokenInvariantCount(), before);
  EXPECT_TRUE(view[1].is_nil());
  EXPECT_TRUE(view[0][0].is_nil());  // an integer has no elements
  EXPECT_EQ(BrokenInvariantCount(), before + 2);
}

TEST(InvariantDeathTest, CheckStopsTheProcessWithWhereAndWhy) {
  EXPECT_DEATH(GNLC_CHECK(1 + 1 == 3, "arithmetic"),
               "GNLC_CHECK failed at .*invariant_test.cc.*arithmetic");
}

TEST(ProtoFieldsLua, NumbersComeFromTheDescriptors) {
  EXPECT_EQ(
      ProtoFieldsLua(*enrollment::v1::EnrollmentTransition::descriptor(), {"from_state", "reason"}),
      "local ENROLLMENT_TRANSITION_FROM_STATE = 1\nlocal ENROLLMENT_TRANSITION_REASON = 4\n");
  EXPECT_EQ(ProtoFieldsLua(*events::v1::Event::descriptor(), {"enrollment_changed"}),
            absl::StrCat("local EVENT_ENROLLMENT_CHANGED = ",
                         events::v1::Event::kEnrollmentChangedFieldNumber, "\n"));
  EXPECT_EQ(
      ProtoEnumLua(*enrollment::v1::EnrollmentState_descriptor(), {"ENROLLMENT_STATE_COMPLETED"}),
      absl::StrCat(
          "local ENROLLMENT_STATE_COMPLETED = ", enrollment::v1::ENROLLMENT_STATE_COMPLETED, "\n"));
}

TEST(ProtoFieldsLuaDeathTest, AFieldTheMessageLacksStopsTheProcess) {
  EXPECT_DEATH(ProtoFieldsLua(*events::v1::Event::descriptor(), {"enrolment_changed"}),
               "has no field enrolment_changed");
  EXPECT_DEATH(ProtoEnumLua(*enrollment::v1::EnrollmentState_descriptor(), {"CONFIRMED"}),
               "has no value CONFIRMED");
}

}  // namespace
}  // namespace gnlc

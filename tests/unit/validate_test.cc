#include "common/validation/validate.h"

#include <gtest/gtest.h>

#include "common/status/errors.h"

namespace gnlc {
namespace {

TEST(IsValidUtf8, AcceptsChineseAndRejectsMalformedBytes) {
  EXPECT_TRUE(IsValidUtf8("南京 learning city"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe4\xb8"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
}

TEST(ValidateText, CountsCharactersNotBytes) {
  EXPECT_TRUE(ValidateText("title", std::string(200 / 1, 'a'), 200).ok());
  std::string chinese;
  for (int i = 0; i < 200; ++i) chinese += "书";  // 600 bytes, 200 characters
  EXPECT_TRUE(ValidateText("title", chinese, 200).ok());
  const absl::Status too_long = ValidateText("title", chinese + "书", 200);
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(too_long), "FIELD_TOO_LONG");
  EXPECT_EQ(ErrorMetadataOf(too_long).at("field"), "title");
}

TEST(ValidateText, RejectsControlCharactersAndBadUtf8) {
  EXPECT_EQ(ErrorReason(ValidateText("t", "a\x01b", 10)), "CONTROL_CHARACTER");
  EXPECT_EQ(ErrorReason(ValidateText("t", "a\xffz", 10)), "INVALID_UTF8");
  EXPECT_TRUE(ValidateText("t", "line\nnext\ttab", 20).ok());
}

TEST(ParseName, SplitsAndValidatesIds) {
  auto ids = ParseName("cities/nanjing/programs/p1", {"cities", "programs"}, "name");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ((*ids)[0], "nanjing");
  EXPECT_EQ((*ids)[1], "p1");
  for (const char* bad :
       {"", "cities/nanjing", "cities/Nanjing/programs/p1", "cities/nanjing/offerings/p1",
        "cities/nanjing/programs/p1/x", "cities/nanjing/programs/-p", "cities//programs/p1",
        "cities/nanjing/programs/p 1"}) {
    EXPECT_EQ(ParseName(bad, {"cities", "programs"}, "name").status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ValidateRequestId, AllowsTheDocumentedAlphabetOnly) {
  EXPECT_TRUE(ValidateRequestId("request_id", "").ok());
  EXPECT_TRUE(ValidateRequestId("request_id", "Abc-123_x").ok());
  EXPECT_FALSE(ValidateRequestId("request_id", "a b").ok());
  EXPECT_FALSE(ValidateRequestId("request_id", std::string(65, 'a')).ok());
}

}  // namespace
}  // namespace gnlc

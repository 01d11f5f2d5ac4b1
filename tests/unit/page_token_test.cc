#include "common/paging/page_token.h"

#include <gtest/gtest.h>

#include "gnlc/catalog/v1/catalog_service.pb.h"

namespace gnlc {
namespace {

using gnlc::catalog::v1::SearchProgramsRequest;

TEST(EffectivePageSize, DefaultsClampsAndRejectsNegative) {
  EXPECT_EQ(*EffectivePageSize(0), 50);
  EXPECT_EQ(*EffectivePageSize(7), 7);
  EXPECT_EQ(*EffectivePageSize(100000), 500);
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RequestFingerprint, IgnoresPagingFieldsButNotFilters) {
  SearchProgramsRequest a;
  a.set_parent("cities/nanjing");
  a.set_query("书法");
  SearchProgramsRequest b = a;
  b.set_page_size(10);
  b.set_page_token("x");
  EXPECT_EQ(RequestFingerprint(a), RequestFingerprint(b));
  b.set_query("茶");
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
}

TEST(PageTokenCodec, RoundTripsThePosition) {
  PageTokenCodec codec("secret");
  const std::string token = codec.Encode(42, "position\0bytes");
  auto decoded = codec.Decode(token, 42);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, std::string("position\0bytes"));
  EXPECT_EQ(*codec.Decode("", 42), "");
}

TEST(PageTokenCodec, RejectsOtherFiltersTamperingAndOtherSecrets) {
  PageTokenCodec codec("secret");
  const std::string token = codec.Encode(42, "pos");
  EXPECT_EQ(codec.Decode(token, 43).status().code(), absl::StatusCode::kInvalidArgument);
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(codec.Decode(tampered, 42).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(PageTokenCodec("other").Decode(token, 42).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(codec.Decode("not base64 !!", 42).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gnlc

// JWS primitives and base64url: round trips, and the inputs they refuse.
#include "common/auth/jws.h"

#include <gtest/gtest.h>

#include "common/auth/base64url.h"

namespace gnlc::auth {
namespace {

TEST(Base64Url, RoundTripsEveryLengthAndRefusesPaddingAndStrayBits) {
  std::string raw;
  for (int n = 0; n < 40; ++n) {
    raw.push_back(static_cast<char>(n * 37));
    auto back = Base64UrlDecode(Base64UrlEncode(raw));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, raw);
  }
  EXPECT_EQ(Base64UrlEncode("hi"), "aGk");
  EXPECT_FALSE(Base64UrlDecode("aGk=").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("aG+k").has_value());  // not the URL alphabet
  EXPECT_FALSE(Base64UrlDecode("aGl").has_value());   // non-zero leftover bits
  EXPECT_FALSE(Base64UrlDecode("a").has_value());     // no encoding is 1 mod 4 long
}

class JwsTest : public ::testing::TestWithParam<JwsAlg> {};

TEST_P(JwsTest, SignsAndVerifiesOnlyTheSameInputWithTheSameKey) {
  auto key = GenerateSigningKey(GetParam(), "k1");
  ASSERT_TRUE(key.ok());
  auto sig = Sign(*key, "header.payload");
  ASSERT_TRUE(sig.ok());
  if (GetParam() == JwsAlg::kES256) {
    EXPECT_EQ(sig->size(), 64u);  // raw r||s, not DER
  }
  auto jwk = PublicJwkJson(*key);
  ASSERT_TRUE(jwk.ok());
  auto pub = ParsePublicJwk(*jwk);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->alg, GetParam());
  EXPECT_TRUE(Verify(GetParam(), pub->pkey.get(), "header.payload", *sig));
  EXPECT_FALSE(Verify(GetParam(), pub->pkey.get(), "header.payloaX", *sig));
  const JwsAlg other = GetParam() == JwsAlg::kES256 ? JwsAlg::kRS256 : JwsAlg::kES256;
  EXPECT_FALSE(Verify(other, pub->pkey.get(), "header.payload", *sig));  // pinned to the key type
  auto stranger = GenerateSigningKey(GetParam(), "k2");
  EXPECT_FALSE(Verify(GetParam(), stranger->pkey.get(), "header.payload", *sig));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwsTest, ::testing::Values(JwsAlg::kES256, JwsAlg::kRS256),
                         [](const auto& info) { return std::string(JwsAlgName(info.param)); });

TEST(ParsePublicJwk, RefusesKeysItCannotUseSafely) {
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"oct","kid":"a","k":"c2VjcmV0"})").ok());
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"EC","kid":"a","crv":"P-384","x":"AA","y":"AA"})").ok());
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"RSA","kid":"a","n":"AQAB","e":"AQAB"})").ok());  // tiny
  auto key = GenerateSigningKey(JwsAlg::kES256, "");
  EXPECT_FALSE(ParsePublicJwk(*PublicJwkJson(*key)).ok());  // no kid
  auto rsa = GenerateSigningKey(JwsAlg::kRS256, "r");
  std::string jwk = *PublicJwkJson(*rsa);
  jwk.replace(jwk.find("RS256"), 5, "ES256");
  EXPECT_FALSE(ParsePublicJwk(jwk).ok());  // alg that does not fit the key type
  EXPECT_FALSE(ParseJwsAlg("none").has_value());
  EXPECT_FALSE(ParseJwsAlg("HS256").has_value());
}

}  // namespace
}  // namespace gnlc::auth

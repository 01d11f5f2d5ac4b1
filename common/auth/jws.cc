#include "common/auth/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/auth/base64url.h"

namespace gnlc::auth {
namespace {

using Json = nlohmann::json;

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using EcSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

Pkey Own(EVP_PKEY* p) { return Pkey(p, PkeyFree()); }

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("JWK: ", what));
}

std::optional<std::string> StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Builds a public key of `type` ("RSA" or "EC") from OSSL parameters.
absl::StatusOr<Pkey> FromParams(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Bad("the key's parameters do not form a valid public key");
  }
  return Own(pkey);
}

absl::StatusOr<Pkey> RsaKey(const Json& j) {
  auto n = StringField(j, "n"), e = StringField(j, "e");
  if (!n || !e) return Bad("an RSA key needs n and e");
  auto nb = Base64UrlDecode(*n), eb = Base64UrlDecode(*e);
  if (!nb || !eb || eb->empty() || eb->size() > 8) return Bad("n or e is not base64url");
  // 2048 bits at least (NIST SP 800-131A); 8192 at most bounds the work.
  const size_t bits = nb->size() * 8;
  if (bits < 2048 || bits > 8192) return Bad("RSA keys must have 2048 to 8192 bits");
  BnPtr bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(nb->data()),
                       static_cast<int>(nb->size()), nullptr));
  BnPtr bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(eb->data()),
                       static_cast<int>(eb->size()), nullptr));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Bad("cannot build the RSA key");
  }
  return FromParams("RSA", bld.get());
}

absl::StatusOr<Pkey> EcKey(const Json& j) {
  if (StringField(j, "crv") != "P-256") return Bad("EC keys must be on curve P-256");
  auto x = StringField(j, "x"), y = StringField(j, "y");
  if (!x || !y) return Bad("an EC key needs x and y");
  auto xb = Base64UrlDecode(*x), yb = Base64UrlDecode(*y);
  if (!xb || !yb || xb->size() != 32 || yb->size() != 32) {
    return Bad("x and y must be 32 bytes of base64url each");
  }
  const std::string point = absl::StrCat(std::string(1, '\x04'), *xb, *yb);
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Bad("cannot build the EC key");
  }
  return FromParams("EC", bld.get());
}

// DER ECDSA-Sig-Value <-> the raw r||s of JWS.
std::optional<std::string> RawToDer(absl::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  EcSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::optional<std::string> DerToRaw(absl::string_view der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  EcSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(64, '\0');
  if (BN_bn2binpad(r, reinterpret_cast<unsigned char*>(out.data()), 32) != 32 ||
      BN_bn2binpad(s, reinterpret_cast<unsigned char*>(out.data()) + 32, 32) != 32) {
    return std::nullopt;
  }
  return out;
}

std::string BnBytes(EVP_PKEY* pkey, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) return "";
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

}  // namespace

std::optional<JwsAlg> ParseJwsAlg(absl::string_view name) {
  if (name == "RS256") return JwsAlg::kRS256;
  if (name == "ES256") return JwsAlg::kES256;
  return std::nullopt;
}

const char* JwsAlgName(JwsAlg alg) { return alg == JwsAlg::kRS256 ? "RS256" : "ES256"; }

absl::StatusOr<PublicJwk> ParsePublicJwk(absl::string_view json) {
  const Json j = Json::parse(json.begin(), json.end(), nullptr, false);
  if (!j.is_object()) return Bad("not a JSON object");
  PublicJwk out;
  auto kid = StringField(j, "kid");
  if (!kid || kid->empty() || kid->size() > 128)
    return Bad("every key needs a kid (1 to 128 characters)");
  out.kid = *kid;
  auto kty = StringField(j, "kty");
  if (kty == "RSA") {
    out.alg = JwsAlg::kRS256;
    auto key = RsaKey(j);
    if (!key.ok()) return key.status();
    out.pkey = *key;
  } else if (kty == "EC") {
    out.alg = JwsAlg::kES256;
    auto key = EcKey(j);
    if (!key.ok()) return key.status();
    out.pkey = *key;
  } else {
    return Bad(absl::StrCat("key ", out.kid, ": kty must be RSA or EC"));
  }
  if (auto alg = StringField(j, "alg"); alg.has_value() && *alg != JwsAlgName(out.alg)) {
    return Bad(absl::StrCat("key ", out.kid, ": alg ", *alg, " does not fit its key type"));
  }
  if (auto use = StringField(j, "use"); use.has_value() && *use != "sig") {
    return Bad(absl::StrCat("key ", out.kid, ": use must be sig"));
  }
  return out;
}

bool Verify(JwsAlg alg, EVP_PKEY* pkey, absl::string_view signing_input,
            absl::string_view signature) {
  if (pkey == nullptr) return false;
  // The key's type must be the algorithm's: no RSA key verifies "ES256".
  const int type = EVP_PKEY_get_base_id(pkey);
  if ((alg == JwsAlg::kRS256) != (type == EVP_PKEY_RSA)) return false;
  std::string der;
  if (alg == JwsAlg::kES256) {
    auto converted = RawToDer(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()),
                          signing_input.size()) == 1;
}

absl::StatusOr<SigningKey> GenerateSigningKey(JwsAlg alg, std::string kid) {
  EVP_PKEY* pkey = alg == JwsAlg::kES256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (pkey == nullptr) return absl::InternalError("key generation failed");
  return SigningKey{alg, std::move(kid), Own(pkey)};
}

absl::StatusOr<std::string> Sign(const SigningKey& key, absl::string_view signing_input) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return absl::InternalError("signing failed");
  }
  sig.resize(len);
  if (key.alg == JwsAlg::kRS256) return sig;
  auto raw = DerToRaw(sig);
  if (!raw) return absl::InternalError("signing produced no ECDSA signature");
  return *raw;
}

absl::StatusOr<std::string> PublicJwkJson(const SigningKey& key) {
  Json j = {{"kid", key.kid}, {"alg", JwsAlgName(key.alg)}, {"use", "sig"}};
  if (key.alg == JwsAlg::kRS256) {
    j["kty"] = "RSA";
    j["n"] = Base64UrlEncode(BnBytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_N));
    j["e"] = Base64UrlEncode(BnBytes(key.pkey.get(), OSSL_PKEY_PARAM_RSA_E));
  } else {
    unsigned char point[65];
    size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key.pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, point,
                                        sizeof(point), &len) != 1 ||
        len != 65) {
      return absl::InternalError("cannot read the EC public key");
    }
    j["kty"] = "EC";
    j["crv"] = "P-256";
    j["x"] = Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(point) + 1, 32));
    j["y"] = Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(point) + 33, 32));
  }
  return j.dump();
}

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* pkey) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot write the key as PEM");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

absl::StatusOr<Pkey> PrivateKeyFromPem(absl::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (pkey == nullptr) return absl::InvalidArgumentError("not a PEM private key");
  return Own(pkey);
}

}  // namespace gnlc::auth

#include "common/auth/dev_pki.h"

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/auth/authenticator.h"
#include "common/auth/base64url.h"
#include "common/redis/redis_acl.h"

namespace gnlc::auth {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

absl::StatusOr<X509Ptr> CertFromPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (x == nullptr) return absl::InvalidArgumentError("not a PEM certificate");
  return X509Ptr(x);
}

std::string CertToPem(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Signs a certificate for `key` by `issuer` (itself when null).
absl::StatusOr<X509Ptr> MakeCert(EVP_PKEY* key, const std::string& cn, X509* issuer,
                                 EVP_PKEY* issuer_key, absl::Duration not_before,
                                 absl::Duration not_after, bool is_ca, const std::string& san) {
  X509Ptr x(X509_new());
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  X509_set_version(x.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), absl::ToInt64Seconds(not_before));
  X509_gmtime_adj(X509_getm_notAfter(x.get()), absl::ToInt64Seconds(not_after));
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("gnlc development"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : x.get();
  X509_set_issuer_name(x.get(), X509_get_subject_name(signer));
  bool ok = AddExtension(x.get(), signer, NID_subject_key_identifier, "hash") &&
            AddExtension(x.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (is_ca) {
    ok = ok && AddExtension(x.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(x.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && AddExtension(x.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExtension(x.get(), signer, NID_key_usage, "critical,digitalSignature") &&
         AddExtension(x.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth");
    if (!san.empty()) ok = ok && AddExtension(x.get(), signer, NID_subject_alt_name, san);
  }
  if (!ok || X509_sign(x.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return absl::InternalError(absl::StrCat("cannot make the certificate of ", cn));
  }
  return x;
}

std::string CityOf(const std::string& dir, const std::string& city, const std::string& rest) {
  return absl::StrCat(dir, "/", city, "/", rest);
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

absl::Status WritePair(const std::string& stem, const CertAndKey& pair) {
  if (auto s = WriteFileAtomically(stem + ".key", pair.key_pem, true); !s.ok()) return s;
  return WriteFileAtomically(stem + ".crt", pair.cert_pem);
}

absl::StatusOr<CertAndKey> ReadPair(const std::string& stem) {
  auto cert = ReadFileToString(stem + ".crt");
  auto key = ReadFileToString(stem + ".key");
  if (!cert.ok()) return cert.status();
  if (!key.ok()) return key.status();
  return CertAndKey{*cert, *key};
}

// The pair at `stem`, made by `make` when it does not exist yet.
template <typename Make>
absl::StatusOr<CertAndKey> Ensure(const std::string& stem, Make make) {
  if (Exists(stem + ".crt") && Exists(stem + ".key")) return ReadPair(stem);
  auto made = make();
  if (!made.ok()) return made.status();
  if (auto s = WritePair(stem, *made); !s.ok()) return s;
  return made;
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, const std::string& contents,
                                 bool private_file) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << contents;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", tmp));
  }
  if (private_file) ::chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

absl::StatusOr<CertAndKey> NewCertificateAuthority(const std::string& common_name) {
  auto key = GenerateSigningKey(JwsAlg::kES256, "");
  if (!key.ok()) return key.status();
  auto cert = MakeCert(key->pkey.get(), common_name, nullptr, nullptr, -absl::Hours(1),
                       absl::Hours(24 * 365 * 5), true, "");
  if (!cert.ok()) return cert.status();
  auto pem = PrivateKeyPem(key->pkey.get());
  if (!pem.ok()) return pem.status();
  return CertAndKey{CertToPem(cert->get()), *pem};
}

absl::StatusOr<CertAndKey> IssueCertificate(const CertAndKey& ca, const CertificateSpec& spec) {
  auto ca_cert = CertFromPem(ca.cert_pem);
  auto ca_key = PrivateKeyFromPem(ca.key_pem);
  if (!ca_cert.ok()) return ca_cert.status();
  if (!ca_key.ok()) return ca_key.status();
  auto key = GenerateSigningKey(JwsAlg::kES256, "");
  if (!key.ok()) return key.status();
  std::vector<std::string> san;
  for (const auto& d : spec.dns) san.push_back("DNS:" + d);
  for (const auto& i : spec.ips) san.push_back("IP:" + i);
  for (const auto& u : spec.uris) san.push_back("URI:" + u);
  auto cert = MakeCert(key->pkey.get(), spec.common_name, ca_cert->get(), ca_key->get(),
                       spec.not_before, spec.not_after, false, absl::StrJoin(san, ","));
  if (!cert.ok()) return cert.status();
  auto pem = PrivateKeyPem(key->pkey.get());
  if (!pem.ok()) return pem.status();
  return CertAndKey{CertToPem(cert->get()), *pem};
}

absl::StatusOr<std::string> MintJwt(const SigningKey& key, const std::string& claims_json) {
  const nlohmann::json header = {{"alg", JwsAlgName(key.alg)}, {"kid", key.kid}, {"typ", "JWT"}};
  const std::string input =
      absl::StrCat(Base64UrlEncode(header.dump()), ".", Base64UrlEncode(claims_json));
  auto sig = Sign(key, input);
  if (!sig.ok()) return sig.status();
  return absl::StrCat(input, ".", Base64UrlEncode(*sig));
}

absl::StatusOr<std::string> MintToken(const DevIssuer& issuer, const TokenSpec& spec,
                                      absl::Time now) {
  nlohmann::json claims = {{"iss", issuer.issuer},
                           {"aud", issuer.audience},
                           {"sub", spec.subject},
                           {"role", spec.role},
                           {"iat", absl::ToUnixSeconds(now)},
                           {"exp", absl::ToUnixSeconds(now + spec.ttl)}};
  if (!spec.partner.empty()) claims["partner"] = spec.partner;
  if (!spec.azp.empty()) claims["azp"] = spec.azp;
  return MintJwt(issuer.key, claims.dump());
}

const std::vector<std::string>& GnlcServices() {
  static const auto* services =
      new std::vector<std::string>{"catalog", "enrollment", "partnership", "analytics"};
  return *services;
}

absl::Status WriteDevPki(const std::string& dir, const std::vector<std::string>& cities,
                         absl::Duration token_ttl) {
  auto network_ca = Ensure(dir + "/network-ca",
                           [] { return NewCertificateAuthority("gnlc development network CA"); });
  if (!network_ca.ok()) return network_ca.status();
  for (const std::string& city : cities) {
    auto city_ca = Ensure(CityOf(dir, city, "tls/ca"), [&] {
      return NewCertificateAuthority(absl::StrCat("gnlc development CA of ", city));
    });
    if (!city_ca.ok()) return city_ca.status();
    for (const std::string& service : GnlcServices()) {
      auto pair = Ensure(CityOf(dir, city, "tls/" + service), [&] {
        return IssueCertificate(*city_ca,
                                {.common_name = absl::StrCat(service, ".", city),
                                 .dns = {"localhost", service, absl::StrCat(city, "-", service)},
                                 .ips = {"127.0.0.1"},
                                 .uris = {}});
      });
      if (!pair.ok()) return pair.status();
    }
    if (auto s = WriteFileAtomically(CityOf(dir, city, "federation/network-ca.crt"),
                                     network_ca->cert_pem);
        !s.ok()) {
      return s;
    }
    auto city_pair = Ensure(CityOf(dir, city, "federation/city"), [&] {
      return IssueCertificate(*network_ca,
                              {.common_name = city,
                               .dns = {"localhost", city + "-catalog", city + "-analytics"},
                               .ips = {"127.0.0.1"},
                               .uris = {SpiffeIdOfCity(city)}});
    });
    if (!city_pair.ok()) return city_pair.status();

    const std::string issuer_key = CityOf(dir, city, "auth/dev-issuer.key");
    if (!Exists(issuer_key)) {
      auto key = GenerateSigningKey(JwsAlg::kES256, absl::StrCat(city, "-dev-1"));
      if (!key.ok()) return key.status();
      auto pem = PrivateKeyPem(key->pkey.get());
      auto jwk = PublicJwkJson(*key);
      if (!pem.ok()) return pem.status();
      if (!jwk.ok()) return jwk.status();
      const nlohmann::json meta = {{"issuer", absl::StrCat("https://dev-idp.gnlc.local/", city)},
                                   {"audience", absl::StrCat("gnlc:", city)},
                                   {"kid", key->kid}};
      const std::string jwks = absl::StrCat("{\"keys\": [", *jwk, "]}\n");
      if (auto s = WriteFileAtomically(CityOf(dir, city, "auth/jwks.json"), jwks); !s.ok())
        return s;
      if (auto s = WriteFileAtomically(CityOf(dir, city, "auth/dev-issuer.json"), meta.dump(2));
          !s.ok()) {
        return s;
      }
      if (auto s = WriteFileAtomically(issuer_key, *pem, true); !s.ok()) return s;
    }
    auto issuer = LoadDevIssuer(dir, city);
    if (!issuer.ok()) return issuer.status();
    for (const std::string& service : GnlcServices()) {
      auto token = MintToken(
          *issuer, {.role = "service", .subject = service, .partner = "", .ttl = token_ttl},
          absl::Now());
      if (!token.ok()) return token.status();
      if (auto s = WriteFileAtomically(CityOf(dir, city, "auth/" + service + ".token"),
                                       *token + "\n", true);
          !s.ok()) {
        return s;
      }
    }
    if (auto s = WriteDevRedisUsers(dir, city); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status WriteDevRedisUsers(const std::string& dir, const std::string& city) {
  return WriteRedisUsers(CityOf(dir, city, "redis"));
}

absl::Status WriteRedisUsers(const std::string& dir) {
  std::map<std::string, std::string> passwords;
  for (const std::string& user : RedisAclUsers()) {
    const std::string file = absl::StrCat(dir, "/", user, ".password");
    if (!Exists(file)) {
      unsigned char random[24];
      if (RAND_bytes(random, sizeof(random)) != 1) return absl::InternalError("no randomness");
      const std::string password =
          Base64UrlEncode(absl::string_view(reinterpret_cast<char*>(random), sizeof(random)));
      if (auto s = WriteFileAtomically(file, password + "\n", true); !s.ok()) return s;
    }
    auto password = ReadFileToString(file);
    if (!password.ok()) return password.status();
    passwords[user] = std::string(absl::StripTrailingAsciiWhitespace(*password));
  }
  // Rewritten each time, so a changed rule reaches an existing network.
  auto acl = RedisAclFile(passwords);
  if (!acl.ok()) return acl.status();
  return WriteFileAtomically(absl::StrCat(dir, "/users.acl"), *acl, true);
}

absl::StatusOr<DevIssuer> LoadDevIssuer(const std::string& dir, const std::string& city) {
  auto meta_text = ReadFileToString(CityOf(dir, city, "auth/dev-issuer.json"));
  auto pem = ReadFileToString(CityOf(dir, city, "auth/dev-issuer.key"));
  if (!meta_text.ok() || !pem.ok()) {
    return absl::NotFoundError(absl::StrCat("no development issuer for ", city, " under ", dir,
                                            " (deploy/local/up.sh makes one)"));
  }
  const auto meta = nlohmann::json::parse(*meta_text, nullptr, false);
  if (!meta.is_object() || !meta.value("issuer", nlohmann::json()).is_string() ||
      !meta.value("audience", nlohmann::json()).is_string() ||
      !meta.value("kid", nlohmann::json()).is_string()) {
    return absl::InvalidArgumentError("dev-issuer.json is damaged");
  }
  auto pkey = PrivateKeyFromPem(*pem);
  if (!pkey.ok()) return pkey.status();
  return DevIssuer{meta["issuer"].get<std::string>(), meta["audience"].get<std::string>(),
                   SigningKey{JwsAlg::kES256, meta["kid"].get<std::string>(), *pkey}};
}

}  // namespace gnlc::auth

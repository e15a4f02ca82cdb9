// A throw-away PKI made at test time with OpenSSL (no private key is
// committed): CAs, intermediates and end-entity certificates with the
// subjectAltNames a test needs, CRLs, and their PEM/DER forms. For tests
// only: keys are generated fresh in every run.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ike/crypto/private_key.hpp"

namespace ipsecgw::test {

using PkeyPtr = std::shared_ptr<EVP_PKEY>;
using X509Ptr = std::shared_ptr<X509>;

inline void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

inline PkeyPtr generateKey(ike::KeyKind kind) {
  EVP_PKEY* k = nullptr;
  switch (kind) {
    case ike::KeyKind::Rsa: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}); break;
    case ike::KeyKind::EcP256: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"); break;
    case ike::KeyKind::EcP384: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"); break;
    case ike::KeyKind::EcP521: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521"); break;
    case ike::KeyKind::Ed25519: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
    case ike::KeyKind::Ed448: k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"); break;
    case ike::KeyKind::Other: break;
  }
  require(k != nullptr, "key generation");
  return PkeyPtr(k, &EVP_PKEY_free);
}

inline std::string bioText(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<size_t>(len));
  BIO_free(bio);
  return s;
}

inline std::string privatePem(EVP_PKEY* k) {
  BIO* bio = BIO_new(BIO_s_mem());
  require(PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr) == 1, "key PEM");
  return bioText(bio);
}

inline std::string certPem(X509* x) {
  BIO* bio = BIO_new(BIO_s_mem());
  require(PEM_write_bio_X509(bio, x) == 1, "cert PEM");
  return bioText(bio);
}

inline std::vector<uint8_t> certDer(X509* x) {
  unsigned char* out = nullptr;
  int len = i2d_X509(x, &out);
  require(len > 0, "cert DER");
  std::vector<uint8_t> der(out, out + len);
  OPENSSL_free(out);
  return der;
}

inline std::vector<uint8_t> bytesOf(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

struct CertSpec {
  std::string cn;
  std::string san{};  // OpenSSL's form: "DNS:gw.example,IP:192.0.2.1,email:a@b"; empty: none
  bool ca{false};
  long notBeforeDays = -1, notAfterDays = 30;
  long serial = 1;
};

inline void addExtension(X509* x, X509V3_CTX* ctx, int nid, const std::string& value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
  require(ext != nullptr, "extension");
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
}

// Signs `spec` for `subjectKey` with `issuerKey` (self-signed when `issuer` is null).
inline X509Ptr issueCert(const CertSpec& spec, EVP_PKEY* subjectKey, X509* issuer, EVP_PKEY* issuerKey) {
  X509Ptr x(X509_new(), &X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), spec.notBeforeDays * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), spec.notAfterDays * 86400);
  X509_set_pubkey(x.get(), subjectKey);
  X509_NAME* name = X509_NAME_new();
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("CH"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("ipsecgw test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1,
                             -1, 0);
  X509_set_subject_name(x.get(), name);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_NAME_free(name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x.get(), x.get(), nullptr, nullptr, 0);
  addExtension(x.get(), &ctx, NID_basic_constraints, spec.ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (spec.ca) addExtension(x.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(x.get(), &ctx, NID_subject_key_identifier, "hash");
  if (issuer) addExtension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  if (!spec.san.empty()) addExtension(x.get(), &ctx, NID_subject_alt_name, spec.san);
  const int type = EVP_PKEY_get_base_id(issuerKey);
  const EVP_MD* md = type == EVP_PKEY_ED25519 || type == EVP_PKEY_ED448 ? nullptr : EVP_sha256();
  require(X509_sign(x.get(), issuerKey, md) > 0, "certificate signature");
  return x;
}

struct Entity {
  PkeyPtr key;
  X509Ptr cert;
  std::string keyPem() const { return privatePem(key.get()); }
  std::string certPem() const { return test::certPem(cert.get()); }
  std::vector<uint8_t> certDer() const { return test::certDer(cert.get()); }
};

// A CA that issues certificates and CRLs.
struct TestCa : Entity {
  explicit TestCa(const std::string& cn = "ipsecgw test CA", ike::KeyKind kind = ike::KeyKind::EcP256) {
    key = generateKey(kind);
    cert = issueCert(CertSpec{cn, "", true, -1, 365, 1}, key.get(), nullptr, key.get());
  }
  TestCa(const std::string& cn, const TestCa& parent, long serial = 100) {
    key = generateKey(ike::KeyKind::EcP256);
    cert = issueCert(CertSpec{cn, "", true, -1, 365, serial}, key.get(), parent.cert.get(), parent.key.get());
  }
  Entity issue(ike::KeyKind kind, CertSpec spec) const {
    Entity e;
    e.key = generateKey(kind);
    e.cert = issueCert(spec, e.key.get(), cert.get(), key.get());
    return e;
  }
  // A CRL (PEM) revoking `serials`.
  std::string crlPem(const std::vector<long>& serials) const {
    X509_CRL* crl = X509_CRL_new();
    X509_CRL_set_version(crl, 1);
    X509_CRL_set_issuer_name(crl, X509_get_subject_name(cert.get()));
    ASN1_TIME* now = X509_gmtime_adj(nullptr, -3600);
    ASN1_TIME* next = X509_gmtime_adj(nullptr, 7 * 86400);
    X509_CRL_set1_lastUpdate(crl, now);
    X509_CRL_set1_nextUpdate(crl, next);
    for (long serial : serials) {
      X509_REVOKED* r = X509_REVOKED_new();
      ASN1_INTEGER* s = ASN1_INTEGER_new();
      ASN1_INTEGER_set(s, serial);
      X509_REVOKED_set_serialNumber(r, s);
      X509_REVOKED_set_revocationDate(r, now);
      X509_CRL_add0_revoked(crl, r);
      ASN1_INTEGER_free(s);
    }
    ASN1_TIME_free(now);
    ASN1_TIME_free(next);
    X509_CRL_sort(crl);
    require(X509_CRL_sign(crl, key.get(), EVP_sha256()) > 0, "CRL signature");
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509_CRL(bio, crl);
    X509_CRL_free(crl);
    return bioText(bio);
  }
};

}  // namespace ipsecgw::test

#include "ike/crypto/private_key.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstring>

namespace ipsecgw::ike {

KeyKind keyKind(EVP_PKEY* key) {
  if (!key) return KeyKind::Other;
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: return KeyKind::Rsa;
    case EVP_PKEY_ED25519: return KeyKind::Ed25519;
    case EVP_PKEY_ED448: return KeyKind::Ed448;
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t len = 0;
      if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len))
        return KeyKind::Other;
      if (std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "P-256") == 0) return KeyKind::EcP256;
      if (std::strcmp(group, "secp384r1") == 0 || std::strcmp(group, "P-384") == 0) return KeyKind::EcP384;
      if (std::strcmp(group, "secp521r1") == 0 || std::strcmp(group, "P-521") == 0) return KeyKind::EcP521;
      return KeyKind::Other;
    }
    default: return KeyKind::Other;
  }
}

const char* keyKindName(KeyKind k) {
  switch (k) {
    case KeyKind::Rsa: return "RSA";
    case KeyKind::EcP256: return "ECDSA P-256";
    case KeyKind::EcP384: return "ECDSA P-384";
    case KeyKind::EcP521: return "ECDSA P-521";
    case KeyKind::Ed25519: return "Ed25519";
    case KeyKind::Ed448: return "Ed448";
    case KeyKind::Other: break;
  }
  return "unsupported key type";
}

void PrivateKey::freeKey(EVP_PKEY* k) { EVP_PKEY_free(k); }

Expected<PrivateKey, std::string> PrivateKey::fromPem(ByteView pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return unexpected(std::string("out of memory"));
  // No passphrase callback: an encrypted key fails here instead of
  // prompting on the daemon's terminal.
  auto noPassword = [](char*, int, int, void*) -> int { return 0; };
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, noPassword, nullptr);
  BIO_free(bio);
  ERR_clear_error();
  if (!key) return unexpected(std::string("not an unencrypted PEM private key"));
  PrivateKey k(key);
  if (k.kind() == KeyKind::Other)
    return unexpected(std::string("unsupported key type (RSA, ECDSA P-256/P-384/P-521, Ed25519 or Ed448)"));
  return k;
}

bool PrivateKey::matches(const Certificate& cert) const {
  EVP_PKEY* pub = cert.publicKey();
  return pub && EVP_PKEY_eq(key_.get(), pub) == 1;
}

}  // namespace ipsecgw::ike

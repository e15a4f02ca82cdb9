// Our private key for signature authentication, from a PEM file's content
// (PKCS#8 or the traditional RSA/EC forms; unencrypted). The PEM text stays
// with the caller in SecretBytes; OpenSSL keeps the key itself and clears
// its big numbers when it is freed (BN_clear_free).
#pragma once

#include <memory>
#include <string>

#include <openssl/types.h>

#include "ike/crypto/byte_view.hpp"
#include "ike/crypto/x509_certificate.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// The kinds of key IKE_AUTH can sign with (RFC 7427 section 3, RFC 4754, RFC 8420).
enum class KeyKind : uint8_t { Rsa, EcP256, EcP384, EcP521, Ed25519, Ed448, Other };

KeyKind keyKind(EVP_PKEY* key);
const char* keyKindName(KeyKind k);

class PrivateKey {
 public:
  // An error names the problem, never the content.
  static Expected<PrivateKey, std::string> fromPem(ByteView pem);

  KeyKind kind() const { return keyKind(key_.get()); }
  // Whether `cert` carries this key's public half.
  bool matches(const Certificate& cert) const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(EVP_PKEY* k) : key_(k, &freeKey) {}
  static void freeKey(EVP_PKEY* k);
  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace ipsecgw::ike

// HMAC (RFC 2104) over OpenSSL 3's EVP_MAC, the one primitive behind the
// PRFs (RFC 4868 2.1.1), prf+, AUTH and the CBC ciphers' ICV (RFC 4868 2.1.2).
// Internal to lib/ike/crypto. Control plane only: creating one allocates.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "ike/crypto/byte_view.hpp"

namespace ipsecgw::ike {

class Hmac {
 public:
  // `digest` is an OpenSSL name ("SHA256") with static storage. Check ok().
  explicit Hmac(const char* digest);
  ~Hmac();
  Hmac(const Hmac&) = delete;
  Hmac& operator=(const Hmac&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  size_t outLen() const { return outLen_; }

  // init, any number of updates, final: `out` gets exactly outLen() octets.
  // OpenSSL keeps the key schedule in the context and cleanses it on free.
  // A failure poisons the sequence until the next init.
  bool init(ByteView key);
  bool update(ByteView data);
  bool final(uint8_t* out);

  // HMAC(key, concatenation of parts) in one call.
  bool compute(ByteView key, std::initializer_list<ByteView> parts, uint8_t* out);

 private:
  EVP_MAC_CTX* ctx_ = nullptr;
  const char* digest_;
  size_t outLen_ = 0;
  bool good_ = false;
};

}  // namespace ipsecgw::ike

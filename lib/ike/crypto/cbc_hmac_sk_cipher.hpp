// The SK payload under AES-CBC with HMAC-SHA2 (internal; build one with
// makeSkCipher): RFC 7296 3.14 with AES-CBC (RFC 3602) and
// AUTH_HMAC_SHA2_*_* (RFC 4868). Encrypt-then-MAC: a random 16-octet IV
// (3.14: it MUST be unpredictable), and the ICV is the truncated HMAC over
// message[0, end of ciphertext), IKE header and IV included (2.13, 3.14).
#pragma once

#include <openssl/evp.h>

#include "ike/crypto/algorithms.hpp"
#include "ike/crypto/hmac.hpp"
#include "ike/sk_cipher.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

class CbcHmacSkCipher final : public SkCipher {
 public:
  // Keys are SK_e* and SK_a* of one direction (lengths checked by the caller).
  // Null if OpenSSL lacks the cipher or digest.
  static std::unique_ptr<CbcHmacSkCipher> create(const EncrInfo& encr, const IntegInfo& integ,
                                                 SecretBytes&& encrKey, SecretBytes&& integKey);
  ~CbcHmacSkCipher() override;

  size_t ivLength() const override { return kBlockLen; }
  size_t icvLength() const override { return icvLen_; }
  size_t blockSize() const override { return kBlockLen; }
  bool seal(std::span<uint8_t> message, size_t ivOffset) override;
  bool open(std::span<uint8_t> message, size_t ivOffset) override;

 private:
  static constexpr size_t kBlockLen = 16;  // AES; also the IV length

  CbcHmacSkCipher(const IntegInfo& integ, SecretBytes&& encrKey, SecretBytes&& integKey, EVP_CIPHER* cipher,
                  EVP_CIPHER_CTX* ctx);
  // The ciphertext's length, or 0 if the message cannot hold IV, whole blocks and ICV.
  size_t cipherLen(std::span<uint8_t> message, size_t ivOffset) const;
  // The full HMAC over message[0, macEnd) into `mac` (up to 64 octets).
  bool mac(std::span<const uint8_t> covered, uint8_t* mac);

  SecretBytes encrKey_, integKey_;
  EVP_CIPHER* cipher_;
  EVP_CIPHER_CTX* ctx_;
  Hmac hmac_;
  size_t icvLen_;
};

}  // namespace ipsecgw::ike

// The SK payload under an AEAD (internal; build one with makeSkCipher):
// AES-GCM with a 16-octet ICV (RFC 5282) and ChaCha20-Poly1305 (RFC 7634 4).
// Both take SK_e* as key | 4-octet salt; the 12-octet nonce is salt | IV,
// the 8-octet IV travels in the message, and AAD is message[0, ivOffset)
// (RFC 5282 5.1, RFC 7634 5).
#pragma once

#include <openssl/evp.h>

#include "ike/crypto/algorithms.hpp"
#include "ike/sk_cipher.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

class AeadSkCipher final : public SkCipher {
 public:
  // `keyMaterial` is SK_e* (info.keyMaterialLen() octets, checked by the caller).
  // Null if OpenSSL has no such cipher.
  static std::unique_ptr<AeadSkCipher> create(const EncrInfo& info, SecretBytes&& keyMaterial);
  ~AeadSkCipher() override;

  size_t ivLength() const override { return kIvLen; }
  size_t icvLength() const override { return kIcvLen; }
  size_t blockSize() const override { return 1; }
  bool seal(std::span<uint8_t> message, size_t ivOffset) override;
  bool open(std::span<uint8_t> message, size_t ivOffset) override;

 private:
  static constexpr size_t kIvLen = 8;
  static constexpr size_t kIcvLen = 16;
  static constexpr size_t kSaltLen = 4;
  static constexpr size_t kNonceLen = kSaltLen + kIvLen;

  AeadSkCipher(SecretBytes&& keyMaterial, EVP_CIPHER* cipher, EVP_CIPHER_CTX* ctx)
      : keyMaterial_(std::move(keyMaterial)), cipher_(cipher), ctx_(ctx) {}
  bool fits(std::span<uint8_t> message, size_t ivOffset) const {
    return ivOffset <= message.size() && message.size() - ivOffset >= kIvLen + kIcvLen;
  }
  void makeNonce(const uint8_t* iv, uint8_t* nonce) const;

  SecretBytes keyMaterial_;  // key | salt
  EVP_CIPHER* cipher_;
  EVP_CIPHER_CTX* ctx_;
  // RFC 5282 3.1 / RFC 7634 2: an IV must never repeat under one key. A counter
  // per SA direction guarantees it; one cipher object is one direction.
  uint64_t nextIv_ = 0;
};

}  // namespace ipsecgw::ike

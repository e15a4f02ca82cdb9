// The reference crypto engine: OpenSSL 3 EVP. Clarity over speed; it exists so
// that the ipsec-mb engine has something independent to be compared with, and
// for hosts without AES-NI.
//
// Concurrency: an engine owns mutable EVP contexts and belongs to one thread.
// Sessions hold only key bytes and may be shared by every OpenSslEngine.
#pragma once

#include <openssl/types.h>

#include <array>
#include <memory>
#include <string>

#include "esp/crypto_engine.hpp"

namespace ipsecgw::crypto {

class OpenSslSession;

class OpenSslEngine : public esp::CryptoEngine {
 public:
  // nullptr when a context or an algorithm cannot be had from OpenSSL.
  static std::unique_ptr<OpenSslEngine> create();
  ~OpenSslEngine() override;
  OpenSslEngine(const OpenSslEngine&) = delete;
  OpenSslEngine& operator=(const OpenSslEngine&) = delete;

  std::string_view name() const override { return "openssl"; }
  // e.g. "openssl 3.0.11".
  std::string_view arch() const override { return arch_; }

  esp::CryptoSessionPtr createSession(esp::Transform t, std::span<const uint8_t> cipherKey,
                                      std::span<const uint8_t> authKey) override;
  void process(const esp::CryptoSession& session, esp::Transform t, esp::CryptoDirection dir,
               std::span<esp::CryptoOp> ops) override;

 private:
  static constexpr size_t kTransformCount = 8;

  OpenSslEngine() = default;
  bool keyContexts(const OpenSslSession& s, esp::CryptoDirection dir);
  bool aead(esp::CryptoOp& op, esp::CryptoDirection dir);
  bool gmac(esp::CryptoOp& op);
  bool cbcThenHmac(esp::CryptoOp& op, esp::CryptoDirection dir);
  bool hmac(esp::CryptoOp& op);
  bool cipherPass(int enc, const uint8_t* nonce, const uint8_t* aad, size_t aadLen, const uint8_t* in, uint8_t* out,
                  size_t len);
  bool seal(const uint8_t* nonce, const uint8_t* aad, size_t aadLen, const uint8_t* in, uint8_t* out, size_t len,
            uint8_t* tag);

  std::string arch_;
  // Fetched once (OpenSSL 3 "explicit fetch"), indexed by esp::Transform.
  std::array<EVP_CIPHER*, kTransformCount> cipher_{};    // GCM, ChaCha20-Poly1305, CBC
  std::array<EVP_CIPHER*, kTransformCount> ivCipher_{};  // CBC only: ECB for counter IVs
  EVP_CIPHER_CTX* ctx_ = nullptr;
  EVP_CIPHER_CTX* ivCtx_ = nullptr;
  EVP_MAC_CTX* mac_ = nullptr;
  // Discarded output of the tag-only AEAD pass on decrypt (see aead()).
  uint8_t sink_[256];
};

}  // namespace ipsecgw::crypto

// The seam between the ESP transforms and whoever does the arithmetic.
//
// lib/esp lays out the packet (headers, IV, padding, AAD, where the ICV goes)
// and hands the engine a burst of CryptoOps; the engine only ciphers and MACs.
// Implementations live in drivers/crypto: Intel ipsec-mb for the data path,
// OpenSSL 3 as a reference. Both must produce identical bytes for identical
// ops, which the cross-check test holds them to.
//
// Concurrency: an engine instance belongs to one thread (an ipsec-mb manager is
// single-threaded); a CryptoSession is immutable after creation and may be used
// by any engine instance of the same type.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "esp/transform.hpp"

namespace ipsecgw::esp {

enum class CryptoDirection : uint8_t { Encrypt, Decrypt };

// Per-SA expanded keys (AES round keys, GHASH tables, HMAC ipad/opad state).
// Created on the control plane; destroyed with the SA, wiping its contents.
class CryptoSession {
 public:
  virtual ~CryptoSession() = default;
};
using CryptoSessionPtr = std::unique_ptr<CryptoSession>;

// One packet's worth of work. All regions are in place within `data`.
struct CryptoOp {
  uint8_t* data = nullptr;
  // Region to encrypt or decrypt in place (AEAD, CBC). Empty for GMAC/NULL.
  uint32_t cipherOffset = 0;
  uint32_t cipherLen = 0;
  // Region to authenticate: the HMAC input (CbcThenHmac, HmacOnly) or the
  // GMAC AAD (GmacOnly). Unused for Aead, whose AAD is `aad`.
  uint32_t authOffset = 0;
  uint32_t authLen = 0;
  // AEAD additional data (SPI || [seq hi] || seq lo).
  const uint8_t* aad = nullptr;
  uint32_t aadLen = 0;
  // Aead/GmacOnly: the 12-byte nonce (salt || explicit IV).
  // CbcThenHmac: the 16-byte IV in the packet. When `ivIsCounter` is set the
  // engine first replaces those 16 bytes with AES_K(counter block) under the
  // SA's cipher key: an unpredictable IV as RFC 3602 requires (NIST SP 800-38A
  // App. C) that is still deterministic, so engines can be compared.
  uint8_t* iv = nullptr;
  bool ivIsCounter = false;  // CbcThenHmac only
  // Where the engine writes the computed ICV (transform's icvLen bytes).
  uint8_t* digest = nullptr;
  // Set by the engine: false when it could not perform the op.
  bool ok = false;
};

class CryptoEngine {
 public:
  virtual ~CryptoEngine() = default;

  // "ipsec-mb" or "openssl".
  virtual std::string_view name() const = 0;
  // The instruction set in use, e.g. "avx512 (VAES)", for status output.
  virtual std::string_view arch() const = 0;

  // Control plane. cipherKey excludes the salt; authKey is empty for AEAD and
  // GMAC. Returns nullptr for a key of the wrong length.
  virtual CryptoSessionPtr createSession(Transform t, std::span<const uint8_t> cipherKey,
                                         std::span<const uint8_t> authKey) = 0;

  // Data plane: process every op of the burst. Encrypt computes cipher then
  // ICV; Decrypt computes the ICV over the received bytes then deciphers. The
  // caller compares the ICV (in constant time) and decides.
  virtual void process(const CryptoSession& session, Transform t, CryptoDirection dir,
                       std::span<CryptoOp> ops) = 0;
};
using CryptoEnginePtr = std::unique_ptr<CryptoEngine>;

}  // namespace ipsecgw::esp

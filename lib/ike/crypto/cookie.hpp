// IKEv2 COOKIEs (RFC 7296 2.6): a responder under load answers IKE_SA_INIT
// statelessly with N(COOKIE) and keeps state only for initiators that echo
// it, which proves they receive at the address they claim. The RFC's
// suggestion, with HMAC-SHA-256 keyed by the secret:
//   Cookie = <VersionIDofSecret> | HMAC-SHA-256(<secret>, Ni | IPi | SPIi)
// 4 + 32 octets. The secret is random, rotated every `rotateEveryMs`; a
// cookie made under the previous secret is still accepted (an initiator may
// be half-way through its retry when the secret changes), older ones not.
// Concurrency: single-threaded (the IKE engine's).
#pragma once

#include <cstdint>
#include <vector>

#include "ike/crypto/byte_view.hpp"
#include "ike/crypto/hmac.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

class CookieSecrets {
 public:
  static constexpr size_t kCookieLen = 4 + 32;

  explicit CookieSecrets(uint64_t rotateEveryMs = 60000) : rotateEveryMs_(rotateEveryMs) {}
  CookieSecrets(const CookieSecrets&) = delete;
  CookieSecrets& operator=(const CookieSecrets&) = delete;

  // The cookie for this IKE_SA_INIT under the current secret; empty if the
  // DRBG or HMAC failed (then no cookie can be checked either).
  std::vector<uint8_t> make(ByteView ni, ByteView ipi, uint64_t spiI, uint64_t nowMs);
  // True when `cookie` is what make() gave for these values under the
  // current or the previous secret. Compared in constant time.
  bool verify(ByteView cookie, ByteView ni, ByteView ipi, uint64_t spiI, uint64_t nowMs);

 private:
  struct Secret {
    uint32_t version = 0;
    SecretBytes key;
  };
  bool rotateIfDue(uint64_t nowMs);
  bool mac(const Secret& s, ByteView ni, ByteView ipi, uint64_t spiI, uint8_t* out);

  uint64_t rotateEveryMs_;
  uint64_t rotatedAtMs_ = 0;
  uint32_t nextVersion_ = 1;
  Secret current_, previous_;  // key empty: none
  Hmac hmac_{"SHA256"};
};

}  // namespace ipsecgw::ike

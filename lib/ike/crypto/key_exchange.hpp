// One side of an IKEv2 Diffie-Hellman exchange (KE payload, RFC 7296 1.2 and
// 3.4): a fresh key pair for the negotiated group, its public value in IKE's
// encoding and the shared secret g^ir from the peer's value.
//
// Encodings (what goes in the KE payload's data and what g^ir is):
//   MODP 14/15 (RFC 3526): big-endian, left-padded to the prime's length
//     (RFC 7296 3.4); g^ir likewise (2.14).
//   ECP 19/20/21 (RFC 5903 7): x | y, each padded to the field size, without
//     the 0x04 point-format octet; g^ir is x only (RFC 5903 9).
//   Curve25519/448 (RFC 8031 2): the 32/56-octet u coordinate (RFC 7748 5);
//     an all-zero g^ir is refused (RFC 8031 2.3).
// Every peer value is checked first: wrong length, MODP 0, 1, p-1 or >= p,
// a point off the curve, and all come back as BadPeerValue (the exchange
// answers INVALID_SYNTAX or drops), never as a crash.
#pragma once

#include <openssl/types.h>  // EVP_PKEY, without the whole EVP API

#include <memory>
#include <vector>

#include "ike/crypto/algorithms.hpp"
#include "ike/crypto/byte_view.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

class KeyExchange;
using KeyExchangePtr = std::unique_ptr<KeyExchange>;

class KeyExchange {
 public:
  // A fresh key pair from OpenSSL's DRBG.
  static Expected<KeyExchangePtr, CryptoError> generate(KeGroup group);
  // A fixed private key (big-endian scalar for ECP, RFC 7748 octets for
  // X25519/X448): for known-answer tests only, ECP and ECX groups only.
  static Expected<KeyExchangePtr, CryptoError> fromPrivateKey(KeGroup group, ByteView privateKey);

  ~KeyExchange();
  KeyExchange(const KeyExchange&) = delete;
  KeyExchange& operator=(const KeyExchange&) = delete;

  KeGroup group() const { return group_; }
  // The KE payload's key exchange data (not secret).
  const std::vector<uint8_t>& publicValue() const { return public_; }
  // g^ir from the peer's KE data, validated as described above.
  Expected<SecretBytes, CryptoError> sharedSecret(ByteView peerPublic) const;

 private:
  KeyExchange(KeGroup group, EVP_PKEY* key, std::vector<uint8_t> pub) : group_(group), key_(key), public_(std::move(pub)) {}

  KeGroup group_;
  EVP_PKEY* key_;  // owns the private key; EVP_PKEY_free cleanses it
  std::vector<uint8_t> public_;
};

}  // namespace ipsecgw::ike

// AUTH payload data made with a signature key (RFC 7296 2.15 signed octets):
//
//   RFC 7427 Digital Signature (Auth Method 14):
//     | ASN.1 Length (1 octet) | AlgorithmIdentifier (DER) | Signature |
//   negotiated by N(SIGNATURE_HASH_ALGORITHMS) in IKE_SA_INIT (7427 section 4),
//   a list of 16-bit hash numbers; Ed25519/Ed448 sign the octets whole, hash
//   "Identity" (RFC 8420).
//   Classic methods, for a peer that sent no such notify: RSA (1,
//   RSASSA-PKCS1-v1_5 with SHA-1, as strongSwan and RFC 7296 3.8), ECDSA
//   with SHA-256/P-256 (9), SHA-384/P-384 (10), SHA-512/P-521 (11), the
//   signature r | s in fixed width (RFC 4754 7).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <openssl/types.h>

#include "ike/crypto/byte_view.hpp"
#include "ike/crypto/crypto_error.hpp"
#include "ike/crypto/private_key.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// IANA "IKEv2 Hash Algorithms" (RFC 7427 section 7, RFC 8420).
enum class SignatureHash : uint16_t { Sha1 = 1, Sha2_256 = 2, Sha2_384 = 3, Sha2_512 = 4, Identity = 5 };

// Auth Method numbers (RFC 7296 3.8) this file produces and checks.
enum class SignatureMethod : uint8_t { Rsa = 1, EcdsaSha256 = 9, EcdsaSha384 = 10, EcdsaSha512 = 11, DigitalSignature = 14 };

// What we offer in SIGNATURE_HASH_ALGORITHMS and accept in method 14: no
// SHA-1 (RFC 8247 3.2 demotes it).
const std::vector<SignatureHash>& ourSignatureHashes();
// Notify data for SIGNATURE_HASH_ALGORITHMS: 16-bit numbers, network order.
std::vector<uint8_t> encodeSignatureHashes(const std::vector<SignatureHash>& hashes);
// The peer's list; numbers we do not know are left out, an odd length
// ignores the last octet.
std::vector<SignatureHash> decodeSignatureHashes(ByteView data);

struct SignatureAuth {
  SignatureMethod method = SignatureMethod::DigitalSignature;
  std::vector<uint8_t> data;
};

struct SignOptions {
  // The peer's SIGNATURE_HASH_ALGORITHMS; nullopt: it sent none, use a
  // classic method (none exists for EdDSA: UnknownAlgorithm).
  std::optional<std::vector<SignatureHash>> peerHashes;
  bool rsaPss = false;  // RSASSA-PSS (salt = hash length, MGF1 with the same hash) instead of PKCS#1 v1.5
};

// AUTH data over `octets`. The hash: EdDSA Identity; ECDSA the curve's own
// (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512) or failing that the
// strongest the peer takes; RSA the strongest the peer takes of SHA-512,
// -384, -256.
Expected<SignatureAuth, CryptoError> signAuth(const PrivateKey& key, ByteView octets, const SignOptions& options);

// Verifies the peer's AUTH `data` (method `method`, the wire number) over
// `octets` with its certificate's key. For method 14 the AlgorithmIdentifier
// must fit the key and use a hash of ours. False with `why` filled on any
// failure.
bool verifyAuth(EVP_PKEY* peerKey, uint8_t method, ByteView data, ByteView octets, std::string& why);

}  // namespace ipsecgw::ike

// Why an IKE crypto call failed. Peer-caused errors (a bad KE value, an
// unknown transform ID) are distinguished from local ones so that the
// exchange layer can answer with the right notify (RFC 7296 3.10.1:
// INVALID_KE_PAYLOAD, NO_PROPOSAL_CHOSEN) and count the rest.
#pragma once

namespace ipsecgw::ike {

enum class CryptoError {
  UnknownAlgorithm,     // transform ID (or key length) we do not implement
  BadSuite,             // combination that cannot be used (AEAD with INTEG, CBC without)
  BadKeyLength,         // key material of the wrong size for the algorithm
  BadPeerValue,         // KE value of the wrong length, off the curve or out of range
  ZeroSharedSecret,     // all-zero X25519/X448 result (RFC 8031 2.3)
  TooMuchKeyMaterial,   // prf+ asked for more than 255 blocks (RFC 7296 2.13)
  LibraryFailure,       // OpenSSL refused an operation
  RandomFailure,        // RAND_bytes failed
};

// A stable name for logs and counters; never contains key material.
const char* cryptoErrorName(CryptoError e);

}  // namespace ipsecgw::ike

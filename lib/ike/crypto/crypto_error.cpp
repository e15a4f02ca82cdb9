#include "ike/crypto/crypto_error.hpp"

namespace ipsecgw::ike {

const char* cryptoErrorName(CryptoError e) {
  switch (e) {
    case CryptoError::UnknownAlgorithm: return "unknown-algorithm";
    case CryptoError::BadSuite: return "bad-suite";
    case CryptoError::BadKeyLength: return "bad-key-length";
    case CryptoError::BadPeerValue: return "bad-peer-value";
    case CryptoError::ZeroSharedSecret: return "zero-shared-secret";
    case CryptoError::TooMuchKeyMaterial: return "too-much-key-material";
    case CryptoError::LibraryFailure: return "library-failure";
    case CryptoError::RandomFailure: return "random-failure";
  }
  return "unknown";
}

}  // namespace ipsecgw::ike

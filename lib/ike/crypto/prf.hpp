// The IKEv2 pseudorandom functions (RFC 7296 2.13): prf = HMAC-SHA2-256/384/512
// (RFC 4868), and prf+, which stretches one prf into as many octets as the
// keys need. Inputs are given as a list of parts, so that a concatenation like
// Ni | Nr | SPIi | SPIr never has to be copied into a temporary.
#pragma once

#include <initializer_list>

#include "ike/crypto/algorithms.hpp"
#include "ike/crypto/byte_view.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

// prf(key, part0 | part1 | ...), prfInfo(id).outLen octets.
Expected<SecretBytes, CryptoError> prf(PrfId id, ByteView key, std::initializer_list<ByteView> data);

// prf+(key, S) = T1 | T2 | ..., Tn = prf(key, Tn-1 | S | n), truncated to
// `length` octets. n is one octet, so at most 255 blocks: asking for more is
// TooMuchKeyMaterial (RFC 7296 2.13).
Expected<SecretBytes, CryptoError> prfPlus(PrfId id, ByteView key, std::initializer_list<ByteView> seed,
                                           size_t length);

}  // namespace ipsecgw::ike

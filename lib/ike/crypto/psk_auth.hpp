// AUTH payload data for a pre-shared key (RFC 7296 2.15, Auth Method 2):
//
//   AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>)
//   InitiatorSignedOctets = RealMessage1 | NonceRData | prf(SK_pi, RestOfInitIDPayload)
//   ResponderSignedOctets = RealMessage2 | NonceIData | prf(SK_pr, RestOfRespIDPayload)
//
// RealMessage is the whole IKE_SA_INIT message the signer sent, the nonce is
// the peer's Nonce payload data, SK_p is the signer's (SK_pi for the
// initiator), and RestOf...IDPayload is the ID payload body after its generic
// header: ID Type, 3 reserved octets, identification data.
#pragma once

#include <vector>

#include "ike/crypto/algorithms.hpp"
#include "ike/crypto/byte_view.hpp"

namespace ipsecgw::ike {

// What the signer's AUTH covers: the signed octets, for PSK and signatures alike.
Expected<std::vector<uint8_t>, CryptoError> signedOctets(PrfId prf, ByteView realMessage, ByteView peerNonce,
                                                         ByteView skP, ByteView idPayloadBody);

// The AUTH data (prf output length) for the given signed-octets inputs.
Expected<std::vector<uint8_t>, CryptoError> computePskAuth(PrfId prf, ByteView psk, ByteView realMessage,
                                                           ByteView peerNonce, ByteView skP, ByteView idPayloadBody);

// Recomputes the peer's AUTH (its message, our nonce, its SK_p and ID) and
// compares in constant time. False on mismatch, wrong length or failure.
bool verifyPskAuth(PrfId prf, ByteView psk, ByteView realMessage, ByteView peerNonce, ByteView skP,
                   ByteView idPayloadBody, ByteView receivedAuth);

}  // namespace ipsecgw::ike

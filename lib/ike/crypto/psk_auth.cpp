#include "ike/crypto/psk_auth.hpp"

#include <string_view>

#include "ike/crypto/prf.hpp"

namespace ipsecgw::ike {

namespace {
// RFC 7296 2.15: the 17 ASCII characters, no terminating NUL.
constexpr std::string_view kKeyPad = "Key Pad for IKEv2";
}  // namespace

Expected<std::vector<uint8_t>, CryptoError> signedOctets(PrfId prf, ByteView realMessage, ByteView peerNonce,
                                                         ByteView skP, ByteView idPayloadBody) {
  auto macedId = ike::prf(prf, skP, {idPayloadBody});
  if (!macedId) return unexpected(macedId.error());
  std::vector<uint8_t> octets;
  octets.reserve(realMessage.size() + peerNonce.size() + macedId->size());
  octets.insert(octets.end(), realMessage.begin(), realMessage.end());
  octets.insert(octets.end(), peerNonce.begin(), peerNonce.end());
  octets.insert(octets.end(), macedId->view().begin(), macedId->view().end());
  return octets;
}

Expected<std::vector<uint8_t>, CryptoError> computePskAuth(PrfId prf, ByteView psk, ByteView realMessage,
                                                           ByteView peerNonce, ByteView skP, ByteView idPayloadBody) {
  auto octets = signedOctets(prf, realMessage, peerNonce, skP, idPayloadBody);
  if (!octets) return unexpected(octets.error());
  const ByteView pad(reinterpret_cast<const uint8_t*>(kKeyPad.data()), kKeyPad.size());
  auto padded = ike::prf(prf, psk, {pad});  // secret: a function of the PSK alone
  if (!padded) return unexpected(padded.error());
  auto auth = ike::prf(prf, padded->view(), {*octets});
  if (!auth) return unexpected(auth.error());
  // The AUTH data is sent in the clear (inside SK), so it leaves SecretBytes here.
  return std::vector<uint8_t>(auth->view().begin(), auth->view().end());
}

bool verifyPskAuth(PrfId prf, ByteView psk, ByteView realMessage, ByteView peerNonce, ByteView skP,
                   ByteView idPayloadBody, ByteView receivedAuth) {
  auto expected = computePskAuth(prf, psk, realMessage, peerNonce, skP, idPayloadBody);
  return expected && expected->size() == receivedAuth.size() &&
         constantTimeEqual(expected->data(), receivedAuth.data(), receivedAuth.size());
}

}  // namespace ipsecgw::ike

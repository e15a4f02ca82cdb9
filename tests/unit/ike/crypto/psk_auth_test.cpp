// PSK AUTH (RFC 7296 2.15): every input changes the result, and verification
// refuses any other value, length or key.
#include "ike/crypto/psk_auth.hpp"
#include "ike/crypto/prf.hpp"
#include "test_support.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;
using namespace ipsecgw::ike::test;

TEST_CASE("PSK AUTH: signed octets and verification", "[auth]") {
  const Bytes psk = ascii("unit test psk"), message(200, 0x10), nonce(32, 0x20), skP(32, 0x30);
  const Bytes id = {1, 0, 0, 0, 192, 0, 2, 1};  // ID_IPV4_ADDR 192.0.2.1
  auto octets = signedOctets(PrfId::HmacSha2_256, message, nonce, skP, id);
  REQUIRE(octets);
  REQUIRE(octets->size() == message.size() + nonce.size() + 32);
  CHECK(Bytes(octets->begin(), octets->begin() + 200) == message);
  CHECK(Bytes(octets->begin() + 200, octets->begin() + 232) == nonce);
  auto macedId = prf(PrfId::HmacSha2_256, skP, {id});
  REQUIRE(macedId);
  CHECK(Bytes(octets->begin() + 232, octets->end()) == bytesOf(*macedId));

  auto auth = computePskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, id);
  REQUIRE(auth);
  CHECK(auth->size() == 32);
  CHECK(verifyPskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, id, *auth));

  Bytes flipped = *auth;
  flipped[31] ^= 0x80;
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, id, flipped));
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, id, Bytes(auth->begin(), auth->end() - 1)));
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, id, {}));
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_256, ascii("other psk"), message, nonce, skP, id, *auth));
  Bytes otherId = id;
  otherId.back() = 2;
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_256, psk, message, nonce, skP, otherId, *auth));
  CHECK_FALSE(verifyPskAuth(PrfId::HmacSha2_384, psk, message, nonce, skP, id, *auth));
  auto auth512 = computePskAuth(PrfId::HmacSha2_512, psk, message, nonce, skP, id);
  REQUIRE(auth512);
  CHECK(auth512->size() == 64);
}

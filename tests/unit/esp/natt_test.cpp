// RFC 3948 2.2/2.3: telling ESP, IKE and keepalives apart on UDP port 4500.
#include <catch2/catch.hpp>

#include <vector>

#include "esp/natt.hpp"

using namespace ipsecgw::esp;

TEST_CASE("nat-t: classify payloads on port 4500", "[natt]") {
  using V = std::vector<uint8_t>;
  CHECK(classifyNatTPayload(V{0xff}) == UdpPayloadKind::NatKeepalive);
  CHECK(classifyNatTPayload(V{0, 0, 0, 0, 1, 2, 3, 4, 5}) == UdpPayloadKind::Ike);  // non-ESP marker
  CHECK(classifyNatTPayload(V{0, 0, 0x10, 0, 0, 0, 0, 1}) == UdpPayloadKind::Esp);
  CHECK(classifyNatTPayload(V{}) == UdpPayloadKind::Invalid);
  CHECK(classifyNatTPayload(V{0xfe}) == UdpPayloadKind::Invalid);
  CHECK(classifyNatTPayload(V{0, 0, 0x10, 0}) == UdpPayloadKind::Invalid);  // SPI without sequence number
  CHECK(classifyNatTPayload(V{0, 0, 0, 0x80, 0, 0, 0, 1}) == UdpPayloadKind::Invalid);  // reserved SPI 128
  CHECK(classifyNatTPayload(V{0xff, 0xff}) == UdpPayloadKind::Invalid);
}

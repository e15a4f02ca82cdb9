#include "esp/natt.hpp"

#include "util/byte_order.hpp"

namespace ipsecgw::esp {

UdpPayloadKind classifyNatTPayload(std::span<const uint8_t> payload) {
  if (payload.size() == 1 && payload[0] == 0xff) return UdpPayloadKind::NatKeepalive;
  if (payload.size() < 4) return UdpPayloadKind::Invalid;
  if (loadBe32(payload.data()) == 0) return UdpPayloadKind::Ike;  // non-ESP marker
  // SPIs 1..255 are reserved by IANA (RFC 4303 2.1) and never assigned.
  if (loadBe32(payload.data()) < 256) return UdpPayloadKind::Invalid;
  // The shortest ESP packet is SPI + sequence number.
  if (payload.size() < 8) return UdpPayloadKind::Invalid;
  return UdpPayloadKind::Esp;
}

}  // namespace ipsecgw::esp

// ESP decapsulation of a burst of packets on one inbound SA (RFC 4303 3.4).
#pragma once

#include <cstdint>
#include <span>

#include "esp/crypto_engine.hpp"
#include "esp/security_association.hpp"
#include "net/drop_reason.hpp"
#include "net/packet_buffer.hpp"

namespace ipsecgw::esp {

// pkts[i] holds one received packet starting at its outer IP header, carrying
// ESP directly or UDP-encapsulated ESP (RFC 3948), and already matched to
// `sa` by SPI and destination (the SAD's job). Each is checked in the order
// RFC 4303 3.4 gives: lengths, replay window, ICV (constant time), then the
// window advances, the padding and next header are checked and the lifetime
// is charged. On return pkts[0..n) hold the inner packets (tunnel mode) or the
// original IP header re-joined with the payload (transport mode); pkts[n..)
// the refused ones with reasons[i]. Never allocates, throws or logs.
uint32_t espDecapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons);

// Reads the SPI of an ESP packet starting at its outer IP header (raw or
// UDP-encapsulated), for the SAD lookup. Returns Malformed and friends when the
// packet is not ESP or is too short to be.
DropReason peekEspSpi(std::span<const uint8_t> packet, uint32_t& spi);

}  // namespace ipsecgw::esp

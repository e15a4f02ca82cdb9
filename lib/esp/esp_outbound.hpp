// ESP encapsulation of a burst of IP packets on one outbound SA (RFC 4303 3.3).
#pragma once

#include <cstdint>
#include <span>

#include "esp/crypto_engine.hpp"
#include "esp/security_association.hpp"
#include "net/drop_reason.hpp"
#include "net/packet_buffer.hpp"

namespace ipsecgw::esp {

// pkts[i] holds one plaintext IP packet (IPv4 or IPv6, starting at the IP
// header) with at least sa.headerOverhead() bytes of headroom and
// sa.maxTrailerOverhead() of tailroom. On return pkts[0..n) are the ESP
// packets ready for the wire (tunnel: outer IP [+ UDP]; transport: the
// original IP header with ESP inserted), and pkts[n..) the refused ones with
// reasons[i] saying why; n is returned. reasons.size() >= pkts.size() and
// pkts.size() <= kMaxBurst. Never allocates, throws or logs.
uint32_t espEncapsulate(SecurityAssociation& sa, CryptoEngine& engine, std::span<PacketBuffer*> pkts,
                        std::span<DropReason> reasons);

}  // namespace ipsecgw::esp

// The thin adapter between DPDK mbufs and lib/esp, which works on
// PacketBuffers so that it can be tested without an EAL. A single-segment
// mbuf is a PacketBuffer (buf_addr, buf_len, data_off, data_len); after the
// ESP routine ran, the offsets are written back. The data plane hands these
// routines mbufs whose data starts at the IP header (Ethernet stripped).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <span>

#include "esp/crypto_engine.hpp"
#include "esp/security_association.hpp"
#include "net/drop_reason.hpp"
#include "net/packet_buffer.hpp"

namespace ipsecgw::dataplane {

inline PacketBuffer packetFromMbuf(const rte_mbuf* m) {
  return PacketBuffer{static_cast<uint8_t*>(m->buf_addr), m->buf_len, m->data_off, m->data_len};
}

inline void writeBackToMbuf(rte_mbuf* m, const PacketBuffer& p) {
  m->data_off = static_cast<uint16_t>(p.offset);
  m->data_len = static_cast<uint16_t>(p.length);
  m->pkt_len = p.length;
}

// espEncapsulate / espDecapsulate on a burst of mbufs, with the same contract:
// mbufs[0..n) succeeded and are ready, mbufs[n..) were refused with
// reasons[i]; returns n. Multi-segment mbufs are refused (DropReason::Chained):
// the data plane receives into single segments sized for the port MTU.
uint32_t encapsulateMbufs(esp::SecurityAssociation& sa, esp::CryptoEngine& engine, std::span<rte_mbuf*> mbufs,
                          std::span<DropReason> reasons);
uint32_t decapsulateMbufs(esp::SecurityAssociation& sa, esp::CryptoEngine& engine, std::span<rte_mbuf*> mbufs,
                          std::span<DropReason> reasons);

}  // namespace ipsecgw::dataplane

// rte_ip_frag_table_del_expired_entries is still marked experimental in
// DPDK 22.11; it is the only way to let go of stale entries without waiting
// for a fragment to land in their bucket.
#define ALLOW_EXPERIMENTAL_API 1

#include "dataplane/outer_reassembly.hpp"

#include <rte_cycles.h>
#include <rte_ip_frag.h>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

static_assert(OuterReassembly::kMaxAddsPerCollect <= RTE_IP_FRAG_DEATH_ROW_LEN);
static_assert(OuterReassembly::kMaxPackets <= OuterReassembly::kBuckets * OuterReassembly::kBucketEntries);

std::unique_ptr<OuterReassembly> OuterReassembly::create(int socket) {
  const uint64_t maxCycles = rte_get_tsc_hz() / 1000 * kTimeoutMs;
  rte_ip_frag_tbl* t = rte_ip_frag_table_create(kBuckets, kBucketEntries, kMaxPackets, maxCycles, socket);
  if (!t) return nullptr;
  return std::unique_ptr<OuterReassembly>(new OuterReassembly(t, std::make_unique<rte_ip_frag_death_row>()));
}

OuterReassembly::OuterReassembly(rte_ip_frag_tbl* table, std::unique_ptr<rte_ip_frag_death_row> deathRow)
    : table_(table), deathRow_(std::move(deathRow)) {
  deathRow_->cnt = 0;
}

OuterReassembly::~OuterReassembly() {
  rte_ip_frag_free_death_row(deathRow_.get(), 0);
  rte_ip_frag_table_destroy(table_);  // frees the fragments still held
}

rte_mbuf* OuterReassembly::add(rte_mbuf* m, const IpLayout& lay, uint64_t nowTsc, DropReason& why) {
  why = DropReason::None;
  uint8_t* ip = rte_pktmbuf_mtod(m, uint8_t*);
  // rte_ip_frag reads the length fields, not data_len: trim Ethernet padding
  // so the two agree.
  if (m->data_len > lay.totalLen) rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - lay.totalLen));
  m->l2_len = 0;
  rte_mbuf* whole;
  if (lay.family == IpFamily::V4) {
    m->l3_len = lay.headerLen;
    whole = rte_ipv4_frag_reassemble_packet(table_, deathRow_.get(), m, nowTsc, reinterpret_cast<rte_ipv4_hdr*>(ip));
  } else {
    // rte_ip_frag takes the fragment header right after the fixed header
    // (the only place RFC 8200 4.1 leaves it when no other extension header
    // comes first; ESP needs none).
    auto* v6 = reinterpret_cast<rte_ipv6_hdr*>(ip);
    rte_ipv6_fragment_ext* frag = rte_ipv6_frag_get_ipv6_fragment_header(v6);
    if (!frag) {
      why = DropReason::ReassemblyFailed;
      rte_pktmbuf_free(m);
      return nullptr;
    }
    m->l3_len = ip::kIpv6Header + sizeof(rte_ipv6_fragment_ext);
    whole = rte_ipv6_frag_reassemble_packet(table_, deathRow_.get(), m, nowTsc, v6, frag);
  }
  if (!whole) return nullptr;
  // The ESP path takes one segment: copy the chain into its first mbuf when
  // it has the room, else give the packet up.
  if (whole->nb_segs > 1 && rte_pktmbuf_linearize(whole) != 0) {
    why = DropReason::ReassemblyFailed;
    rte_pktmbuf_free(whole);
    return nullptr;
  }
  uint8_t* h = rte_pktmbuf_mtod(whole, uint8_t*);
  if (lay.family == IpFamily::V4) {
    const uint32_t ihl = (h[0] & 0x0f) * 4u;
    storeBe16(h + ip::kV4Checksum, 0);
    storeBe16(h + ip::kV4Checksum, ipv4HeaderChecksum(h, ihl));
  }
  return whole;
}

uint32_t OuterReassembly::collect(uint64_t nowTsc) {
  rte_ip_frag_table_del_expired_entries(table_, deathRow_.get(), nowTsc);
  const uint32_t n = deathRow_->cnt;
  if (n) rte_ip_frag_free_death_row(deathRow_.get(), 0);
  return n;
}

}  // namespace ipsecgw::dataplane

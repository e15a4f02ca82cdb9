#include "dataplane/packet_factory.hpp"

#include <algorithm>

#include "net/ipv4_fragment.hpp"

namespace ipsecgw::dataplane {

namespace {
std::span<const uint8_t> bytesOf(const rte_mbuf* m) { return {rte_pktmbuf_mtod(m, const uint8_t*), m->data_len}; }
}  // namespace

rte_mbuf* makeIcmpError(const rte_mbuf* offending, IcmpError kind, uint32_t mtu, const IpAddress& source,
                        rte_mempool* pool, DropReason& why) {
  rte_mbuf* e = rte_pktmbuf_alloc(pool);
  if (!e) {
    why = DropReason::NoMbuf;
    return nullptr;
  }
  const uint16_t room = static_cast<uint16_t>(std::min<uint32_t>(kIcmpV6ErrorMax, rte_pktmbuf_tailroom(e)));
  auto* d = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(e, room));
  const uint32_t len = d ? buildIcmpError(bytesOf(offending), kind, mtu, source, {d, room}) : 0;
  if (len == 0) {
    rte_pktmbuf_free(e);
    why = DropReason::IcmpSuppressed;
    return nullptr;
  }
  rte_pktmbuf_trim(e, static_cast<uint16_t>(room - len));
  return e;
}

uint32_t fragmentIpv4(rte_mbuf* m, uint32_t mtu, rte_mempool* pool, std::span<rte_mbuf*> out, DropReason& why) {
  const std::span<const uint8_t> packet = bytesOf(m);
  Ipv4FragmentPlan plan;
  why = planIpv4Fragments(packet, mtu, plan);
  if (why == DropReason::Malformed) why = DropReason::FragFailed;
  if (why != DropReason::None) return 0;
  if (plan.count > out.size()) {
    why = DropReason::FragFailed;
    return 0;
  }
  uint32_t made = 0;
  for (; made < plan.count; ++made) {
    rte_mbuf* f = rte_pktmbuf_alloc(pool);
    if (!f) {
      why = DropReason::NoMbuf;
      break;
    }
    out[made] = f;
    const uint16_t room = rte_pktmbuf_tailroom(f);
    uint32_t len = writeIpv4Fragment(packet, plan, made, {rte_pktmbuf_mtod(f, uint8_t*), room});
    if (len == 0) {
      why = DropReason::FragFailed;
      ++made;
      break;
    }
    rte_pktmbuf_append(f, static_cast<uint16_t>(len));
    f->port = m->port;
  }
  if (why != DropReason::None) {
    for (uint32_t i = 0; i < made; ++i) rte_pktmbuf_free(out[i]);
    return 0;
  }
  rte_pktmbuf_free(m);
  return plan.count;
}

}  // namespace ipsecgw::dataplane

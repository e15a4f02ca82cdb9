#include "dataplane/mbuf_packet.hpp"

#include <cassert>

#include "esp/burst.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"

namespace ipsecgw::dataplane {

namespace {

using EspBurstFn = uint32_t (*)(esp::SecurityAssociation&, esp::CryptoEngine&, std::span<PacketBuffer*>,
                                std::span<DropReason>);

// Wraps each mbuf as a PacketBuffer, runs `fn`, writes the offsets back and
// puts the mbufs into the order the ESP routine left the buffers in.
uint32_t runOnMbufs(EspBurstFn fn, esp::SecurityAssociation& sa, esp::CryptoEngine& engine,
                    std::span<rte_mbuf*> mbufs, std::span<DropReason> reasons) {
  assert(mbufs.size() <= esp::kMaxBurst && reasons.size() >= mbufs.size());
  PacketBuffer bufs[esp::kMaxBurst];
  PacketBuffer* ptrs[esp::kMaxBurst];
  rte_mbuf* chained[esp::kMaxBurst];
  uint32_t n = 0, nChained = 0;
  for (rte_mbuf* m : mbufs) {
    if (m->nb_segs != 1) {
      chained[nChained++] = m;
      continue;
    }
    bufs[n] = packetFromMbuf(m);
    ptrs[n] = &bufs[n];
    ++n;
  }
  rte_mbuf* single[esp::kMaxBurst];
  for (uint32_t i = 0, j = 0; i < mbufs.size(); ++i)
    if (mbufs[i]->nb_segs == 1) single[j++] = mbufs[i];

  uint32_t good = fn(sa, engine, {ptrs, n}, reasons.subspan(0, n));
  // ptrs[] was reordered; each points back at its buffer, whose index is the
  // index of its mbuf in single[].
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t idx = static_cast<uint32_t>(ptrs[i] - bufs);
    writeBackToMbuf(single[idx], bufs[idx]);
    mbufs[i] = single[idx];
  }
  for (uint32_t i = 0; i < nChained; ++i) {
    mbufs[n + i] = chained[i];
    reasons[n + i] = DropReason::Chained;
  }
  sa.counters().drops += nChained;
  return good;
}

}  // namespace

uint32_t encapsulateMbufs(esp::SecurityAssociation& sa, esp::CryptoEngine& engine, std::span<rte_mbuf*> mbufs,
                          std::span<DropReason> reasons) {
  return runOnMbufs(esp::espEncapsulate, sa, engine, mbufs, reasons);
}

uint32_t decapsulateMbufs(esp::SecurityAssociation& sa, esp::CryptoEngine& engine, std::span<rte_mbuf*> mbufs,
                          std::span<DropReason> reasons) {
  return runOnMbufs(esp::espDecapsulate, sa, engine, mbufs, reasons);
}

}  // namespace ipsecgw::dataplane

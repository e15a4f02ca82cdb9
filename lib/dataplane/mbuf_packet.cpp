#include "dataplane/mbuf_packet.hpp"

#include <cassert>

#include "esp/burst.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"
#include "util/uninitialized_array.hpp"

namespace ipsecgw::dataplane {

namespace {

using EspBurstFn = uint32_t (*)(esp::SecurityAssociation&, esp::CryptoEngine&, std::span<PacketBuffer*>,
                                std::span<DropReason>);

// Wraps each mbuf as a PacketBuffer, runs `fn`, writes the offsets back and
// puts the mbufs into the order the ESP routine left the buffers in.
uint32_t runOnMbufs(EspBurstFn fn, esp::SecurityAssociation& sa, esp::CryptoEngine& engine,
                    std::span<rte_mbuf*> mbufs, std::span<DropReason> reasons) {
  assert(mbufs.size() <= esp::kMaxBurst && reasons.size() >= mbufs.size());
  // Filled before they are read: PacketBuffer's default member initialisers
  // would otherwise zero kMaxBurst of them (6 KiB) per call.
  UninitializedArray<PacketBuffer, esp::kMaxBurst> bufs;
  PacketBuffer* ptrs[esp::kMaxBurst];
  rte_mbuf* single[esp::kMaxBurst];  // single[i] is wrapped by bufs[i]
  rte_mbuf* chained[esp::kMaxBurst];
  uint32_t n = 0, nChained = 0;
  for (rte_mbuf* m : mbufs) {
    if (m->nb_segs != 1) {
      chained[nChained++] = m;
      continue;
    }
    single[n] = m;
    bufs[n] = packetFromMbuf(m);
    ptrs[n] = &bufs[n];
    ++n;
  }

  uint32_t good = fn(sa, engine, {ptrs, n}, reasons.subspan(0, n));
  // ptrs[] was reordered; each points back at its buffer, whose index is the
  // index of its mbuf in single[].
  for (uint32_t i = 0; i < n; ++i) {
    const uint32_t idx = static_cast<uint32_t>(ptrs[i] - bufs.data());
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

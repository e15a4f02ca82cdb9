// Packet bytes into and out of a one-segment mbuf, for the data-plane tests
// that build packets as byte vectors.
#pragma once

#include <catch2/catch.hpp>

#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace ipsecgw::test {

// A fresh mbuf from `pool` holding `bytes` in its one segment.
inline rte_mbuf* mbufWith(rte_mempool* pool, const std::vector<uint8_t>& bytes) {
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  REQUIRE(m);
  REQUIRE(rte_pktmbuf_tailroom(m) >= bytes.size());
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size())), bytes.data(), bytes.size());
  return m;
}

// The bytes of the first segment.
inline std::vector<uint8_t> bytesOf(const rte_mbuf* m) {
  const uint8_t* d = rte_pktmbuf_mtod(m, const uint8_t*);
  return {d, d + m->data_len};
}

}  // namespace ipsecgw::test

// The worker-to-control exception ring (lib/dataplane/exception_ring.hpp):
// a full ring refuses and leaves the packet to the caller (the worker drops
// it as exception-ring-full), counts, and frees what is queued at the end.
#include <rte_mbuf.h>

#include <catch2/catch.hpp>
#include <vector>

#include "dataplane/exception_ring.hpp"

using namespace ipsecgw::dataplane;

TEST_CASE("exception ring: full refuses, the packet stays the caller's; counters; frees the rest", "[ring]") {
  rte_mempool* pool = rte_pktmbuf_pool_create("ring_test", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  REQUIRE(pool);
  const unsigned before = rte_mempool_avail_count(pool);
  {
    std::string error;
    ExceptionRingPtr ring = ExceptionRing::create("exc_test", 7, error);
    REQUIRE(ring);
    std::vector<rte_mbuf*> refused;
    for (int i = 0; i < 10; ++i) {
      rte_mbuf* m = rte_pktmbuf_alloc(pool);
      REQUIRE(m);
      if (!ring->push(m)) refused.push_back(m);
    }
    CHECK(ring->pushed() == 7);
    CHECK(ring->droppedFull() == 3);
    REQUIRE(refused.size() == 3);
    // Refused packets were not freed by the ring: they are still ours.
    CHECK(rte_mempool_avail_count(pool) == before - 10);
    for (rte_mbuf* m : refused) rte_pktmbuf_free(m);
    rte_mbuf* out[4];
    CHECK(ring->pop(out, 4) == 4);
    rte_pktmbuf_free_bulk(out, 4);
    CHECK(ring->push(rte_pktmbuf_alloc(pool)));  // room again
  }
  // The ring's destructor freed the 4 still queued.
  CHECK(rte_mempool_avail_count(pool) == before);
  rte_mempool_free(pool);
}

#include "dataplane/exception_ring.hpp"

#include <rte_errno.h>
#include <rte_ring.h>

namespace ipsecgw::dataplane {

ExceptionRingPtr ExceptionRing::create(const std::string& name, uint32_t capacity, std::string& error) {
  rte_ring* r = rte_ring_create(name.c_str(), capacity, static_cast<int>(rte_socket_id()),
                                RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
  if (!r) {
    error = "exception ring " + name + ": " + rte_strerror(rte_errno);
    return nullptr;
  }
  return ExceptionRingPtr(new ExceptionRing(r));
}

ExceptionRing::~ExceptionRing() {
  rte_mbuf* m[32];
  while (uint32_t n = pop(m, 32)) rte_pktmbuf_free_bulk(m, n);
  rte_ring_free(ring_);
}

bool ExceptionRing::push(rte_mbuf* m) {
  if (rte_ring_sp_enqueue(ring_, m) != 0) {
    droppedFull_++;
    return false;
  }
  pushed_++;
  return true;
}

uint32_t ExceptionRing::pop(rte_mbuf** out, uint32_t max) {
  return rte_ring_sc_dequeue_burst(ring_, reinterpret_cast<void**>(out), max, nullptr);
}

}  // namespace ipsecgw::dataplane

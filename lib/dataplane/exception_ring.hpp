// The exception path from a worker to the control core (DESIGN.md "Shape"):
// packets the data path does not handle itself but the control core does
// travel as mbufs through one bounded ring per worker, each tagged with what
// it is (ExceptionKind). A full ring drops the packet and counts it; the
// worker never waits.
//
// Concurrency: single producer (the worker lcore that owns it), single
// consumer (the control core). In single-lcore mode both are the same lcore.
// The counter is written by the producer only and read by the consumer as a
// statistic (a torn read of a 64-bit counter cannot happen on x86-64).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <memory>
#include <string>

struct rte_ring;

namespace ipsecgw::dataplane {

enum class ExceptionKind : uint32_t {
  Ike = 1,         // at IP: UDP 500, or 4500 with the non-ESP marker (RFC 7296, RFC 3948)
  Local = 2,       // at Ethernet: ARP, neighbour discovery, echo request to us
  Unresolved = 3,  // at IP, ready to leave by m->port once its next hop's MAC is known
};

// The tag travels in the mbuf (its RSS hash word, not needed any more once
// a worker classified the packet) with the gateway's port index in m->port.
inline void tagException(rte_mbuf* m, ExceptionKind kind, uint16_t port) {
  m->hash.usr = static_cast<uint32_t>(kind);
  m->port = port;
}
inline ExceptionKind exceptionKind(const rte_mbuf* m) { return static_cast<ExceptionKind>(m->hash.usr); }

class ExceptionRing;
using ExceptionRingPtr = std::unique_ptr<ExceptionRing>;

class ExceptionRing {
 public:
  // `capacity` packets (rounded to what rte_ring offers: a power of two
  // minus one is exact). Needs a running EAL; `name` unique among rings.
  static ExceptionRingPtr create(const std::string& name, uint32_t capacity, std::string& error);
  ~ExceptionRing();  // frees what is still queued
  ExceptionRing(const ExceptionRing&) = delete;
  ExceptionRing& operator=(const ExceptionRing&) = delete;

  // Producer: takes `m` (at its IP header, m->port = the gateway's port
  // index it arrived on). False when the ring is full: `m` stays the
  // caller's, to drop under its reason (exception-ring-full), counted here too.
  [[nodiscard]] bool push(rte_mbuf* m);
  // Consumer: up to `max` packets, oldest first; the caller frees them.
  uint32_t pop(rte_mbuf** out, uint32_t max);

  uint64_t pushed() const { return pushed_; }
  uint64_t droppedFull() const { return droppedFull_; }

 private:
  explicit ExceptionRing(rte_ring* r) : ring_(r) {}
  rte_ring* ring_;
  uint64_t pushed_ = 0;
  uint64_t droppedFull_ = 0;
};

}  // namespace ipsecgw::dataplane

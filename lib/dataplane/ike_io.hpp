// The control core's IKE I/O on the DPDK ports: datagrams the workers passed
// through their exception rings go to the engine as ike::Datagram, and the
// engine's datagrams leave as Ethernet/IP/UDP frames, routed with the route
// table and resolved with the neighbour table as the data path does (held
// while ARP/ND runs; the worker's ARP/ND handler sends them on resolution).
//
// TX queue: DESIGN.md gives the control core a TX queue of its own on each
// port. In single-lcore mode the control core and the worker are one lcore,
// so IkeIo transmits on the queue it is given (ipsecgwd passes 0, the
// worker's, which is safe because nothing else runs on it concurrently, and
// net_af_packet ports have one queue pair unless told otherwise). With
// separate worker lcores the daemon sets up one more TX queue per port and
// passes its id here.
//
// Concurrency: control core only.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <vector>

#include "dataplane/exception_ring.hpp"
#include "dataplane/gateway_tables.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::dataplane {

// Where the control loop gets and puts IKE datagrams; IkeIo on DPDK ports,
// something in memory in unit tests.
class DatagramTransport {
 public:
  virtual ~DatagramTransport() = default;
  // Appends up to `max` received datagrams to `out`; returns how many.
  virtual uint32_t receive(std::vector<ike::Datagram>& out, uint32_t max) = 0;
  virtual void send(const ike::Datagram& d, uint64_t nowMs) = 0;
};

struct IkeIoCounters {
  uint64_t rxDatagrams = 0;
  uint64_t rxMalformed = 0;    // lengths or marker wrong
  uint64_t rxBadChecksum = 0;  // UDP checksum did not verify
  uint64_t txDatagrams = 0;    // handed to a port or held for a neighbour
  uint64_t txFrames = 0;       // frames sent by IkeIo itself (IPv4 fragments count each)
  uint64_t txHeld = 0;         // waiting for ARP/ND, sent by the worker on resolution
  uint64_t txNotLocal = 0;     // source address is none of our ports'
  uint64_t txNoRoute = 0;
  uint64_t txNoNeighbor = 0;   // neighbour unresolved and its hold queue full
  uint64_t txNoMbuf = 0;
  uint64_t txTooBig = 0;       // larger than an mbuf, or than the MTU for IPv6
  uint64_t txFull = 0;         // the port's TX queue refused the frame
};

class IkeIo final : public DatagramTransport {
 public:
  IkeIo(GatewayTables& tables, ExceptionRing& ring, rte_mempool* pool, uint16_t txQueue);

  uint32_t receive(std::vector<ike::Datagram>& out, uint32_t max) override;
  void send(const ike::Datagram& d, uint64_t nowMs) override;

  const IkeIoCounters& counters() const { return counters_; }
  const ExceptionRing& ring() const { return ring_; }

 private:
  void transmitIp(uint16_t port, rte_mbuf* m, const IpAddress& nextHop, uint64_t nowMs);  // m at IP
  bool transmitFrame(uint16_t port, rte_mbuf* m);                                          // m at Ethernet

  GatewayTables& t_;
  ExceptionRing& ring_;
  rte_mempool* pool_;
  uint16_t txQueue_;
  uint16_t ipv4Id_ = 0;
  IkeIoCounters counters_;
};

}  // namespace ipsecgw::dataplane

// The control core's IKE I/O on the DPDK ports: datagrams the workers passed
// through their exception rings (collected in the IKE inbox by ControlPath)
// go to the engine as ike::Datagram, and the engine's datagrams leave as
// IP/UDP packets through ControlPath::sendIp: routed with the route table,
// resolved with the neighbour table (held while ARP/ND runs) and sent on the
// control core's TX queue (ControlTx).
//
// Concurrency: control core only.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <vector>

#include "dataplane/control_path.hpp"
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
  uint64_t txFrames = 0;       // frames sent at once (IPv4 fragments count each)
  uint64_t txHeld = 0;         // waiting for ARP/ND, sent by ControlPath on resolution
  uint64_t txNotLocal = 0;     // source address is none of our ports'
  uint64_t txNoRoute = 0;
  uint64_t txNoNeighbor = 0;   // neighbour unresolved and its hold queue full
  uint64_t txNoMbuf = 0;
  uint64_t txTooBig = 0;       // larger than an mbuf, or than the MTU for IPv6
  uint64_t txFull = 0;         // the control core's TX queue (or ring) refused the frame
};

class IkeIo final : public DatagramTransport {
 public:
  IkeIo(GatewayTables& tables, ExceptionRing& inbox, rte_mempool* pool, ControlPath& out);

  uint32_t receive(std::vector<ike::Datagram>& out, uint32_t max) override;
  void send(const ike::Datagram& d, uint64_t nowMs) override;

  const IkeIoCounters& counters() const { return counters_; }
  const ExceptionRing& ring() const { return ring_; }

 private:
  void transmitIp(uint16_t port, rte_mbuf* m, const IpAddress& nextHop, uint64_t nowMs);  // m at IP

  GatewayTables& t_;
  ExceptionRing& ring_;
  rte_mempool* pool_;
  ControlPath& out_;
  uint16_t ipv4Id_ = 0;
  IkeIoCounters counters_;
};

}  // namespace ipsecgw::dataplane

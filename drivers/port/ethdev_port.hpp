// One DPDK port, physical or virtual, from a device string such as
// "0000:3b:00.0" or "net_af_packet0,iface=veth0": probed (hot-plugged for
// virtual devices), configured with the queues the gateway needs, started,
// and on destruction stopped, closed and unplugged, so that the next start of
// the daemon finds nothing left behind.
//
// Control plane only: created and destroyed on the main lcore; workers use
// id() with rte_eth_rx_burst/rte_eth_tx_burst on their own queues.
#pragma once

#include <rte_dev.h>
#include <rte_ether.h>
#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <string>

namespace ipsecgw::port {

struct PortSetup {
  std::string name;    // the operator's name for the port ("lan", "wan")
  std::string device;  // DPDK device string: PCI address or vdev with args
  uint16_t rxQueues = 1;
  uint16_t txQueues = 1;
  // The queue counts above are upper bounds: the port gets what the device
  // offers, up to them (never less than one). A net_af_packet port gets all
  // its RX queues whatever rxQueues says: each is a socket of one kernel
  // fanout group, so a queue nobody polls would lose its share of traffic
  // (its count is the device's qpairs argument).
  bool fitQueues = false;
  uint16_t rxDescriptors = 1024;
  uint16_t txDescriptors = 1024;
  uint16_t mtu = 1500;
  rte_mempool* pool = nullptr;  // RX buffers
};

struct PortStats {
  uint64_t rxPackets, txPackets, rxBytes, txBytes, rxMissed, rxErrors, txErrors, rxNoMbuf;
};

class EthdevPort;
using EthdevPortPtr = std::unique_ptr<EthdevPort>;

class EthdevPort {
 public:
  // Probes, configures and starts the port. Returns nullptr and sets `error`
  // (naming the port, the device and DPDK's reason) on failure; whatever was
  // set up is undone.
  static EthdevPortPtr open(const PortSetup& setup, std::string& error);
  ~EthdevPort();
  EthdevPort(const EthdevPort&) = delete;
  EthdevPort& operator=(const EthdevPort&) = delete;

  uint16_t id() const { return id_; }
  const std::string& name() const { return name_; }
  const rte_ether_addr& mac() const { return mac_; }
  uint16_t mtu() const { return mtu_; }
  uint16_t rxQueues() const { return rxQueues_; }
  uint16_t txQueues() const { return txQueues_; }
  bool stats(PortStats& out) const;

 private:
  EthdevPort() = default;
  void close();

  std::string name_;
  std::string deviceName_;  // the part before the first ',' of the device string
  rte_device* device_ = nullptr;  // set once the ethdev exists
  bool hotplugged_ = false;        // we probed it, so we unplug it
  bool started_ = false;
  uint16_t id_ = 0;
  uint16_t mtu_ = 0;
  uint16_t rxQueues_ = 0, txQueues_ = 0;
  rte_ether_addr mac_{};
};

}  // namespace ipsecgw::port

#include "port/ethdev_port.hpp"

#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include <algorithm>
#include <string_view>

namespace ipsecgw::port {

namespace {
std::string dpdkError(int rc) { return rte_strerror(rc < 0 ? -rc : rc); }
}  // namespace

EthdevPortPtr EthdevPort::open(const PortSetup& setup, std::string& error) {
  EthdevPortPtr port(new EthdevPort());
  port->name_ = setup.name;
  port->deviceName_ = setup.device.substr(0, setup.device.find(','));
  const std::string where = "port " + setup.name + " (" + setup.device + "): ";
  if (setup.pool == nullptr || setup.rxQueues == 0 || setup.txQueues == 0) {
    error = where + "needs a mempool and at least one RX and one TX queue";
    return nullptr;
  }

  // A PCI device the EAL probed at start is already a port; a virtual one is
  // hot-plugged here so the config file, not the command line, names it.
  if (rte_eth_dev_get_port_by_name(port->deviceName_.c_str(), &port->id_) != 0) {
    if (int rc = rte_dev_probe(setup.device.c_str()); rc != 0) {
      error = where + "cannot probe device: " + dpdkError(rc);
      return nullptr;
    }
    port->hotplugged_ = true;
    if (rte_eth_dev_get_port_by_name(port->deviceName_.c_str(), &port->id_) != 0) {
      error = where + "probed, but no ethdev port appeared";
      rte_vdev_uninit(port->deviceName_.c_str());
      return nullptr;
    }
  }

  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(port->id_, &info); rc != 0) {
    error = where + "cannot read device info: " + dpdkError(rc);
    return nullptr;
  }
  port->device_ = info.device;
  uint16_t rxQueues = setup.rxQueues, txQueues = setup.txQueues;
  if (setup.fitQueues) {
    rxQueues = std::min(rxQueues, info.max_rx_queues);
    txQueues = std::min(txQueues, info.max_tx_queues);
    if (std::string_view(info.driver_name ? info.driver_name : "") == "net_af_packet") rxQueues = info.max_rx_queues;
  }
  if (rxQueues == 0 || txQueues == 0 || rxQueues > info.max_rx_queues || txQueues > info.max_tx_queues) {
    error = where + "device has " + std::to_string(info.max_rx_queues) + " RX / " +
            std::to_string(info.max_tx_queues) + " TX queues, " + std::to_string(setup.rxQueues) + " / " +
            std::to_string(setup.txQueues) + " needed";
    return nullptr;
  }
  // No offloads are requested: virtual devices have none, and the data path
  // computes and checks what it needs itself (DESIGN.md). Several RX queues
  // are spread by RSS over addresses and ports where the device hashes; an
  // SA's ESP (one address pair) thus stays on one queue, one worker.
  rte_eth_conf conf{};
  if (rxQueues > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf =
        info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_TCP);
  }
  if (int rc = rte_eth_dev_configure(port->id_, rxQueues, txQueues, &conf); rc != 0) {
    error = where + "configure failed: " + dpdkError(rc);
    return nullptr;
  }
  uint16_t rxd = setup.rxDescriptors, txd = setup.txDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port->id_, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(port->id_);
  port->rxQueues_ = rxQueues;
  port->txQueues_ = txQueues;
  for (uint16_t q = 0; q < rxQueues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(port->id_, q, rxd, socket, nullptr, setup.pool); rc != 0) {
      error = where + "RX queue " + std::to_string(q) + " setup failed: " + dpdkError(rc);
      return nullptr;
    }
  }
  for (uint16_t q = 0; q < txQueues; ++q) {
    if (int rc = rte_eth_tx_queue_setup(port->id_, q, txd, socket, nullptr); rc != 0) {
      error = where + "TX queue " + std::to_string(q) + " setup failed: " + dpdkError(rc);
      return nullptr;
    }
  }
  // Some virtual devices (net_null, net_ring) have no MTU to set; they carry
  // whatever fits the mbuf, so -ENOTSUP is not an error.
  if (int rc = rte_eth_dev_set_mtu(port->id_, setup.mtu); rc != 0 && rc != -ENOTSUP) {
    error = where + "cannot set MTU " + std::to_string(setup.mtu) + ": " + dpdkError(rc);
    return nullptr;
  }
  port->mtu_ = setup.mtu;
  rte_eth_macaddr_get(port->id_, &port->mac_);
  // Tunnel traffic is addressed to the gateway's own MAC, but virtual ports
  // tapping a veth see the segment: promiscuous mode keeps RX independent of
  // what the device thinks its MAC is. The data path filters by MAC itself.
  rte_eth_promiscuous_enable(port->id_);
  if (int rc = rte_eth_dev_start(port->id_); rc != 0) {
    error = where + "start failed: " + dpdkError(rc);
    return nullptr;
  }
  port->started_ = true;
  return port;
}

EthdevPort::~EthdevPort() { close(); }

void EthdevPort::close() {
  if (started_) rte_eth_dev_stop(id_);
  started_ = false;
  if (device_ == nullptr) return;
  rte_eth_dev_close(id_);
  // A device we hot-plugged is unplugged, so that the next open (or the next
  // run of the daemon) can probe it again.
  if (hotplugged_) rte_dev_remove(device_);
  device_ = nullptr;
}

bool EthdevPort::stats(PortStats& out) const {
  rte_eth_stats s;
  if (rte_eth_stats_get(id_, &s) != 0) return false;
  out = PortStats{s.ipackets, s.opackets, s.ibytes, s.obytes, s.imissed, s.ierrors, s.oerrors, s.rx_nombuf};
  return true;
}

}  // namespace ipsecgw::port

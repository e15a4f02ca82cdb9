// drivers/port on virtual devices: open, move packets, close, open again.
#include <catch2/catch.hpp>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "port/ethdev_port.hpp"

using namespace ipsecgw::port;

namespace {
rte_mempool* portPool() {
  static rte_mempool* p = rte_pktmbuf_pool_create("port_test", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
  return p;
}
}  // namespace

TEST_CASE("ethdev port: a hot-plugged virtual device carries packets and closes cleanly", "[port]") {
  REQUIRE(portPool());
  for (int round = 0; round < 2; ++round) {  // the second open proves the first close unplugged it
    std::string error;
    auto port = EthdevPort::open({.name = "null", .device = "net_null0,copy=1", .pool = portPool()}, error);
    INFO(error);
    REQUIRE(port);
    rte_mbuf* pkts[32];
    uint16_t n = 0;
    for (int tries = 0; tries < 100 && n == 0; ++tries) n = rte_eth_rx_burst(port->id(), 0, pkts, 32);
    REQUIRE(n > 0);  // net_null generates packets on RX
    uint16_t sent = rte_eth_tx_burst(port->id(), 0, pkts, n);
    CHECK(sent == n);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    PortStats st;
    REQUIRE(port->stats(st));
    CHECK(st.rxPackets >= n);
    CHECK(st.txPackets == sent);
  }
  uint16_t id;
  CHECK(rte_eth_dev_get_port_by_name("net_null0", &id) != 0);  // gone after close
}

TEST_CASE("ethdev port: bad devices and settings give errors that name the port", "[port]") {
  std::string error;
  CHECK_FALSE(EthdevPort::open({.name = "wan", .device = "net_nosuchdriver0", .pool = portPool()}, error));
  CHECK(error.find("port wan (net_nosuchdriver0)") != std::string::npos);
  CHECK_FALSE(EthdevPort::open({.name = "lan", .device = "net_null1", .pool = nullptr}, error));
  CHECK(error.find("mempool") != std::string::npos);
  CHECK_FALSE(EthdevPort::open({.name = "lan", .device = "net_null1", .rxQueues = 2000, .pool = portPool()}, error));
  CHECK(error.find("queues") != std::string::npos);
  // The failed attempt left nothing behind: the device can be opened now.
  CHECK(EthdevPort::open({.name = "lan", .device = "net_null1", .pool = portPool()}, error));
}

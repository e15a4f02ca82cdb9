// ipsecgw-trafficgen: a small DPDK traffic generator for the gateway
// benchmark (bench/gateway, scripts/bench-gateway).
//
//   ipsecgw-trafficgen --dst-mac MAC --sizes 64|512,1420|imix [options] -- EAL-ARGS
//
// Sends UDP/IPv4 frames of the given sizes at the highest rate the TX port
// accepts, and counts what the port took during a measured interval after a
// warm-up. Over net_memif the port accepts only what the process at the other
// end drains, so the accepted rate is that process's receive rate: the
// generator runs on its own lcore (ideally its own CPU) and measures the
// device under test from outside.
//
// With --esp-* it sends ESP instead: each plaintext frame's IP packet is
// encapsulated (tunnel mode, through lib/esp and the ipsec-mb engine) with a
// fresh sequence number, so a gateway's anti-replay window accepts every
// packet however long the run; sizes then name the plaintext frame the
// gateway forwards after decryption.
//
// --rx-port drains a second port and counts what arrives there (the
// gateway's output); --arp-* sends an ARP request on that port at start and
// every second, which teaches the gateway the next hop's MAC (RFC 826 merge)
// so that it forwards without a neighbour of its own on the far side.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "dataplane/mbuf_packet.hpp"
#include "eal/command_line.hpp"
#include "eal/eal_runtime.hpp"
#include "esp/security_association.hpp"
#include "frames.hpp"
#include "util/byte_order.hpp"
#include "util/hex.hpp"
#include "util/secret.hpp"

namespace po = boost::program_options;
using namespace ipsecgw;
using namespace ipsecgw::trafficgen;

namespace {

constexpr uint16_t kBurst = 32;
constexpr uint16_t kRingSize = 1024;
constexpr uint32_t kPoolSize = 8191;

volatile std::sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

int fail(const std::string& msg) {
  std::cerr << "trafficgen: " << msg << "\n";
  return 1;
}

struct Options {
  std::string sizes = "64";
  std::string srcMac = "02:00:00:00:00:01", dstMac;
  std::string srcIp = "10.0.0.1", dstIp = "10.0.1.1";
  uint16_t txPort = 0;
  int rxPort = -1;
  double warmup = 1.0, duration = 5.0;
  // ESP (the far gateway's outbound SA = the gateway's inbound SA).
  std::string espSpi, espKeymat, espTransform = "aes128gcm16", espLocal, espRemote;
  bool espEsn = false;
  int arpPort = -1;
  std::string arpIp, arpTarget;
  std::vector<std::string> ealArgs;
};

bool parseOptions(int argc, char** argv, Options& o, int& exitCode) {
  // Everything after "--" belongs to the EAL.
  const eal::SplitCommandLine split = eal::splitAtDoubleDash(argc, argv);
  po::options_description desc("ipsecgw-trafficgen [options] -- EAL-ARGS");
  desc.add_options()("help,h", "this help")(
      "sizes", po::value(&o.sizes)->default_value(o.sizes),
      "frame sizes in bytes without FCS (42..1514), comma separated, or \"imix\" (7:4:1 of 64, 576, 1420)")(
      "src-mac", po::value(&o.srcMac)->default_value(o.srcMac), "source MAC of the frames")(
      "dst-mac", po::value(&o.dstMac), "destination MAC: the gateway port's")(
      "src-ip", po::value(&o.srcIp)->default_value(o.srcIp), "inner source IPv4 address")(
      "dst-ip", po::value(&o.dstIp)->default_value(o.dstIp), "inner destination IPv4 address")(
      "tx-port", po::value(&o.txPort)->default_value(o.txPort), "ethdev port to send on")(
      "rx-port", po::value(&o.rxPort)->default_value(o.rxPort), "ethdev port to drain and count (-1: none)")(
      "warmup", po::value(&o.warmup)->default_value(o.warmup), "seconds sent before the measured interval")(
      "duration", po::value(&o.duration)->default_value(o.duration), "seconds of the measured interval")(
      "esp-spi", po::value(&o.espSpi), "send ESP with this SPI (enables ESP mode)")(
      "esp-keymat", po::value(&o.espKeymat), "ESP KEYMAT in hex (key || salt)")(
      "esp-transform", po::value(&o.espTransform)->default_value(o.espTransform), "ESP transform")(
      "esp-local", po::value(&o.espLocal), "outer source: the far gateway's address")(
      "esp-remote", po::value(&o.espRemote), "outer destination: the gateway's address")(
      "esp-esn", po::bool_switch(&o.espEsn), "64-bit extended sequence numbers")(
      "arp-port", po::value(&o.arpPort)->default_value(o.arpPort), "port to send an ARP request on each second")(
      "arp-ip", po::value(&o.arpIp), "the ARP request's sender address (the next hop the gateway resolves)")(
      "arp-target", po::value(&o.arpTarget), "the address the ARP request asks for (the gateway port's)");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(split.ownArgc, argv, desc), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      exitCode = 0;
      return false;
    }
  } catch (const std::exception& e) {
    exitCode = fail(e.what());
    return false;
  }
  o.ealArgs = split.ealArgs;
  return true;
}

esp::SecurityAssociationPtr buildEspSa(const Options& o, esp::CryptoEngine& engine, std::string& error) {
  auto transform = esp::transformFromName(o.espTransform);
  auto local = IpAddress::parse(o.espLocal), remote = IpAddress::parse(o.espRemote);
  auto keymat = decodeHex(o.espKeymat);
  if (!transform) return error = "unknown --esp-transform", nullptr;
  if (!local || !remote) return error = "--esp-local and --esp-remote must be IP addresses", nullptr;
  if (!keymat) return error = "--esp-keymat must be hex", nullptr;
  esp::SaConfig c;
  c.spi = static_cast<uint32_t>(std::stoul(o.espSpi, nullptr, 0));
  c.transform = *transform;
  c.mode = esp::Mode::Tunnel;
  c.keymat = SecretBytes(*keymat);
  secureWipe(keymat->data(), keymat->size());
  c.esn = o.espEsn;
  c.localAddress = *local;
  c.remoteAddress = *remote;
  return esp::SecurityAssociation::create(std::move(c), esp::Direction::Outbound, engine, error);
}

bool startPort(uint16_t port, rte_mempool* pool, std::string& error) {
  rte_eth_conf conf{};
  if (rte_eth_dev_configure(port, 1, 1, &conf) < 0 ||
      rte_eth_rx_queue_setup(port, 0, kRingSize, rte_eth_dev_socket_id(port), nullptr, pool) < 0 ||
      rte_eth_tx_queue_setup(port, 0, kRingSize, rte_eth_dev_socket_id(port), nullptr) < 0 ||
      rte_eth_dev_start(port) < 0) {
    error = "cannot start port " + std::to_string(port);
    return false;
  }
  return true;
}

// Waits up to `seconds` for the link (memif: until the peer connected).
bool waitLinkUp(uint16_t port, double seconds) {
  const uint64_t end = rte_get_tsc_cycles() + static_cast<uint64_t>(seconds * rte_get_tsc_hz());
  while (!gStop && rte_get_tsc_cycles() < end) {
    rte_eth_link link{};
    if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP) return true;
    rte_delay_ms(10);
  }
  return false;
}

// Produces bursts to send. Plain frames come from a few template mbufs whose
// reference count is raised per send: valid only on a port that copies the
// frame out (net_memif does) and frees its reference, and it costs the
// generator no copy. Otherwise, and for ESP, each frame is a fresh mbuf.
class Source {
 public:
  Source(std::vector<std::vector<uint8_t>> frames, rte_mempool* pool, bool reuseTemplates, esp::SecurityAssociation* sa,
         esp::CryptoEngine* engine)
      : frames_(std::move(frames)), pool_(pool), reuse_(reuseTemplates && !sa), sa_(sa), engine_(engine) {}

  bool init() {
    if (!reuse_) return true;
    for (const auto& f : frames_) {
      rte_mbuf* m = makeFrame(f, 0);
      if (!m) return false;
      templates_.push_back(m);
    }
    return true;
  }
  ~Source() {
    for (rte_mbuf* m : templates_) rte_pktmbuf_free(m);
  }

  // Fills `out` with up to kBurst frames; returns how many.
  uint16_t fill(rte_mbuf** out) {
    if (reuse_) {
      for (uint16_t i = 0; i < kBurst; ++i) {
        rte_mbuf* m = templates_[next()];
        rte_mbuf_refcnt_update(m, 1);
        out[i] = m;
      }
      return kBurst;
    }
    if (rte_pktmbuf_alloc_bulk(pool_, out, kBurst) != 0) return 0;
    for (uint16_t i = 0; i < kBurst; ++i) {
      const auto& f = frames_[next()];
      // ESP: the IP packet alone; the Ethernet header goes on after encapsulation.
      const uint32_t skip = sa_ ? kEthHeader : 0;
      std::memcpy(rte_pktmbuf_mtod(out[i], uint8_t*), f.data() + skip, f.size() - skip);
      out[i]->data_len = static_cast<uint16_t>(f.size() - skip);
      out[i]->pkt_len = out[i]->data_len;
    }
    if (!sa_) return kBurst;
    DropReason why[kBurst];
    const uint32_t ok = dataplane::encapsulateMbufs(*sa_, *engine_, {out, kBurst}, {why, kBurst});
    for (uint32_t i = ok; i < kBurst; ++i) rte_pktmbuf_free(out[i]);
    for (uint32_t i = 0; i < ok; ++i) {
      auto* eth = rte_pktmbuf_mtod(out[i], uint8_t*) - kEthHeader;
      std::memcpy(eth, frames_[0].data(), 12);  // the MACs
      storeBe16(eth + 12, sa_->config().remoteAddress.isV4() ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
      rte_pktmbuf_prepend(out[i], kEthHeader);  // the SA left the headroom: ESP adds in front of the IP packet
    }
    return static_cast<uint16_t>(ok);
  }

 private:
  size_t next() {
    size_t i = cursor_;
    cursor_ = cursor_ + 1 == frames_.size() ? 0 : cursor_ + 1;
    return i;
  }
  rte_mbuf* makeFrame(const std::vector<uint8_t>& f, uint32_t skip) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (!m) return nullptr;
    std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size() - skip)), f.data() + skip, f.size() - skip);
    return m;
  }

  std::vector<std::vector<uint8_t>> frames_;
  rte_mempool* pool_;
  bool reuse_;
  esp::SecurityAssociation* sa_;
  esp::CryptoEngine* engine_;
  std::vector<rte_mbuf*> templates_;
  size_t cursor_ = 0;
};

void sendArp(uint16_t port, rte_mempool* pool, const IpAddress& ip, const IpAddress& target) {
  rte_ether_addr own;
  if (rte_eth_macaddr_get(port, &own) != 0) return;
  Mac mac;
  std::memcpy(mac.data(), own.addr_bytes, 6);
  const auto frame = buildArpRequest(mac, ip, target);
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return;
  std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(frame.size())), frame.data(), frame.size());
  if (rte_eth_tx_burst(port, 0, &m, 1) != 1) rte_pktmbuf_free(m);
}

struct Totals {
  uint64_t txPackets = 0, txBytes = 0, rxPackets = 0, rxBytes = 0;
};

int run(const Options& o) {
  auto sizes = parseSizes(o.sizes);
  auto dstMac = parseMac(o.dstMac), srcMac = parseMac(o.srcMac);
  auto srcIp = IpAddress::parse(o.srcIp), dstIp = IpAddress::parse(o.dstIp);
  if (sizes.empty()) return fail("--sizes: 42..1514 bytes, comma separated, or imix");
  if (!dstMac || !srcMac) return fail("--dst-mac and --src-mac must be MAC addresses (aa:bb:cc:dd:ee:ff)");
  if (!srcIp || !dstIp || !srcIp->isV4() || !dstIp->isV4()) return fail("--src-ip and --dst-ip must be IPv4");
  if (o.warmup < 0 || o.duration <= 0) return fail("--warmup must be >= 0 and --duration > 0");
  std::optional<IpAddress> arpIp, arpTarget;
  if (o.arpPort >= 0) {
    arpIp = IpAddress::parse(o.arpIp);
    arpTarget = IpAddress::parse(o.arpTarget);
    if (!arpIp || !arpTarget || !arpIp->isV4() || !arpTarget->isV4())
      return fail("--arp-port needs IPv4 --arp-ip and --arp-target");
  }
  const bool esp = !o.espSpi.empty();

  std::vector<char*> ealArgv;
  std::vector<std::string> args = o.ealArgs;
  for (auto& a : args) ealArgv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(ealArgv.size()), ealArgv.data()) < 0) return fail("EAL initialisation failed");
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  int rc = 0;
  std::string error;
  esp::CryptoEnginePtr engine;
  esp::SecurityAssociationPtr sa;
  rte_mempool* pool = rte_pktmbuf_pool_create("trafficgen", kPoolSize, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                              static_cast<int>(rte_socket_id()));
  if (esp) {
    engine = crypto::makeEngine("ipsec-mb");
    if (engine) sa = buildEspSa(o, *engine, error);
    else error = "the ipsec-mb engine is not available";
  }
  rte_eth_dev_info info{};
  if (!pool) error = "cannot create the mbuf pool (is -m large enough?)";
  if (error.empty() && !rte_eth_dev_is_valid_port(o.txPort)) error = "no --tx-port " + std::to_string(o.txPort);
  if (error.empty() && o.rxPort >= 0 && !rte_eth_dev_is_valid_port(static_cast<uint16_t>(o.rxPort)))
    error = "no --rx-port " + std::to_string(o.rxPort);
  if (error.empty() && o.arpPort >= 0 && !rte_eth_dev_is_valid_port(static_cast<uint16_t>(o.arpPort)))
    error = "no --arp-port " + std::to_string(o.arpPort);
  uint16_t port;
  RTE_ETH_FOREACH_DEV(port) {
    if (error.empty()) startPort(port, pool, error);
    if (error.empty() && !waitLinkUp(port, 10))
      error = "port " + std::to_string(port) + " link is down (is the peer running?)";
  }
  if (error.empty()) rte_eth_dev_info_get(o.txPort, &info);
  if (!error.empty()) {
    rc = fail(error);
  } else {
    FlowSpec flow{.srcMac = *srcMac, .dstMac = *dstMac, .srcIp = *srcIp, .dstIp = *dstIp};
    std::vector<std::vector<uint8_t>> frames;
    for (uint32_t s : sizes) frames.push_back(buildUdpFrame(flow, s));
    const bool copyingPort = std::string(info.driver_name) == "net_memif";
    Source source(std::move(frames), pool, copyingPort, sa.get(), engine.get());
    if (!source.init()) error = "cannot build the template frames";

    const uint64_t hz = rte_get_tsc_hz();
    if (!error.empty()) gStop = 1;
    const uint64_t start = rte_get_tsc_cycles();
    const uint64_t measureFrom = start + static_cast<uint64_t>(o.warmup * hz);
    const uint64_t measureTo = measureFrom + static_cast<uint64_t>(o.duration * hz);
    Totals t;
    rte_mbuf* pending[kBurst];
    uint16_t nPending = 0, off = 0;
    uint64_t now = start, nextArp = start;
    while (!gStop && now < measureTo) {
      if (arpIp && now >= nextArp) {
        sendArp(static_cast<uint16_t>(o.arpPort), pool, *arpIp, *arpTarget);
        nextArp = now + hz;
      }
      if (nPending == off) {
        off = 0;
        nPending = source.fill(pending);
      }
      const uint16_t sent = rte_eth_tx_burst(o.txPort, 0, pending + off, static_cast<uint16_t>(nPending - off));
      now = rte_get_tsc_cycles();
      if (now >= measureFrom) {
        t.txPackets += sent;
        for (uint16_t i = 0; i < sent; ++i) t.txBytes += pending[off + i]->pkt_len;
      }
      off = static_cast<uint16_t>(off + sent);
      if (o.rxPort >= 0) {
        rte_mbuf* rx[kBurst];
        const uint16_t n = rte_eth_rx_burst(static_cast<uint16_t>(o.rxPort), 0, rx, kBurst);
        if (now >= measureFrom) {
          t.rxPackets += n;
          for (uint16_t i = 0; i < n; ++i) t.rxBytes += rx[i]->pkt_len;
        }
        rte_pktmbuf_free_bulk(rx, n);
      }
    }
    for (uint16_t i = off; i < nPending; ++i) rte_pktmbuf_free(pending[i]);
    const double secs = static_cast<double>(now > measureFrom ? now - measureFrom : 0) / static_cast<double>(hz);
    if (!error.empty()) {
      rc = fail(error);
    } else if (secs <= 0) {
      rc = fail("stopped before the measured interval");
    } else {
      // One line for scripts: key=value pairs.
      std::printf("trafficgen: mode=%s sizes=%s seconds=%.3f tx_packets=%lu tx_mpps=%.4f tx_gbps=%.4f "
                  "rx_packets=%lu rx_mpps=%.4f rx_avg_frame=%.1f tsc_hz=%lu\n",
                  esp ? "esp" : "plain", o.sizes.c_str(), secs, t.txPackets, t.txPackets / secs / 1e6,
                  t.txBytes * 8 / secs / 1e9, t.rxPackets, t.rxPackets / secs / 1e6,
                  t.rxPackets ? static_cast<double>(t.rxBytes) / static_cast<double>(t.rxPackets) : 0.0, hz);
      std::fflush(stdout);
    }
  }
  sa.reset();
  RTE_ETH_FOREACH_DEV(port) {
    rte_eth_dev_stop(port);
    rte_eth_dev_close(port);
  }
  if (pool) rte_mempool_free(pool);
  eal::cleanupAndRemoveRuntimeDir();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  int exitCode = 0;
  if (!parseOptions(argc, argv, o, exitCode)) return exitCode;
  if (o.dstMac.empty()) return fail("--dst-mac is required");
  return run(o);
}

#include "dataplane/local_services.hpp"

#include <rte_arp.h>

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::dataplane {

namespace {

constexpr uint32_t kEth = RTE_ETHER_HDR_LEN;
constexpr uint8_t kIcmpEchoRequest = 8, kIcmpEchoReply = 0;
constexpr uint8_t kIcmp6EchoRequest = 128, kIcmp6EchoReply = 129;
constexpr uint8_t kNdSolicit = 135, kNdAdvert = 136;
constexpr uint8_t kNdOptSourceLl = 1, kNdOptTargetLl = 2;

// Turn the frame around: back to whoever sent it, from this port.
void swapMacs(uint8_t* eth, const rte_ether_addr& ours) {
  std::memcpy(eth, eth + 6, 6);
  std::memcpy(eth + 6, ours.addr_bytes, 6);
}

void icmp6Checksum(uint8_t* ip6, uint32_t l4Len) {
  uint8_t* l4 = ip6 + ip::kIpv6Header;
  storeBe16(l4 + 2, 0);
  uint16_t c = transportChecksumV6(ip6 + ip::kV6Src, ip6 + ip::kV6Dst, ip::kProtoIcmpv6, l4, l4Len);
  storeBe16(l4 + 2, c);  // 0 and 0xffff are the same in one's complement
}

bool ownsV6(const GatewayPort& p, const uint8_t* addr16) {
  return p.ipv6 && std::memcmp(p.ipv6->address.bytes.data(), addr16, 16) == 0;
}

}  // namespace

bool handleArp(GatewayTables& t, uint16_t port, rte_mbuf* m, rte_mbuf** released, size_t& nReleased) {
  nReleased = 0;
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  // Ethernet/IPv4 ARP is 28 bytes: htype 1, ptype 0x0800, hlen 6, plen 4.
  if (m->data_len < kEth + 28) return false;
  uint8_t* a = eth + kEth;
  if (loadBe16(a) != 1 || loadBe16(a + 2) != RTE_ETHER_TYPE_IPV4 || a[4] != 6 || a[5] != 4) return false;
  const uint16_t op = loadBe16(a + 6);
  const GatewayPort& p = t.ports[port];
  IpAddress sender = IpAddress::v4(a + 14);
  IpAddress target = IpAddress::v4(a + 24);
  const bool forUs = p.ipv4 && p.ipv4->address == target;
  // RFC 826 "merge": learn the sender when the packet concerns us.
  if (forUs || op == RTE_ARP_OP_REPLY) {
    rte_ether_addr mac;
    std::memcpy(mac.addr_bytes, a + 8, 6);
    if (!rte_is_zero_ether_addr(&mac) && !rte_is_multicast_ether_addr(&mac))
      nReleased = t.neighbors.learn(port, sender, mac, released);
  }
  if (op != RTE_ARP_OP_REQUEST || !forUs) return false;
  // The request becomes the reply: target <- sender, sender <- us.
  swapMacs(eth, p.ethdev->mac());
  storeBe16(a + 6, RTE_ARP_OP_REPLY);
  std::memcpy(a + 18, a + 8, 10);  // target hw + ip <- sender hw + ip
  std::memcpy(a + 8, p.ethdev->mac().addr_bytes, 6);
  std::memcpy(a + 14, target.bytes.data(), 4);
  return true;
}

bool answerEchoV4(const GatewayPort& p, rte_mbuf* m) {
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* h = eth + kEth;
  const uint32_t ihl = (h[0] & 0x0f) * 4u;
  const uint32_t total = loadBe16(h + ip::kV4TotalLen);
  if (total < ihl + 8 || kEth + total > m->data_len || h[ihl] != kIcmpEchoRequest) return false;
  uint8_t tmp[4];
  std::memcpy(tmp, h + ip::kV4Src, 4);
  std::memcpy(h + ip::kV4Src, h + ip::kV4Dst, 4);
  std::memcpy(h + ip::kV4Dst, tmp, 4);
  h[ip::kV4Ttl] = 64;
  storeBe16(h + ip::kV4Checksum, 0);
  storeBe16(h + ip::kV4Checksum, ipv4HeaderChecksum(h, ihl));
  uint8_t* icmp = h + ihl;
  icmp[0] = kIcmpEchoReply;
  storeBe16(icmp + 2, checksumUpdate16(loadBe16(icmp + 2), kIcmpEchoRequest << 8, kIcmpEchoReply << 8));
  swapMacs(eth, p.ethdev->mac());
  return true;
}

bool answerEchoV6(const GatewayPort& p, rte_mbuf* m) {
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* h = eth + kEth;
  const uint32_t plen = loadBe16(h + ip::kV6PayloadLen);
  if (h[ip::kV6NextHeader] != ip::kProtoIcmpv6 || plen < 8 || kEth + ip::kIpv6Header + plen > m->data_len ||
      h[ip::kIpv6Header] != kIcmp6EchoRequest)
    return false;
  uint8_t tmp[16];
  std::memcpy(tmp, h + ip::kV6Src, 16);
  std::memcpy(h + ip::kV6Src, h + ip::kV6Dst, 16);
  std::memcpy(h + ip::kV6Dst, tmp, 16);
  h[ip::kV6HopLimit] = 64;
  h[ip::kIpv6Header] = kIcmp6EchoReply;
  icmp6Checksum(h, plen);
  swapMacs(eth, p.ethdev->mac());
  return true;
}

bool isNeighborDiscovery(const uint8_t* ip6, uint32_t len) {
  return len >= ip::kIpv6Header + 24 && ip6[ip::kV6NextHeader] == ip::kProtoIcmpv6 &&
         (ip6[ip::kIpv6Header] == kNdSolicit || ip6[ip::kIpv6Header] == kNdAdvert);
}

bool handleNeighborDiscovery(GatewayTables& t, uint16_t port, rte_mbuf* m, rte_mbuf** released,
                             size_t& nReleased) {
  nReleased = 0;
  uint8_t* eth = rte_pktmbuf_mtod(m, uint8_t*);
  uint8_t* h = eth + kEth;
  const uint32_t plen = loadBe16(h + ip::kV6PayloadLen);
  // RFC 4861 7.1.1: hop limit 255 proves the sender is on-link.
  if (kEth + ip::kIpv6Header + plen > m->data_len || plen < 24 || h[ip::kV6HopLimit] != 255) return false;
  uint8_t* nd = h + ip::kIpv6Header;
  const uint8_t type = nd[0];
  const uint8_t* target = nd + 8;
  const GatewayPort& p = t.ports[port];
  // Options: find the link-layer address the sender gave (RFC 4861 4.6.1).
  const uint8_t wantOpt = type == kNdSolicit ? kNdOptSourceLl : kNdOptTargetLl;
  for (uint32_t off = 24; off + 8 <= plen;) {
    uint32_t optLen = nd[off + 1] * 8u;
    if (optLen == 0 || off + optLen > plen) break;
    if (nd[off] == wantOpt) {
      rte_ether_addr mac;
      std::memcpy(mac.addr_bytes, nd + off + 2, 6);
      IpAddress who = IpAddress::v6(type == kNdSolicit ? h + ip::kV6Src : target);
      bool unspecified = type == kNdSolicit && std::all_of(h + ip::kV6Src, h + ip::kV6Src + 16, [](uint8_t b) { return b == 0; });
      if (!unspecified) nReleased = t.neighbors.learn(port, who, mac, released);
      break;
    }
    off += optLen;
  }
  if (type != kNdSolicit || !ownsV6(p, target)) return false;
  // NS -> NA in place: to the solicitor, from the target address, Solicited
  // and Override flags, our MAC as target link-layer option (RFC 4861 7.2.4).
  std::memcpy(h + ip::kV6Dst, h + ip::kV6Src, 16);
  std::memcpy(h + ip::kV6Src, target, 16);
  nd[0] = kNdAdvert;
  nd[1] = 0;
  storeBe32(nd + 4, 0x60000000);  // S | O
  nd[24] = kNdOptTargetLl;
  nd[25] = 1;
  std::memcpy(nd + 26, p.ethdev->mac().addr_bytes, 6);
  const uint32_t naLen = 32;
  storeBe16(h + ip::kV6PayloadLen, naLen);
  icmp6Checksum(h, naLen);
  rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - (kEth + ip::kIpv6Header + naLen)));
  swapMacs(eth, p.ethdev->mac());
  return true;
}

rte_mbuf* buildSolicitation(const GatewayPort& p, const IpAddress& target, rte_mempool* pool) {
  const auto& own = target.isV4() ? p.ipv4 : p.ipv6;
  if (!own) return nullptr;
  rte_mbuf* m = rte_pktmbuf_alloc(pool);
  if (!m) return nullptr;
  const rte_ether_addr& mac = p.ethdev->mac();
  if (target.isV4()) {
    auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEth + 28));
    if (!f) {
      rte_pktmbuf_free(m);
      return nullptr;
    }
    std::memset(f, 0xff, 6);  // broadcast
    std::memcpy(f + 6, mac.addr_bytes, 6);
    storeBe16(f + 12, RTE_ETHER_TYPE_ARP);
    uint8_t* a = f + kEth;
    storeBe16(a, 1);
    storeBe16(a + 2, RTE_ETHER_TYPE_IPV4);
    a[4] = 6;
    a[5] = 4;
    storeBe16(a + 6, RTE_ARP_OP_REQUEST);
    std::memcpy(a + 8, mac.addr_bytes, 6);
    std::memcpy(a + 14, own->address.bytes.data(), 4);
    std::memset(a + 18, 0, 6);
    std::memcpy(a + 24, target.bytes.data(), 4);
    return m;
  }
  // NS to the solicited-node multicast address ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
  const uint32_t nsLen = 32;
  auto* f = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kEth + ip::kIpv6Header + nsLen));
  if (!f) {
    rte_pktmbuf_free(m);
    return nullptr;
  }
  uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, target.bytes[13], target.bytes[14],
                       target.bytes[15]};
  const uint8_t dstMac[6] = {0x33, 0x33, 0xff, target.bytes[13], target.bytes[14], target.bytes[15]};
  std::memcpy(f, dstMac, 6);
  std::memcpy(f + 6, mac.addr_bytes, 6);
  storeBe16(f + 12, RTE_ETHER_TYPE_IPV6);
  uint8_t* h = f + kEth;
  std::memset(h, 0, ip::kIpv6Header + nsLen);
  h[0] = 0x60;
  storeBe16(h + ip::kV6PayloadLen, nsLen);
  h[ip::kV6NextHeader] = ip::kProtoIcmpv6;
  h[ip::kV6HopLimit] = 255;
  std::memcpy(h + ip::kV6Src, own->address.bytes.data(), 16);
  std::memcpy(h + ip::kV6Dst, group, 16);
  uint8_t* nd = h + ip::kIpv6Header;
  nd[0] = kNdSolicit;
  std::memcpy(nd + 8, target.bytes.data(), 16);
  nd[24] = kNdOptSourceLl;
  nd[25] = 1;
  std::memcpy(nd + 26, mac.addr_bytes, 6);
  icmp6Checksum(h, nsLen);
  return m;
}

}  // namespace ipsecgw::dataplane

// RFC 4301 5.2 step 4: the decrypted inner packet against its SA's selectors;
// and TrafficSelector::matches, which the check (and the reference SPD) uses.
#include <catch2/catch.hpp>

#include <vector>

#include "net/ip.hpp"
#include "packets.hpp"
#include "policy/inbound_check.hpp"

using namespace ipsecgw;
using namespace ipsecgw::policy;
using namespace ipsecgw::test;

namespace {

TrafficSelector sel(const char* src, const char* dst, uint8_t proto = 0, uint16_t dLo = 0, uint16_t dHi = 65535,
                    uint16_t sLo = 0, uint16_t sHi = 65535) {
  TrafficSelector s;
  s.src = prefix(src);
  s.dst = prefix(dst);
  s.proto = proto;
  s.srcPortLo = sLo;
  s.srcPortHi = sHi;
  s.dstPortLo = dLo;
  s.dstPortHi = dHi;
  return s;
}

FlowKey key(const char* src, const char* dst, uint8_t proto, uint16_t sport, uint16_t dport, bool opaque = false) {
  FlowKey k;
  k.src = addr(src);
  k.dst = addr(dst);
  k.proto = proto;
  k.srcPort = sport;
  k.dstPort = dport;
  k.portsOpaque = opaque;
  return k;
}

}  // namespace

TEST_CASE("TrafficSelector::matches", "[selector]") {
  auto s = sel("10.1.0.0/16", "192.0.2.0/24", ip::kProtoTcp, 80, 443, 1024, 65535);
  CHECK(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 1024, 80)));
  CHECK(s.matches(key("10.1.255.255", "192.0.2.255", ip::kProtoTcp, 65535, 443)));
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 1023, 80)));   // sport lo-1
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 2000, 79)));   // dport lo-1
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 2000, 444)));  // dport hi+1
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoUdp, 2000, 80)));
  CHECK_FALSE(s.matches(key("10.2.0.0", "192.0.2.9", ip::kProtoTcp, 2000, 80)));
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.3.0", ip::kProtoTcp, 2000, 80)));
  // OPAQUE ports match only ANY ranges (RFC 4301 4.4.1.1).
  CHECK_FALSE(s.matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 0, 0, true)));
  CHECK(sel("10.1.0.0/16", "192.0.2.0/24", ip::kProtoTcp).matches(key("10.1.2.3", "192.0.2.9", ip::kProtoTcp, 0, 0, true)));
  // Families never mix, not even under /0.
  CHECK_FALSE(sel("0.0.0.0/0", "0.0.0.0/0").matches(key("::1", "::2", ip::kProtoUdp, 1, 2)));
  CHECK(sel("::/0", "::/0").matches(key("::1", "::2", ip::kProtoUdp, 1, 2)));
}

TEST_CASE("inbound check: matching and mismatching inner packets", "[inbound]") {
  // The SA carries traffic the peer (site B, 10.2.0.0/16) sends to us (site A,
  // 10.1.0.0/16): selectors oriented as the sender sent it.
  std::vector<TrafficSelector> sa{sel("10.2.0.0/16", "10.1.0.0/16")};
  auto fromPeer = ipv4("10.2.3.4", "10.1.0.9", ip::kProtoUdp, l4Ports(4000, 53));
  CHECK(checkInbound(sa, fromPeer) == DropReason::None);
  // The reverse direction is not what this SA carries.
  CHECK(checkInbound(sa, ipv4("10.1.0.9", "10.2.3.4", ip::kProtoUdp, l4Ports(53, 4000))) == DropReason::PolicyMismatch);
  // A spoofed inner source outside the peer's selector.
  CHECK(checkInbound(sa, ipv4("10.3.0.1", "10.1.0.9", ip::kProtoUdp, l4Ports(1, 2))) == DropReason::PolicyMismatch);
  CHECK(checkInbound(sa, ipv4("10.2.0.1", "10.9.0.9", ip::kProtoIcmp, icmp(8, 0))) == DropReason::PolicyMismatch);
  // Non-first fragments match an ANY-port selector.
  CHECK(checkInbound(sa, ipv4("10.2.3.4", "10.1.0.9", ip::kProtoUdp, l4Ports(1, 2), {}, 100)) == DropReason::None);
  // No selectors: nothing is allowed.
  CHECK(checkInbound({}, fromPeer) == DropReason::PolicyMismatch);
  // An IPv6 inner packet on an IPv4-only SA.
  CHECK(checkInbound(sa, ipv6("2001:db8:2::1", "2001:db8:1::1", {}, ip::kProtoUdp, l4Ports(1, 2))) ==
        DropReason::PolicyMismatch);
}

TEST_CASE("inbound check: narrowed selectors", "[inbound]") {
  // IKEv2 narrowed the SA to DNS to one server and HTTPS to a /28, both
  // from one host, plus ICMPv6 echo requests over IPv6.
  std::vector<TrafficSelector> sa{
      sel("10.2.0.7/32", "10.1.0.53/32", ip::kProtoUdp, 53, 53),
      sel("10.2.0.7/32", "10.1.0.16/28", ip::kProtoTcp, 443, 443),
      sel("2001:db8:2::7/128", "2001:db8:1::/64", ip::kProtoIcmpv6, 0, 65535, 128, 128),
  };
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.53", ip::kProtoUdp, l4Ports(33000, 53))) == DropReason::None);
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.31", ip::kProtoTcp, l4Ports(33000, 443, 20))) == DropReason::None);
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.32", ip::kProtoTcp, l4Ports(33000, 443, 20))) ==
        DropReason::PolicyMismatch);
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.53", ip::kProtoTcp, l4Ports(33000, 53, 20))) ==
        DropReason::PolicyMismatch);
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.53", ip::kProtoUdp, l4Ports(33000, 54))) ==
        DropReason::PolicyMismatch);
  CHECK(checkInbound(sa, ipv4("10.2.0.8", "10.1.0.53", ip::kProtoUdp, l4Ports(33000, 53))) ==
        DropReason::PolicyMismatch);
  // A non-first fragment has no ports, so a port-narrowed SA cannot accept it.
  CHECK(checkInbound(sa, ipv4("10.2.0.7", "10.1.0.53", ip::kProtoUdp, l4Ports(33000, 53), {}, 10)) ==
        DropReason::PolicyMismatch);
  CHECK(checkInbound(sa, ipv6("2001:db8:2::7", "2001:db8:1::99", {}, ip::kProtoIcmpv6, icmp(128, 0))) ==
        DropReason::None);
  CHECK(checkInbound(sa, ipv6("2001:db8:2::7", "2001:db8:1::99", {}, ip::kProtoIcmpv6, icmp(129, 0))) ==
        DropReason::PolicyMismatch);
}

TEST_CASE("inbound check: an inner packet that does not parse is Malformed", "[inbound]") {
  std::vector<TrafficSelector> sa{sel("0.0.0.0/0", "0.0.0.0/0")};
  auto p = ipv4("10.2.3.4", "10.1.0.9", ip::kProtoUdp, l4Ports(1, 2));
  CHECK(checkInbound(sa, std::span<const uint8_t>(p).first(p.size() - 1)) == DropReason::Malformed);
  CHECK(checkInbound(sa, std::span<const uint8_t>()) == DropReason::Malformed);
  p[0] = 0x75;
  CHECK(checkInbound(sa, p) == DropReason::Malformed);
}

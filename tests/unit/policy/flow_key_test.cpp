// parseFlowKey: IPv4 options, IPv6 extension header chains, fragments, ICMP
// type/code, and every truncation of valid packets.
#include <catch2/catch.hpp>

#include <memory>
#include <random>

#include "net/flow_key.hpp"
#include "net/ip.hpp"
#include "packets.hpp"

using namespace ipsecgw;
using namespace ipsecgw::test;

namespace {

// Parses from an exactly sized heap copy, so that a read past the end is an
// ASan report in sanitizer builds rather than a silent pass.
DropReason parse(const std::vector<uint8_t>& p, size_t len, FlowKey& key) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[len == 0 ? 1 : len]);
  std::copy_n(p.begin(), len, copy.get());
  return parseFlowKey({copy.get(), len}, key);
}
DropReason parse(const std::vector<uint8_t>& p, FlowKey& key) { return parse(p, p.size(), key); }

// Sets the length field(s) of a test packet to `len` bytes of IP packet and
// cuts the buffer there: the packet stays consistent, only shorter.
std::vector<uint8_t> shortened(std::vector<uint8_t> p, size_t len) {
  p.resize(len);
  if ((p[0] >> 4) == 4) {
    storeBe16(p.data() + ip::kV4TotalLen, static_cast<uint16_t>(len));
  } else {
    storeBe16(p.data() + ip::kV6PayloadLen, static_cast<uint16_t>(len - ip::kIpv6Header));
  }
  return p;
}

constexpr uint16_t kMf = ip::kV4FlagMf;

}  // namespace

TEST_CASE("IPv4 UDP and TCP ports", "[flowkey]") {
  FlowKey k;
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1234, 53)), k) == DropReason::None);
  CHECK(k.src == addr("10.0.0.1"));
  CHECK(k.dst == addr("10.0.0.2"));
  CHECK(k.proto == ip::kProtoUdp);
  CHECK(k.srcPort == 1234);
  CHECK(k.dstPort == 53);
  CHECK_FALSE(k.portsOpaque);

  REQUIRE(parse(ipv4("192.0.2.1", "198.51.100.7", ip::kProtoTcp, l4Ports(65535, 0, 20)), k) == DropReason::None);
  CHECK(k.proto == ip::kProtoTcp);
  CHECK(k.srcPort == 65535);
  CHECK(k.dstPort == 0);
  CHECK_FALSE(k.portsOpaque);

  // SCTP (132) has ports in the same place.
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", 132, l4Ports(5000, 5001, 12)), k) == DropReason::None);
  CHECK(k.srcPort == 5000);
  CHECK(k.dstPort == 5001);
}

TEST_CASE("IPv4 options are skipped", "[flowkey]") {
  FlowKey k;
  // Router Alert (4 bytes) then the ports.
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1, 2), {0x94, 0x04, 0x00, 0x00}), k) ==
          DropReason::None);
  CHECK(k.srcPort == 1);
  CHECK(k.dstPort == 2);
  // The largest header, IHL 15: 40 bytes of NOPs and EOL. The option bytes
  // look like ports if the parser failed to skip them.
  std::vector<uint8_t> opts(40, 0x01);
  opts.back() = 0x00;
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoTcp, l4Ports(443, 8443, 20), opts), k) == DropReason::None);
  CHECK(k.srcPort == 443);
  CHECK(k.dstPort == 8443);
}

TEST_CASE("IPv4 header length checks", "[flowkey]") {
  FlowKey k;
  auto good = ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1, 2));
  SECTION("IHL below 5") {
    for (uint8_t ihl = 0; ihl < 5; ++ihl) {
      auto p = good;
      p[0] = static_cast<uint8_t>(0x40 | ihl);
      CHECK(parse(p, k) == DropReason::Malformed);
    }
  }
  SECTION("IHL beyond the total length") {
    auto p = good;
    p[0] = 0x47;  // 28 bytes of header in a 28-byte packet leaves no room...
    CHECK(parse(p, k) == DropReason::Malformed);  // ...so the UDP ports are missing
    p[0] = 0x48;  // 32 > total 28
    CHECK(parse(p, k) == DropReason::Malformed);
  }
  SECTION("total length beyond the buffer") {
    auto p = good;
    storeBe16(p.data() + ip::kV4TotalLen, static_cast<uint16_t>(p.size() + 1));
    CHECK(parse(p, k) == DropReason::Malformed);
  }
  SECTION("total length below the header") {
    auto p = good;
    storeBe16(p.data() + ip::kV4TotalLen, 19);
    CHECK(parse(p, k) == DropReason::Malformed);
  }
  SECTION("bytes past the total length are padding, never ports") {
    // Total length says 22: the UDP header is cut after 2 bytes although the
    // buffer (Ethernet padding) holds the rest.
    auto p = good;
    storeBe16(p.data() + ip::kV4TotalLen, 22);
    CHECK(parse(p, k) == DropReason::Malformed);
    auto padded = good;
    padded.resize(60, 0xee);
    REQUIRE(parse(padded, k) == DropReason::None);
    CHECK(k.dstPort == 2);
  }
  SECTION("version") {
    auto p = good;
    p[0] = 0x55;
    CHECK(parse(p, k) == DropReason::UnsupportedProtocol);
    CHECK(parse(p, 0, k) == DropReason::Malformed);
  }
}

TEST_CASE("IPv4 fragments: first has ports, non-first is OPAQUE", "[flowkey]") {
  FlowKey k;
  SECTION("first fragment (MF, offset 0)") {
    REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(500, 4500, 16), {}, kMf), k) ==
            DropReason::None);
    CHECK_FALSE(k.portsOpaque);
    CHECK(k.srcPort == 500);
    CHECK(k.dstPort == 4500);
  }
  SECTION("non-first fragments, with and without MF") {
    for (uint16_t frag : {uint16_t(kMf | 1), uint16_t(185), uint16_t(ip::kV4FragOffsetMask)}) {
      // The payload's first bytes look like ports; they are not.
      REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoTcp, l4Ports(80, 81, 16), {}, frag), k) ==
              DropReason::None);
      CHECK(k.portsOpaque);
      CHECK(k.proto == ip::kProtoTcp);
      CHECK(k.srcPort == 0);
      CHECK(k.dstPort == 0);
    }
  }
  SECTION("DF alone is not a fragment") {
    REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoTcp, l4Ports(80, 81, 20), {}, ip::kV4FlagDf), k) ==
            DropReason::None);
    CHECK_FALSE(k.portsOpaque);
  }
  SECTION("a first fragment too short for the ports is OPAQUE, an unfragmented packet Malformed") {
    REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, {0x01, 0xf4}, {}, kMf), k) == DropReason::None);
    CHECK(k.portsOpaque);
    CHECK(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, {0x01, 0xf4}), k) == DropReason::Malformed);
  }
}

TEST_CASE("ICMP type and code go into the ports", "[flowkey]") {
  FlowKey k;
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoIcmp, icmp(8, 0)), k) == DropReason::None);
  CHECK(k.proto == ip::kProtoIcmp);
  CHECK(k.srcPort == 8);
  CHECK(k.dstPort == 0);
  CHECK_FALSE(k.portsOpaque);
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoIcmp, icmp(3, 4)), k) == DropReason::None);
  CHECK(k.srcPort == 3);
  CHECK(k.dstPort == 4);
  REQUIRE(parse(ipv6("2001:db8::1", "2001:db8::2", {}, ip::kProtoIcmpv6, icmp(135, 0)), k) == DropReason::None);
  CHECK(k.proto == ip::kProtoIcmpv6);
  CHECK(k.srcPort == 135);
  CHECK(k.dstPort == 0);
  // Type and code are two bytes: a 2-byte ICMP message still has them.
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoIcmp, {11, 1}), k) == DropReason::None);
  CHECK(k.srcPort == 11);
  CHECK(k.dstPort == 1);
  CHECK(parse(ipv4("10.0.0.1", "10.0.0.2", ip::kProtoIcmp, {11}), k) == DropReason::Malformed);
}

TEST_CASE("protocols without ports are OPAQUE", "[flowkey]") {
  FlowKey k;
  for (uint8_t proto : {ip::kProtoEsp, uint8_t(47), uint8_t(51), ip::kProtoIpip, uint8_t(0xff)}) {
    REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", proto, l4Ports(7, 7)), k) == DropReason::None);
    CHECK(k.proto == proto);
    CHECK(k.portsOpaque);
    CHECK(k.srcPort == 0);
  }
  REQUIRE(parse(ipv6("::1", "::2", {}, ip::kProtoNoNext, {}), k) == DropReason::None);
  CHECK(k.proto == ip::kProtoNoNext);
  CHECK(k.portsOpaque);
  // Protocol byte 0 in IPv4 is HOPOPT, not an extension header to walk.
  REQUIRE(parse(ipv4("10.0.0.1", "10.0.0.2", 0, l4Ports(7, 7)), k) == DropReason::None);
  CHECK(k.proto == 0);
  CHECK(k.portsOpaque);
}

TEST_CASE("IPv6 extension header chains", "[flowkey]") {
  FlowKey k;
  SECTION("no extension headers") {
    REQUIRE(parse(ipv6("2001:db8::1", "2001:db8:1::2", {}, ip::kProtoUdp, l4Ports(5353, 53)), k) == DropReason::None);
    CHECK(k.src == addr("2001:db8::1"));
    CHECK(k.dst == addr("2001:db8:1::2"));
    CHECK(k.proto == ip::kProtoUdp);
    CHECK(k.srcPort == 5353);
    CHECK(k.dstPort == 53);
  }
  SECTION("Hop-by-Hop, Destination Options, Routing, Destination Options") {
    auto p = ipv6("2001:db8::1", "2001:db8::2",
                  {extOptions(ip::kExtHopByHop), extOptions(ip::kExtDestOpts, 2), extOptions(ip::kExtRouting, 1),
                   extOptions(ip::kExtDestOpts)},
                  ip::kProtoTcp, l4Ports(22, 2222, 20));
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.proto == ip::kProtoTcp);
    CHECK(k.srcPort == 22);
    CHECK(k.dstPort == 2222);
  }
  SECTION("first fragment keeps walking the chain") {
    auto p = ipv6("2001:db8::1", "2001:db8::2", {extOptions(ip::kExtHopByHop), extFragment(0, true),
                                                  extOptions(ip::kExtDestOpts)},
                  ip::kProtoUdp, l4Ports(100, 200));
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.proto == ip::kProtoUdp);
    CHECK_FALSE(k.portsOpaque);
    CHECK(k.srcPort == 100);
    CHECK(k.dstPort == 200);
  }
  SECTION("non-first fragment is OPAQUE with the Fragment header's Next Header") {
    auto p = ipv6("2001:db8::1", "2001:db8::2", {extFragment(181, true)}, ip::kProtoUdp, l4Ports(100, 200));
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.proto == ip::kProtoUdp);
    CHECK(k.portsOpaque);
    CHECK(k.srcPort == 0);
    p = ipv6("2001:db8::1", "2001:db8::2", {extFragment(1, false)}, ip::kProtoTcp, {0xde, 0xad});
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.proto == ip::kProtoTcp);
    CHECK(k.portsOpaque);
  }
  SECTION("atomic fragment (offset 0, M clear) is a whole packet") {
    auto p = ipv6("2001:db8::1", "2001:db8::2", {extFragment(0, false)}, ip::kProtoUdp, l4Ports(7, 9));
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK_FALSE(k.portsOpaque);
    CHECK(k.dstPort == 9);
    p = ipv6("2001:db8::1", "2001:db8::2", {extFragment(0, false)}, ip::kProtoUdp, {0, 7});
    CHECK(parse(p, k) == DropReason::Malformed);
    p = ipv6("2001:db8::1", "2001:db8::2", {extFragment(0, true)}, ip::kProtoUdp, {0, 7});
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.portsOpaque);
  }
  SECTION("AH and ESP end the walk") {
    auto p = ipv6("2001:db8::1", "2001:db8::2", {extOptions(ip::kExtHopByHop)}, 51, l4Ports(1, 2, 24));
    REQUIRE(parse(p, k) == DropReason::None);
    CHECK(k.proto == 51);
    CHECK(k.portsOpaque);
  }
  SECTION("chain longer than 8 headers") {
    std::vector<Ext> chain;
    for (int i = 0; i < 8; ++i) chain.push_back(extOptions(ip::kExtDestOpts));
    REQUIRE(parse(ipv6("::1", "::2", chain, ip::kProtoUdp, l4Ports(1, 2)), k) == DropReason::Malformed);
    chain.pop_back();
    REQUIRE(parse(ipv6("::1", "::2", chain, ip::kProtoUdp, l4Ports(1, 2)), k) == DropReason::None);
    CHECK(k.dstPort == 2);
  }
  SECTION("extension header length past the payload") {
    auto p = ipv6("::1", "::2", {extOptions(ip::kExtRouting, 1)}, ip::kProtoUdp, l4Ports(1, 2));
    p[ip::kIpv6Header + 1] = 3;  // claims 32 bytes; 16 + 8 remain
    CHECK(parse(p, k) == DropReason::Malformed);
  }
  SECTION("payload length past the buffer") {
    auto p = ipv6("::1", "::2", {}, ip::kProtoUdp, l4Ports(1, 2));
    storeBe16(p.data() + ip::kV6PayloadLen, 9);
    CHECK(parse(p, k) == DropReason::Malformed);
  }
}

namespace {

std::vector<std::vector<uint8_t>> validPackets() {
  return {
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1234, 53, 12)),
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoTcp, l4Ports(80, 8080, 20), {0x94, 0x04, 0, 0, 1, 1, 1, 0}),
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1, 2, 16), {}, kMf),
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoUdp, l4Ports(1, 2, 16), {}, 7),
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoIcmp, icmp(8, 0)),
      ipv4("10.0.0.1", "10.0.0.2", ip::kProtoEsp, l4Ports(0, 1, 24)),
      ipv6("2001:db8::1", "2001:db8::2", {}, ip::kProtoUdp, l4Ports(1, 2)),
      ipv6("2001:db8::1", "2001:db8::2",
           {extOptions(ip::kExtHopByHop, 1), extOptions(ip::kExtRouting), extOptions(ip::kExtDestOpts)}, ip::kProtoTcp,
           l4Ports(3, 4, 20)),
      ipv6("2001:db8::1", "2001:db8::2", {extOptions(ip::kExtHopByHop), extFragment(0, true)}, ip::kProtoUdp,
           l4Ports(5, 6, 16)),
      ipv6("2001:db8::1", "2001:db8::2", {extFragment(100, false)}, ip::kProtoUdp, l4Ports(5, 6, 16)),
      ipv6("2001:db8::1", "2001:db8::2", {extOptions(ip::kExtDestOpts)}, ip::kProtoIcmpv6, icmp(128, 0)),
  };
}

// Where the upper-layer header starts in the packets above, whether the
// packet is a first fragment, and how many bytes the ports need.
struct Shape {
  size_t l4Offset;
  bool firstFragment;
  bool nonInitial;
  size_t portBytes;  // 0: protocol without ports
};
std::vector<Shape> shapes() {
  return {{20, false, false, 4},  {28, false, false, 4}, {20, true, false, 4},  {20, false, true, 4},
          {20, false, false, 2},  {20, false, false, 0}, {40, false, false, 4}, {40 + 16 + 8 + 8, false, false, 4},
          {40 + 8 + 8, true, false, 4}, {48, false, true, 4}, {48, false, false, 2}};
}

}  // namespace

TEST_CASE("every truncation of the buffer is Malformed and stays in bounds", "[flowkey]") {
  auto packets = validPackets();
  for (size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    FlowKey k;
    INFO("packet " << i);
    REQUIRE(parse(p, k) == DropReason::None);
    for (size_t len = 0; len < p.size(); ++len) {
      INFO("length " << len);
      // The IP length field still claims the whole packet.
      CHECK(parse(p, len, k) == DropReason::Malformed);
    }
  }
}

TEST_CASE("every consistent shortening follows the documented rules", "[flowkey]") {
  auto packets = validPackets();
  auto shape = shapes();
  REQUIRE(packets.size() == shape.size());
  for (size_t i = 0; i < packets.size(); ++i) {
    const Shape& s = shape[i];
    size_t minLen = (packets[i][0] >> 4) == 4 ? (packets[i][0] & 0x0fu) * 4u : ip::kIpv6Header;
    for (size_t len = minLen; len <= packets[i].size(); ++len) {
      INFO("packet " << i << " length " << len);
      auto p = shortened(packets[i], len);
      FlowKey k;
      DropReason r = parse(p, k);
      if (len < s.l4Offset && !(s.nonInitial && (p[0] >> 4) == 4)) {
        // Part of the IPv6 extension header chain is missing.
        CHECK(r == DropReason::Malformed);
      } else if (s.nonInitial || s.portBytes == 0) {
        CHECK(r == DropReason::None);
        CHECK(k.portsOpaque);
      } else if (len < s.l4Offset + s.portBytes) {
        if (s.firstFragment) {
          CHECK(r == DropReason::None);
          CHECK(k.portsOpaque);
          CHECK(k.srcPort == 0);
          CHECK(k.dstPort == 0);
        } else {
          CHECK(r == DropReason::Malformed);
        }
      } else {
        CHECK(r == DropReason::None);
        CHECK_FALSE(k.portsOpaque);
      }
    }
  }
}

TEST_CASE("random bytes never crash the parser", "[flowkey]") {
  std::mt19937 rng(4301);
  auto packets = validPackets();
  for (int iter = 0; iter < 20000; ++iter) {
    // Mutate a valid packet: random bytes at random places, random length.
    auto p = packets[rng() % packets.size()];
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) p[rng() % p.size()] = static_cast<uint8_t>(rng());
    size_t len = rng() % (p.size() + 1);
    FlowKey k;
    DropReason r = parse(p, len, k);
    CHECK((r == DropReason::None || r == DropReason::Malformed || r == DropReason::UnsupportedProtocol));
    if (r == DropReason::None && k.portsOpaque) {
      CHECK(k.srcPort == 0);
      CHECK(k.dstPort == 0);
    }
  }
}

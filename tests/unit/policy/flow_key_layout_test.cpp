// parseFlowKey over a layout from locateUpperLayer (the data plane's
// parse-once path) against parseFlowKey from scratch: the same verdict and
// the same key on well-formed packets of every shape, on every consistent
// shortening of them and on random header mutations.
#include <catch2/catch.hpp>

#include <memory>
#include <random>
#include <vector>

#include "net/flow_key.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "packets.hpp"

using namespace ipsecgw;
using namespace ipsecgw::test;

namespace {

std::vector<std::vector<uint8_t>> shapes() {
  constexpr uint16_t kMf = ip::kV4FlagMf;
  const std::vector<uint8_t> opts(8, 1);  // NOPs
  return {
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoUdp, l4Ports(1234, 53)),
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoTcp, l4Ports(80, 443, 20), opts),
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoUdp, l4Ports(1, 2), {}, kMf),        // first fragment
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoUdp, l4Ports(1, 2), {}, kMf | 3),    // middle
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoUdp, l4Ports(1, 2), opts, 7),        // last
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoIcmp, icmp(8, 0)),
      ipv4("10.0.0.1", "10.0.1.1", ip::kProtoEsp, l4Ports(0x1000, 1)),
      ipv4("10.0.0.1", "10.0.1.1", 47, {}),
      ipv6("2001:db8::1", "2001:db8:1::1", {}, ip::kProtoUdp, l4Ports(500, 4500)),
      ipv6("2001:db8::1", "2001:db8:1::1", {}, ip::kProtoIcmpv6, icmp(128, 0)),
      ipv6("2001:db8::1", "2001:db8:1::1", {extOptions(ip::kExtHopByHop), extOptions(ip::kExtRouting, 2)},
           ip::kProtoTcp, l4Ports(22, 2222, 20)),
      ipv6("2001:db8::1", "2001:db8:1::1", {extOptions(ip::kExtDestOpts), extFragment(0, true)}, ip::kProtoUdp,
           l4Ports(7, 8)),
      ipv6("2001:db8::1", "2001:db8:1::1", {extFragment(0, false)}, ip::kProtoUdp, l4Ports(7, 8)),  // atomic
      ipv6("2001:db8::1", "2001:db8:1::1", {extFragment(5, true)}, ip::kProtoUdp, l4Ports(7, 8)),   // non-initial
      ipv6("2001:db8::1", "2001:db8:1::1", {extFragment(9, false), extOptions(ip::kExtDestOpts)}, ip::kProtoTcp,
           l4Ports(7, 8)),
  };
}

// Sets the length field(s) to `len` bytes and cuts the buffer there.
std::vector<uint8_t> shortened(std::vector<uint8_t> p, size_t len) {
  p.resize(len);
  if ((p[0] >> 4) == 4)
    storeBe16(p.data() + ip::kV4TotalLen, static_cast<uint16_t>(len));
  else
    storeBe16(p.data() + ip::kV6PayloadLen, static_cast<uint16_t>(len - ip::kIpv6Header));
  return p;
}

struct Verdicts {
  size_t parsed = 0, refused = 0;
};

// Compares both ways of parsing `p`, from an exactly sized heap copy (a read
// past the end is an ASan report in sanitizer builds).
void compare(const std::vector<uint8_t>& p, Verdicts& v) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[p.empty() ? 1 : p.size()]);
  std::copy(p.begin(), p.end(), copy.get());
  const std::span<const uint8_t> bytes{copy.get(), p.size()};
  FlowKey direct;
  const DropReason want = parseFlowKey(bytes, direct);
  IpLayout lay;
  if (locateUpperLayer(bytes, lay) != DropReason::None) {
    // The worker drops it before asking for a key. (parseFlowKey may still
    // accept some: it stops at an IPv6 non-initial fragment, where the
    // layout walk goes on into the payload.)
    ++v.refused;
    return;
  }
  FlowKey viaLayout;
  const DropReason got = parseFlowKey(bytes, lay, viaLayout);
  INFO("packet of " << p.size() << " bytes, version " << (p.empty() ? 0 : p[0] >> 4));
  REQUIRE(got == want);
  if (got != DropReason::None) {
    ++v.refused;
    return;
  }
  ++v.parsed;
  CHECK(viaLayout.src == direct.src);
  CHECK(viaLayout.dst == direct.dst);
  CHECK(int(viaLayout.proto) == int(direct.proto));
  CHECK(viaLayout.portsOpaque == direct.portsOpaque);
  CHECK(viaLayout.srcPort == direct.srcPort);
  CHECK(viaLayout.dstPort == direct.dstPort);
}

}  // namespace

TEST_CASE("flow key from the layout equals the flow key from scratch", "[flowkey][layout]") {
  Verdicts v;
  for (const auto& p : shapes()) {
    compare(p, v);
    // Every consistent shortening: truncated ports, chains cut short.
    const size_t minimum = (p[0] >> 4) == 4 ? ip::kIpv4MinHeader : ip::kIpv6Header;
    for (size_t len = minimum; len < p.size(); ++len) compare(shortened(p, len), v);
    // Ethernet padding after the IP packet is ignored by both.
    auto padded = p;
    padded.resize(p.size() + 6, 0xee);
    compare(padded, v);
  }
  CHECK(v.parsed > 100);
  CHECK(v.refused > 10);
}

TEST_CASE("flow key from the layout: random header mutations", "[flowkey][layout]") {
  std::mt19937 rng(4301);
  Verdicts v;
  const auto base = shapes();
  for (int i = 0; i < 20000; ++i) {
    auto p = base[rng() % base.size()];
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) {
      // Mostly in the headers, where the two parsers could disagree.
      const size_t at = rng() % std::min<size_t>(p.size(), 64);
      p[at] = static_cast<uint8_t>(rng());
    }
    if (rng() % 4 == 0) p.resize(rng() % (p.size() + 1));
    compare(p, v);
  }
  CHECK(v.parsed > 1000);
  CHECK(v.refused > 1000);
}

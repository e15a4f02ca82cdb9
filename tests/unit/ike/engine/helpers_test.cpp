// The engine's helpers: NAT detection hashes (RFC 7296 2.23, expected values
// from Python's hashlib), traffic selector narrowing and conversion (2.9),
// identities (3.5).
#include <catch2/catch.hpp>

#include "ike/engine/identity.hpp"
#include "ike/engine/nat_detection.hpp"
#include "ike/engine/traffic_selectors.hpp"
#include "util/hex.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {
IpAddress addr(std::string_view s) { return IpAddress::parse(s).value(); }
IpPrefix pfx(std::string_view s) { return IpPrefix::parse(s).value(); }
std::string hexOf(const NatHash& h) { return encodeHex(h.data(), h.size()); }
TrafficSelector v4(std::array<uint8_t, 4> a, std::array<uint8_t, 4> b, uint8_t proto = 0, uint16_t lo = 0,
                   uint16_t hi = 65535) {
  return TrafficSelector::ipv4(a, b, proto, lo, hi);
}
}  // namespace

TEST_CASE("NAT detection hash is SHA-1 of SPIi | SPIr | IP | port", "[ike][engine]") {
  CHECK(hexOf(natDetectionHash(0x0102030405060708, 0, Endpoint{addr("192.0.2.1"), 500})) ==
        "644b4575455bd6fcc1efe2be8162a9218e448e5f");
  CHECK(hexOf(natDetectionHash(0x0102030405060708, 0x1112131415161718, Endpoint{addr("2001:db8::1"), 4500})) ==
        "1ee24423bf8f59515e0265c6d0f08be3d038f7e5");
}

TEST_CASE("traffic selectors from the config and narrowing", "[ike][engine]") {
  auto t = toWire(config::TrafficSelectorConfig{pfx("10.0.1.77/24"), 6, 443, 443});
  CHECK(t == v4({10, 0, 1, 0}, {10, 0, 1, 255}, 6, 443, 443));
  auto v6 = toWire(config::TrafficSelectorConfig{pfx("fd00::/64"), 0, 0, 65535});
  CHECK(v6.type == TsType::Ipv6AddrRange);
  CHECK(v6.endAddress[7] == 0);
  CHECK(v6.endAddress[8] == 0xff);
  CHECK(v6.endAddress[15] == 0xff);

  // Intersection of address, port and protocol; ANY (0) takes the other.
  auto n = narrow({v4({10, 0, 0, 0}, {10, 0, 255, 255})}, {v4({10, 0, 1, 0}, {10, 0, 1, 255}, 17, 53, 53)});
  REQUIRE(n.size() == 1);
  CHECK(n[0] == v4({10, 0, 1, 0}, {10, 0, 1, 255}, 17, 53, 53));
  CHECK(narrow({v4({10, 0, 0, 0}, {10, 0, 0, 255})}, {v4({10, 0, 1, 0}, {10, 0, 1, 255})}).empty());
  CHECK(narrow({v4({10, 0, 0, 0}, {10, 0, 0, 255}, 6)}, {v4({10, 0, 0, 0}, {10, 0, 0, 255}, 17)}).empty());
  CHECK(narrow({v4({10, 0, 0, 0}, {10, 0, 0, 255}, 0, 1, 10)}, {v4({10, 0, 0, 0}, {10, 0, 0, 255}, 0, 11, 20)}).empty());
  CHECK(narrow({v6}, {v4({0, 0, 0, 0}, {255, 255, 255, 255})}).empty());

  // The initiator's check of an answer.
  std::vector<TrafficSelector> offered{v4({10, 0, 0, 0}, {10, 0, 0, 255})};
  CHECK(withinOffered({v4({10, 0, 0, 0}, {10, 0, 0, 127})}, offered));
  CHECK(withinOffered({v4({10, 0, 0, 5}, {10, 0, 0, 5}, 6, 80, 80)}, offered));
  CHECK_FALSE(withinOffered({v4({10, 0, 0, 0}, {10, 0, 1, 0})}, offered));
  CHECK_FALSE(withinOffered({}, offered));
  CHECK_FALSE(withinOffered({v4({10, 0, 0, 9}, {10, 0, 0, 8})}, offered));
}

TEST_CASE("wire ranges become exact CIDR covers for the data plane", "[ike][engine]") {
  auto side = toPolicySide({v4({10, 0, 0, 1}, {10, 0, 0, 6}, 6, 80, 80)});
  std::vector<std::string> got;
  for (const auto& s : side) got.push_back(s.src.toString());
  CHECK(got == std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31", "10.0.0.4/31", "10.0.0.6/32"});
  CHECK(side[0].proto == 6);
  CHECK(side[0].srcPortLo == 80);
  CHECK(side[0].dst.length == 0);
  auto all = toPolicySide({v4({0, 0, 0, 0}, {255, 255, 255, 255})});
  REQUIRE(all.size() == 1);
  CHECK(all[0].src.toString() == "0.0.0.0/0");
  auto all6 = toPolicySide({toWire(config::TrafficSelectorConfig{pfx("::/0"), 0, 0, 65535})});
  REQUIRE(all6.size() == 1);
  CHECK(all6[0].src.toString() == "::/0");

  auto pol = policySelectors(toPolicySide({v4({10, 0, 0, 0}, {10, 0, 0, 255})}),
                             toPolicySide({v4({10, 0, 1, 0}, {10, 0, 1, 255}, 6, 443, 443)}));
  REQUIRE(pol.size() == 1);
  CHECK(pol[0].src == pfx("10.0.0.0/24"));
  CHECK(pol[0].dst == pfx("10.0.1.0/24"));
  CHECK(pol[0].proto == 6);
  CHECK(pol[0].dstPortLo == 443);
  CHECK(pol[0].srcPortsAny());
}

TEST_CASE("identities on the wire", "[ike][engine]") {
  using T = config::IdentityConfig::Type;
  IdPayload fqdn = idPayloadFor({T::Fqdn, "gw.example.net"}, addr("192.0.2.1"));
  CHECK(fqdn.type == IdType::Fqdn);
  CHECK(std::string(fqdn.data.begin(), fqdn.data.end()) == "gw.example.net");
  IdPayload any = idPayloadFor({T::Any, "%any"}, addr("192.0.2.1"));
  CHECK(any.type == IdType::Ipv4Addr);
  CHECK(any.data == Bytes{192, 0, 2, 1});
  CHECK(idPayloadBody(any) == Bytes{1, 0, 0, 0, 192, 0, 2, 1});
  CHECK(idMatches({T::Any, "%any"}, fqdn));
  CHECK(idMatches({T::Fqdn, "gw.example.net"}, fqdn));
  CHECK_FALSE(idMatches({T::Fqdn, "gw.example.org"}, fqdn));
  CHECK_FALSE(idMatches({T::Email, "gw.example.net"}, fqdn));
  CHECK(idMatches({T::Ipv4, "192.0.2.1"}, any));
}

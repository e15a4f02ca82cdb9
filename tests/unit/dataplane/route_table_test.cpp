// RouteTable against a naive longest-prefix match on random routes and
// addresses (in the manner of WireGuard's allowedips selftest).
#include <catch2/catch.hpp>

#include <random>

#include "dataplane/route_table.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {
IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }
IpAddress addr(const char* s) { return *IpAddress::parse(s); }
}  // namespace

TEST_CASE("routes: longest prefix wins, both families", "[route]") {
  std::string error;
  auto t = RouteTable::create("rt_basic", 64, error);
  REQUIRE(t);
  REQUIRE(t->add(prefix("0.0.0.0/0"), {0, addr("192.0.2.254")}, error));
  REQUIRE(t->add(prefix("10.0.0.0/8"), {1, std::nullopt}, error));
  REQUIRE(t->add(prefix("10.1.2.0/24"), {2, addr("10.0.0.9")}, error));
  REQUIRE(t->add(prefix("2001:db8::/32"), {3, std::nullopt}, error));
  CHECK(t->lookup(addr("8.8.8.8"))->port == 0);
  CHECK(t->lookup(addr("8.8.8.8"))->gateway == addr("192.0.2.254"));
  CHECK(t->lookup(addr("10.9.9.9"))->port == 1);
  CHECK_FALSE(t->lookup(addr("10.9.9.9"))->gateway);
  CHECK(t->lookup(addr("10.1.2.3"))->port == 2);
  CHECK(t->lookup(addr("2001:db8::5"))->port == 3);
  CHECK(t->lookup(addr("2001:db9::5")) == nullptr);
  CHECK_FALSE(t->add(prefix("10.2.0.0/16"), {1, addr("2001:db8::1")}, error));
  CHECK(error.find("another family") != std::string::npos);
}

TEST_CASE("routes: differential against a naive longest-prefix match", "[route]") {
  std::mt19937 rng(11);
  for (bool v6 : {false, true}) {
    std::string error;
    auto t = RouteTable::create(v6 ? "rt_diff6" : "rt_diff4", 1024, error);
    REQUIRE(t);
    std::vector<std::pair<IpPrefix, uint16_t>> routes;
    const unsigned bits = v6 ? 128 : 32;
    for (int i = 0; i < 300; ++i) {
      IpPrefix p;
      p.address.family = v6 ? IpFamily::V6 : IpFamily::V4;
      // Cluster addresses so that prefixes nest and overlap.
      for (unsigned b = 0; b < p.address.size(); ++b) p.address.bytes[b] = static_cast<uint8_t>(rng() % 4);
      p.length = static_cast<uint8_t>(rng() % (bits + 1));
      auto canon = IpPrefix::parse(p.address.toString() + "/" + std::to_string(p.length));
      REQUIRE(canon);
      uint16_t port = static_cast<uint16_t>(i);
      REQUIRE(t->add(*canon, {port, std::nullopt}, error));
      std::erase_if(routes, [&](auto& r) { return r.first == *canon; });  // re-add replaces
      routes.emplace_back(*canon, port);
    }
    for (int i = 0; i < 20000; ++i) {
      IpAddress a;
      a.family = v6 ? IpFamily::V6 : IpFamily::V4;
      for (unsigned b = 0; b < a.size(); ++b) a.bytes[b] = static_cast<uint8_t>(rng() % 4);
      const std::pair<IpPrefix, uint16_t>* best = nullptr;
      for (auto& r : routes)
        if (r.first.contains(a) && (!best || r.first.length > best->first.length)) best = &r;
      const NextHop* got = t->lookup(a);
      if (!best) {
        REQUIRE(got == nullptr);
      } else {
        REQUIRE(got != nullptr);
        REQUIRE(got->port == best->second);
      }
    }
  }
}

// NextHopCache: a slot answers only for the destination it was filled for,
// only in the generation it was filled in, and slots are independent.
#include <catch2/catch.hpp>

#include <vector>

#include "dataplane/next_hop_cache.hpp"
#include "net/ip.hpp"
#include "net/ip_address.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

std::vector<uint8_t> header(const char* dst) {
  const IpAddress a = *IpAddress::parse(dst);
  std::vector<uint8_t> h(a.isV4() ? ip::kIpv4MinHeader : ip::kIpv6Header, 0);
  h[0] = a.isV4() ? 0x45 : 0x60;
  std::copy_n(a.bytes.begin(), a.size(), h.begin() + (a.isV4() ? ip::kV4Dst : ip::kV6Dst));
  // A source that differs from every destination: only the destination counts.
  h[a.isV4() ? ip::kV4Src : ip::kV6Src] = 0xaa;
  return h;
}

ResolvedHop hop(uint16_t port, uint8_t macByte, uint16_t mtu = 1500) {
  ResolvedHop h;
  h.port = port;
  h.mtu = mtu;
  for (auto& b : h.mac.addr_bytes) b = macByte;
  return h;
}

}  // namespace

TEST_CASE("next hop cache: empty until stored, then only for that destination", "[nexthop]") {
  NextHopCache c;
  const auto a = header("192.0.2.2"), b = header("192.0.2.3"), a6 = header("2001:db8::2");
  const uint32_t slot = NextHopCache::saSlot(7);
  CHECK(c.find(slot, a.data()) == nullptr);
  c.store(slot, a.data(), hop(1, 0x11, 1400));
  const ResolvedHop* h = c.find(slot, a.data());
  REQUIRE(h != nullptr);
  CHECK(h->port == 1);
  CHECK(h->mtu == 1400);
  CHECK(h->mac.addr_bytes[5] == 0x11);
  CHECK(c.find(slot, b.data()) == nullptr);   // another destination
  CHECK(c.find(slot, a6.data()) == nullptr);  // another family
  CHECK(c.find(NextHopCache::kAnySlot, a.data()) == nullptr);  // another slot
  CHECK(c.find(NextHopCache::saSlot(8), a.data()) == nullptr);
}

TEST_CASE("next hop cache: invalidate forgets every slot", "[nexthop]") {
  NextHopCache c;
  const auto a = header("192.0.2.2"), a6 = header("2001:db8::2");
  c.store(0, a.data(), hop(1, 0x11));
  c.store(NextHopCache::kAnySlot, a6.data(), hop(0, 0x22));
  REQUIRE(c.find(0, a.data()) != nullptr);
  REQUIRE(c.find(NextHopCache::kAnySlot, a6.data()) != nullptr);
  c.invalidate();
  CHECK(c.find(0, a.data()) == nullptr);
  CHECK(c.find(NextHopCache::kAnySlot, a6.data()) == nullptr);
  // Filled again in the new generation, it answers again, with the new hop.
  c.store(0, a.data(), hop(0, 0x33));
  REQUIRE(c.find(0, a.data()) != nullptr);
  CHECK(c.find(0, a.data())->mac.addr_bytes[0] == 0x33);
}

TEST_CASE("next hop cache: IPv6 destinations differ in any byte", "[nexthop]") {
  NextHopCache c;
  auto a = header("2001:db8::2");
  c.store(3, a.data(), hop(2, 0x44));
  for (uint32_t i = 0; i < 16; ++i) {
    auto other = a;
    other[ip::kV6Dst + i] ^= 0x01;
    CHECK(c.find(3, other.data()) == nullptr);
  }
  CHECK(c.find(3, a.data()) != nullptr);
  // An SA index past the slot count shares a slot: a miss, never a wrong hop.
  CHECK(NextHopCache::saSlot(3 + NextHopCache::kSaSlots) == 3);
  CHECK(c.find(NextHopCache::saSlot(3 + NextHopCache::kSaSlots), header("2001:db8::9").data()) == nullptr);
}

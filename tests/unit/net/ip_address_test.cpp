// IpPrefix::contains (a masked two-word compare) against a bit-by-bit
// reference, for every prefix length of both families on random addresses
// that share a random number of leading bits with the prefix.
#include <catch2/catch.hpp>

#include <random>

#include "net/ip_address.hpp"

using namespace ipsecgw;

namespace {

bool referenceContains(const IpPrefix& p, const IpAddress& a) {
  if (p.address.family != a.family) return false;
  for (unsigned bit = 0; bit < p.length; ++bit) {
    const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
    if ((p.address.bytes[bit / 8] & m) != (a.bytes[bit / 8] & m)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("IpPrefix::contains equals the bit-by-bit reference", "[ip_address]") {
  std::mt19937 rng(3);
  for (IpFamily family : {IpFamily::V4, IpFamily::V6}) {
    const unsigned maxLen = family == IpFamily::V4 ? 32 : 128;
    for (unsigned len = 0; len <= maxLen; ++len) {
      for (int round = 0; round < 40; ++round) {
        uint8_t raw[16];
        for (auto& b : raw) b = static_cast<uint8_t>(rng());
        // The prefix as IpPrefix::parse leaves it: host bits zero.
        IpPrefix p{family == IpFamily::V4 ? IpAddress::v4(raw) : IpAddress::v6(raw), static_cast<uint8_t>(len)};
        for (unsigned bit = len; bit < 128; ++bit) p.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
        // An address agreeing on the first `same` bits, then differing in one.
        IpAddress a = p.address;
        for (unsigned bit = 0; bit < maxLen; ++bit)
          if (rng() & 1) a.bytes[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
        const unsigned same = static_cast<unsigned>(rng() % (maxLen + 1));
        for (unsigned bit = 0; bit < same; ++bit) {
          const uint8_t m = static_cast<uint8_t>(0x80u >> (bit % 8));
          a.bytes[bit / 8] = static_cast<uint8_t>((a.bytes[bit / 8] & ~m) | (p.address.bytes[bit / 8] & m));
        }
        INFO("length " << len << " same " << same);
        REQUIRE(p.contains(a) == referenceContains(p, a));
        REQUIRE(p.contains(p.address));
        IpAddress other = a;
        other.family = family == IpFamily::V4 ? IpFamily::V6 : IpFamily::V4;
        REQUIRE_FALSE(p.contains(other));
      }
    }
  }
}

TEST_CASE("IpPrefix::contains on parsed prefixes", "[ip_address]") {
  const auto p = IpPrefix::parse("10.0.1.0/24");
  REQUIRE(p);
  CHECK(p->contains(*IpAddress::parse("10.0.1.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("10.0.2.1")));
  const auto q = IpPrefix::parse("2001:db8::/33");
  REQUIRE(q);
  CHECK(q->contains(*IpAddress::parse("2001:db8:7fff::1")));
  CHECK_FALSE(q->contains(*IpAddress::parse("2001:db8:8000::1")));
  const auto all = IpPrefix::parse("0.0.0.0/0");
  REQUIRE(all);
  CHECK(all->contains(*IpAddress::parse("192.0.2.1")));
  CHECK_FALSE(all->contains(*IpAddress::parse("::1")));
}

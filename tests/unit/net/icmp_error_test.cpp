// ICMP errors: field values, checksums that verify independently, quotes
// bounded by 576 (IPv4) and 1280 (IPv6), and the RFC 1812 4.3.2.7 /
// RFC 4443 2.4(e) cases where no error may be sent.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "common/packet_builder.hpp"
#include "net/checksum.hpp"
#include "net/icmp_error.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;

namespace {

IpAddress addr(const char* s) { return *IpAddress::parse(s); }

std::vector<uint8_t> packet(const char* src, const char* dst, uint8_t proto, uint32_t payload, bool df = true) {
  std::mt19937 rng(7);
  return test::makeIpPacket(addr(src), addr(dst), proto, payload, rng, df);
}

std::vector<uint8_t> build(const std::vector<uint8_t>& offending, IcmpError kind, uint32_t mtu, const char* from) {
  std::vector<uint8_t> out(2048);
  uint32_t n = buildIcmpError(offending, kind, mtu, addr(from), out);
  out.resize(n);
  return out;
}

// The one's-complement sum over a span that includes its checksum folds to
// zero when the checksum is right (RFC 1071), computed here without the
// builder's helpers.
bool sumsToZero(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (n % 2) sum += p[n - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

bool icmp6ChecksumOk(const std::vector<uint8_t>& p) {
  uint32_t sum = 0;
  for (int i = 8; i < 40; i += 2) sum += (p[i] << 8) | p[i + 1];  // source and destination
  const uint32_t len = static_cast<uint32_t>(p.size() - 40);
  sum += (len >> 16) + (len & 0xffff) + ip::kProtoIcmpv6;
  return sumsToZero(p.data() + 40, len, sum);
}

}  // namespace

TEST_CASE("ICMP fragmentation needed: RFC 792/1191 fields, 576-byte bound, checksums", "[net][icmp]") {
  auto off = packet("10.0.1.10", "10.0.2.10", ip::kProtoUdp, 1472);  // 1500 bytes, DF
  auto e = build(off, IcmpError::PacketTooBig, 1446, "10.0.1.1");
  REQUIRE(e.size() == kIcmpV4ErrorMax);
  CHECK(e[0] == 0x45);
  CHECK(loadBe16(&e[ip::kV4TotalLen]) == 576);
  CHECK(e[ip::kV4Proto] == ip::kProtoIcmp);
  CHECK(e[ip::kV4Ttl] == 64);
  CHECK(std::memcmp(&e[ip::kV4Src], addr("10.0.1.1").bytes.data(), 4) == 0);
  CHECK(std::memcmp(&e[ip::kV4Dst], &off[ip::kV4Src], 4) == 0);
  CHECK(sumsToZero(e.data(), 20));
  const uint8_t* icmp = &e[20];
  CHECK(icmp[0] == 3);
  CHECK(icmp[1] == 4);
  CHECK(loadBe16(icmp + 4) == 0);
  CHECK(loadBe16(icmp + 6) == 1446);
  CHECK(sumsToZero(icmp, e.size() - 20));
  CHECK(std::memcmp(icmp + 8, off.data(), 576 - 28) == 0);
}

TEST_CASE("ICMP errors quote a short packet whole and not its Ethernet padding", "[net][icmp]") {
  auto off = packet("10.0.1.10", "10.0.2.10", ip::kProtoIcmp, 0);  // 28 bytes
  auto padded = off;
  padded.resize(46, 0xee);  // minimum Ethernet payload
  auto e = build(padded, IcmpError::TimeExceeded, 0, "10.0.1.1");
  REQUIRE(e.size() == 20 + 8 + off.size());
  CHECK(e[20] == 11);
  CHECK(e[21] == 0);
  CHECK(loadBe32(&e[24]) == 0);
  CHECK(sumsToZero(&e[20], e.size() - 20));
  CHECK(std::equal(off.begin(), off.end(), e.begin() + 28));
}

TEST_CASE("ICMPv6 packet too big and time exceeded: RFC 4443 fields, 1280-byte bound", "[net][icmp]") {
  auto off = packet("fd00:1::10", "fd00:2::10", ip::kProtoUdp, 1452);  // 1500 bytes
  auto e = build(off, IcmpError::PacketTooBig, 1400, "fd00:1::1");
  REQUIRE(e.size() == kIcmpV6ErrorMax);
  CHECK(e[0] >> 4 == 6);
  CHECK(loadBe16(&e[ip::kV6PayloadLen]) == 1240);
  CHECK(e[ip::kV6NextHeader] == ip::kProtoIcmpv6);
  CHECK(std::memcmp(&e[ip::kV6Src], addr("fd00:1::1").bytes.data(), 16) == 0);
  CHECK(std::memcmp(&e[ip::kV6Dst], &off[ip::kV6Src], 16) == 0);
  CHECK(e[40] == 2);
  CHECK(e[41] == 0);
  CHECK(loadBe32(&e[44]) == 1400);
  CHECK(icmp6ChecksumOk(e));
  CHECK(std::memcmp(&e[48], off.data(), 1280 - 48) == 0);

  auto t = build(off, IcmpError::TimeExceeded, 0, "fd00:1::1");
  REQUIRE(t.size() == kIcmpV6ErrorMax);
  CHECK(t[40] == 3);
  CHECK(t[41] == 0);
  CHECK(icmp6ChecksumOk(t));
}

TEST_CASE("ICMP error builder refuses what it cannot build", "[net][icmp]") {
  auto off = packet("10.0.1.10", "10.0.2.10", ip::kProtoUdp, 100);
  std::vector<uint8_t> small(20 + 8 + 20 + 7);
  CHECK(buildIcmpError(off, IcmpError::TimeExceeded, 0, addr("10.0.1.1"), small) == 0);
  small.resize(20 + 8 + 28);
  CHECK(buildIcmpError(off, IcmpError::TimeExceeded, 0, addr("10.0.1.1"), small) == 56);
  std::vector<uint8_t> out(2048);
  CHECK(buildIcmpError(off, IcmpError::TimeExceeded, 0, addr("fd00::1"), out) == 0);  // family mismatch
  CHECK(buildIcmpError({}, IcmpError::TimeExceeded, 0, addr("10.0.1.1"), out) == 0);
}

TEST_CASE("no ICMP error about errors, later fragments, multicast, broadcast, bad sources", "[net][icmp]") {
  using K = IcmpError;
  auto udp = packet("10.0.1.10", "10.0.2.10", ip::kProtoUdp, 40);
  CHECK(icmpErrorAllowed(udp, K::PacketTooBig));
  CHECK(icmpErrorAllowed(udp, K::TimeExceeded));

  auto echo = packet("10.0.1.10", "10.0.2.10", ip::kProtoIcmp, 40);
  CHECK(icmpErrorAllowed(echo, K::TimeExceeded));  // echo request: a query
  auto err = echo;
  err[20] = 3;  // destination unreachable: an error
  CHECK_FALSE(icmpErrorAllowed(err, K::TimeExceeded));
  err[20] = 11;
  CHECK_FALSE(icmpErrorAllowed(err, K::PacketTooBig));

  auto frag = udp;
  storeBe16(&frag[ip::kV4Frag], ip::kV4FlagMf);  // first fragment: allowed
  CHECK(icmpErrorAllowed(frag, K::TimeExceeded));
  storeBe16(&frag[ip::kV4Frag], 185);  // later fragment
  CHECK_FALSE(icmpErrorAllowed(frag, K::TimeExceeded));

  CHECK_FALSE(icmpErrorAllowed(packet("10.0.1.10", "224.0.0.5", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("10.0.1.10", "255.255.255.255", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("0.0.0.0", "10.0.2.10", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("127.0.0.1", "10.0.2.10", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("239.1.1.1", "10.0.2.10", ip::kProtoUdp, 8), K::TimeExceeded));

  std::vector<uint8_t> truncated(udp.begin(), udp.begin() + 19);
  CHECK_FALSE(icmpErrorAllowed(truncated, K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed({}, K::TimeExceeded));
}

TEST_CASE("no ICMPv6 error about ICMPv6 errors, later fragments, multicast (but too big)", "[net][icmp]") {
  using K = IcmpError;
  auto echo = packet("fd00:1::10", "fd00:2::10", ip::kProtoIcmpv6, 40);
  CHECK(icmpErrorAllowed(echo, K::TimeExceeded));
  auto err = echo;
  err[40] = 1;  // destination unreachable
  CHECK_FALSE(icmpErrorAllowed(err, K::PacketTooBig));

  auto mcast = packet("fd00:1::10", "ff0e::1", ip::kProtoUdp, 40);
  CHECK_FALSE(icmpErrorAllowed(mcast, K::TimeExceeded));
  CHECK(icmpErrorAllowed(mcast, K::PacketTooBig));  // RFC 4443 2.4(e.2) exception
  CHECK_FALSE(icmpErrorAllowed(packet("::", "fd00:2::10", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("::1", "fd00:2::10", ip::kProtoUdp, 8), K::TimeExceeded));
  CHECK_FALSE(icmpErrorAllowed(packet("ff02::1", "fd00:2::10", ip::kProtoUdp, 8), K::TimeExceeded));

  // UDP behind a fragment header (RFC 8200 4.5): first fragment allowed,
  // a later one not.
  auto udp = packet("fd00:1::10", "fd00:2::10", ip::kProtoUdp, 40);
  std::vector<uint8_t> f(udp.begin(), udp.begin() + 40);
  const uint8_t fragHeader[8] = {ip::kProtoUdp, 0, 0, 1, 0, 0, 0, 42};  // offset 0, MF
  f.insert(f.end(), fragHeader, fragHeader + 8);
  f.insert(f.end(), udp.begin() + 40, udp.end());
  f[ip::kV6NextHeader] = ip::kExtFragment;
  storeBe16(&f[ip::kV6PayloadLen], static_cast<uint16_t>(f.size() - 40));
  CHECK(icmpErrorAllowed(f, K::TimeExceeded));
  storeBe16(&f[42], 8 << 3);  // offset 8 units
  CHECK_FALSE(icmpErrorAllowed(f, K::TimeExceeded));
}

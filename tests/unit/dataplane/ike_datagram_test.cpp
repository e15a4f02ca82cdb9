// IKE datagrams on the gateway's addresses (lib/dataplane/ike_datagram.hpp):
// what the worker hands to the control core (RFC 7296 2: UDP 500; RFC 3948
// 2.2: UDP 4500 behind the non-ESP marker; 2.3: NAT keepalives) and the
// frames built for the engine's datagrams, with their UDP checksums checked
// by an independent one's-complement sum over the pseudo-header.
#include <catch2/catch.hpp>

#include <cstring>

#include "dataplane/ike_datagram.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::dataplane;

namespace {

IpAddress addr(const char* s) { return *IpAddress::parse(s); }

ike::Datagram datagram(const char* local, uint16_t lport, const char* remote, uint16_t rport, size_t len) {
  ike::Datagram d;
  d.local = {addr(local), lport};
  d.remote = {addr(remote), rport};
  for (size_t i = 0; i < len; ++i) d.bytes.push_back(static_cast<uint8_t>(i * 7 + 1));
  return d;
}

std::vector<uint8_t> encode(const ike::Datagram& d) {
  std::vector<uint8_t> out(encodedIkeDatagramSize(d));
  REQUIRE(encodeIkeDatagram(d, 0x1234, out) == out.size());
  return out;
}

// RFC 1071 sum written out here, not through lib/net.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (p[i] << 8) | p[i + 1];
  if (n & 1) acc += p[n - 1] << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(acc);
}

// True when the UDP checksum of the packet verifies (sum over pseudo-header
// and segment, checksum included, is 0xffff).
bool udpChecksumOk(const std::vector<uint8_t>& p) {
  const bool v4 = (p[0] >> 4) == 4;
  const size_t ipLen = v4 ? 20 : 40;
  const uint16_t udpLen = loadBe16(p.data() + ipLen + 4);
  uint32_t acc = v4 ? sum16(p.data() + 12, 8) : sum16(p.data() + 8, 32);
  acc += ip::kProtoUdp + udpLen;
  acc = sum16(p.data() + ipLen, udpLen, acc);
  return fold(acc) == 0xffff;
}

IpLayout layoutOf(const std::vector<uint8_t>& p) {
  IpLayout lay;
  REQUIRE(locateUpperLayer(p, lay) == DropReason::None);
  return lay;
}

}  // namespace

TEST_CASE("ike datagram: port 500 has no marker, 4500 has the four-zero marker", "[ike-io]") {
  for (const char* family : {"v4", "v6"}) {
    const bool v4 = std::string(family) == "v4";
    const char* local = v4 ? "192.0.2.1" : "2001:db8::1";
    const char* remote = v4 ? "192.0.2.2" : "2001:db8::2";
    for (uint16_t port : {uint16_t{500}, uint16_t{4500}}) {
      INFO(family << " port " << port);
      const auto d = datagram(local, port, remote, port, 301);
      const auto p = encode(d);
      const size_t ipLen = v4 ? 20 : 40;
      const size_t marker = port == 500 ? 0 : 4;
      REQUIRE(p.size() == ipLen + 8 + marker + 301);
      CHECK(p[0] >> 4 == (v4 ? 4 : 6));
      CHECK(loadBe16(p.data() + ipLen) == port);
      CHECK(loadBe16(p.data() + ipLen + 2) == port);
      CHECK(loadBe16(p.data() + ipLen + 4) == 8 + marker + 301);
      if (marker) CHECK(loadBe32(p.data() + ipLen + 8) == 0);
      CHECK(std::memcmp(p.data() + ipLen + 8 + marker, d.bytes.data(), d.bytes.size()) == 0);
      CHECK(loadBe16(p.data() + ipLen + 6) != 0);
      CHECK(udpChecksumOk(p));
      if (v4) {
        CHECK(fold(sum16(p.data(), 20)) == 0xffff);  // header checksum
        CHECK(loadBe16(p.data() + ip::kV4Id) == 0x1234);
        CHECK((loadBe16(p.data() + ip::kV4Frag) & ip::kV4FlagDf) == 0);
      }

      // What the peer sends looks the same from the other side: swap the
      // roles and decode.
      ike::Datagram back = datagram(remote, port, local, port, 0);
      back.bytes = d.bytes;
      const auto in = encode(back);
      CHECK(classifyIke(in, layoutOf(in)) == IkeRxKind::Ike);
      ike::Datagram got;
      bool bad = true;
      REQUIRE(decodeIkeDatagram(in, got, bad) == DropReason::None);
      CHECK_FALSE(bad);
      CHECK(got.local == d.local);
      CHECK(got.remote == d.remote);
      CHECK(got.bytes == d.bytes);
    }
  }
}

TEST_CASE("ike datagram: a NATed peer port still gets the marker", "[ike-io]") {
  const auto d = datagram("192.0.2.1", 4500, "198.51.100.7", 31000, 40);
  const auto p = encode(d);
  CHECK(p.size() == 20 + 8 + 4 + 40);
  CHECK(loadBe16(p.data() + 22) == 31000);
  CHECK(loadBe32(p.data() + 28) == 0);
  CHECK(udpChecksumOk(p));
}

TEST_CASE("ike datagram: a NAT keepalive is the bare 0xFF octet on 4500", "[ike-io]") {
  ike::Datagram d = datagram("192.0.2.1", 4500, "198.51.100.7", 4500, 0);
  d.bytes = {0xff};
  d.keepalive = true;
  const auto p = encode(d);
  REQUIRE(p.size() == 20 + 8 + 1);  // RFC 3948 2.3: no non-ESP marker
  CHECK(p[28] == 0xff);
  CHECK(loadBe16(p.data() + 24) == 9);
  CHECK(udpChecksumOk(p));
  // And it is what the receive side consumes as a keepalive.
  CHECK(classifyIke(p, layoutOf(p)) == IkeRxKind::NatKeepalive);
}

TEST_CASE("ike datagram: classification of what arrives for us", "[ike-io]") {
  auto udpTo = [](uint16_t dport, std::vector<uint8_t> payload) {
    ike::Datagram d = datagram("192.0.2.2", 4500, "192.0.2.1", dport, 0);
    d.bytes = payload;
    auto p = encode(d);
    // encode() adds the marker for port 4500; strip it to control the payload.
    if (dport != 500) {
      p.erase(p.begin() + 28, p.begin() + 32);
      storeBe16(p.data() + 2, static_cast<uint16_t>(p.size()));
      storeBe16(p.data() + 10, 0);
      uint16_t c = static_cast<uint16_t>(~fold(sum16(p.data(), 20)));
      storeBe16(p.data() + 10, c);
      storeBe16(p.data() + 24, static_cast<uint16_t>(p.size() - 20));
    }
    return p;
  };
  const auto ike500 = udpTo(500, {1, 2, 3, 4, 5, 6, 7, 8});
  CHECK(classifyIke(ike500, layoutOf(ike500)) == IkeRxKind::Ike);
  const auto marker = udpTo(4500, {0, 0, 0, 0, 9, 9, 9, 9});
  CHECK(classifyIke(marker, layoutOf(marker)) == IkeRxKind::Ike);
  const auto esp = udpTo(4500, {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1});
  CHECK(classifyIke(esp, layoutOf(esp)) == IkeRxKind::NotIke);
  const auto keepalive = udpTo(4500, {0xff});
  CHECK(classifyIke(keepalive, layoutOf(keepalive)) == IkeRxKind::NatKeepalive);
  const auto other = udpTo(53, {1, 2, 3, 4});
  CHECK(classifyIke(other, layoutOf(other)) == IkeRxKind::NotIke);
  const auto shortMarker = udpTo(4500, {0, 0, 0});
  CHECK(classifyIke(shortMarker, layoutOf(shortMarker)) == IkeRxKind::NotIke);

  // A fragment may not hold the UDP header: reassembly's business.
  auto frag = ike500;
  storeBe16(frag.data() + ip::kV4Frag, ip::kV4FlagMf);
  IpLayout lay = layoutOf(frag);
  CHECK(lay.fragment);
  CHECK(classifyIke(frag, lay) == IkeRxKind::NotIke);

  // Marker missing on 4500 is not IKE for the decoder either.
  ike::Datagram out;
  bool bad = false;
  CHECK(decodeIkeDatagram(esp, out, bad) == DropReason::Malformed);
}

TEST_CASE("ike datagram: checksums and lengths are checked on receipt", "[ike-io]") {
  const auto v4 = encode(datagram("192.0.2.2", 500, "192.0.2.1", 500, 64));
  ike::Datagram out;
  bool bad = false;

  auto tampered = v4;
  tampered.back() ^= 0x01;
  CHECK(decodeIkeDatagram(tampered, out, bad) == DropReason::Malformed);
  CHECK(bad);

  // IPv4 may send no checksum (RFC 768).
  auto none = v4;
  storeBe16(none.data() + 26, 0);
  CHECK(decodeIkeDatagram(none, out, bad) == DropReason::None);
  CHECK_FALSE(bad);
  CHECK(out.bytes.size() == 64);

  // IPv6 must (RFC 8200 8.1).
  auto v6 = encode(datagram("2001:db8::2", 500, "2001:db8::1", 500, 64));
  storeBe16(v6.data() + 46, 0);
  CHECK(decodeIkeDatagram(v6, out, bad) == DropReason::Malformed);
  CHECK(bad);

  // UDP length beyond the IP payload.
  auto longUdp = v4;
  storeBe16(longUdp.data() + 24, static_cast<uint16_t>(longUdp.size()));
  CHECK(decodeIkeDatagram(longUdp, out, bad) == DropReason::Malformed);
  CHECK_FALSE(bad);

  // IP total length beyond the buffer.
  auto cut = v4;
  cut.resize(cut.size() - 1);
  CHECK(decodeIkeDatagram(cut, out, bad) != DropReason::None);

  // UDP length below its header.
  auto tiny = v4;
  storeBe16(tiny.data() + 24, 7);
  CHECK(decodeIkeDatagram(tiny, out, bad) == DropReason::Malformed);
}

TEST_CASE("ike datagram: encoding refuses what does not fit or mixes families", "[ike-io]") {
  const auto d = datagram("192.0.2.1", 500, "192.0.2.2", 500, 100);
  std::vector<uint8_t> small(encodedIkeDatagramSize(d) - 1);
  CHECK(encodeIkeDatagram(d, 1, small) == 0);
  const auto mixed = datagram("192.0.2.1", 500, "2001:db8::2", 500, 10);
  std::vector<uint8_t> room(200);
  CHECK(encodeIkeDatagram(mixed, 1, room) == 0);
}

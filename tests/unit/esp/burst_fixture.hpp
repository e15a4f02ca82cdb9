// Shared pieces of the ESP burst-limit tests: the engines and transform kinds
// they walk, a burst of owned packets that remembers where each packet came
// from, an ESP header reader, and a per-packet reference model of the SA
// volume lifetime (RFC 4301 4.4.2.1) that the burst routines must match.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "common/packet_builder.hpp"
#include "crypto/engine_factory.hpp"
#include "esp/esp_inbound.hpp"
#include "esp/esp_outbound.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "sa_pair.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::test {

inline constexpr const char* kEngines[] = {"ipsec-mb", "openssl"};

// One transform per kind (the routines are specialised per kind, not per
// transform), plus ChaCha20 as the second AEAD.
inline constexpr esp::Transform kOneTransformPerKind[] = {
    esp::Transform::AesGcm128, esp::Transform::ChaCha20Poly1305, esp::Transform::AesGmac128,
    esp::Transform::AesCbc128HmacSha256, esp::Transform::NullHmacSha256};

inline constexpr esp::Mode kModes[] = {esp::Mode::Tunnel, esp::Mode::Transport};

// The outbound SA of one option set and the inbound SA of another, with the
// same keys and SPI: lets a test put limits on one side only.
inline SaPair makeMixedPair(const SaPairOptions& outOpts, const SaPairOptions& inOpts, esp::CryptoEngine& eng,
                            uint32_t seed) {
  std::mt19937 a(seed), b(seed);  // same draws: same keys and SPI
  SaPair p{makeSaPair(outOpts, eng, a).out, makeSaPair(inOpts, eng, b).in};
  REQUIRE(p.out);
  REQUIRE(p.in);
  REQUIRE(p.out->spi() == p.in->spi());
  return p;
}

// A plaintext IPv4 UDP packet the SA of `o` protects: inner addresses in tunnel
// mode, the SA's own endpoints in transport mode.
inline std::vector<uint8_t> plainFor(const SaPairOptions& o, uint32_t payload, std::mt19937& rng) {
  const bool tunnel = o.mode == esp::Mode::Tunnel;
  IpAddress src = tunnel ? *IpAddress::parse("10.0.0.1") : o.local;
  IpAddress dst = tunnel ? *IpAddress::parse("10.0.1.1") : o.remote;
  return makeIpPacket(src, dst, ip::kProtoUdp, payload, rng);
}

// Bytes an SA charges to its lifetime for one packet: outbound the whole
// plaintext IP packet in both modes; inbound the ESP payload, which in
// transport mode leaves out the IP header (surprising, but what
// esp_outbound.cpp/esp_inbound.cpp do: the two ends of a transport SA count
// different byte totals for the same traffic).
inline uint64_t chargedBytes(const std::vector<uint8_t>& plain, esp::Direction dir, esp::Mode mode) {
  if (dir == esp::Direction::Outbound || mode == esp::Mode::Tunnel) return plain.size();
  IpLayout lay;
  REQUIRE(locateUpperLayer(plain, lay) == DropReason::None);
  return plain.size() - lay.headerLen;
}

// A burst of owned packets. After a routine ran, ptrs is reordered (survivors
// first); origin(i) says which added packet ptrs[i] is.
class Burst {
 public:
  explicit Burst(size_t capacity) { pkts_.reserve(capacity); }

  void add(const std::vector<uint8_t>& bytes, uint32_t headroom = 128, uint32_t tailroom = 128) {
    REQUIRE(pkts_.size() < pkts_.capacity());  // no reallocation: ptrs stay valid
    pkts_.emplace_back(bytes, headroom, tailroom);
    ptrs.push_back(&pkts_.back().buf);
    why.push_back(DropReason::Malformed);  // must be overwritten by the routine
  }
  size_t size() const { return ptrs.size(); }
  size_t origin(size_t i) const {
    for (size_t k = 0; k < pkts_.size(); ++k)
      if (ptrs[i] == &pkts_[k].buf) return k;
    FAIL("packet pointer not from this burst");
    return 0;
  }
  std::vector<uint8_t> bytes(size_t i) const { return {ptrs[i]->data(), ptrs[i]->data() + ptrs[i]->length}; }

  uint32_t encapsulate(esp::SecurityAssociation& sa, esp::CryptoEngine& eng) {
    return esp::espEncapsulate(sa, eng, ptrs, why);
  }
  uint32_t decapsulate(esp::SecurityAssociation& sa, esp::CryptoEngine& eng) {
    return esp::espDecapsulate(sa, eng, ptrs, why);
  }

  std::vector<PacketBuffer*> ptrs;
  std::vector<DropReason> why;

 private:
  std::vector<OwnedPacket> pkts_;
};

// Where the ESP header starts in a packet that begins with its outer (tunnel)
// or original (transport) IP header, behind an optional UDP header.
inline const uint8_t* espHeader(const PacketBuffer& b) {
  IpLayout lay;
  REQUIRE(locateUpperLayer({b.data(), b.length}, lay) == DropReason::None);
  uint32_t off = lay.headerLen + (lay.upperProtocol == ip::kProtoUdp ? ip::kUdpHeader : 0);
  REQUIRE(b.length >= off + 16);
  return b.data() + off;
}
// The 32 bits of the sequence number that go on the wire (RFC 4303 2.2).
inline uint32_t wireSeq(const PacketBuffer& b) { return loadBe32(espHeader(b) + 4); }
// AEAD and GMAC carry the whole 64-bit sequence number as their IV
// (esp_outbound.cpp), so the ESN high half can be read there.
inline bool ivIsSequence(esp::Transform t) {
  auto k = esp::transformInfo(t).kind;
  return k == esp::TransformKind::Aead || k == esp::TransformKind::GmacOnly;
}
inline uint64_t wireIv64(const PacketBuffer& b) { return loadBe64(espHeader(b) + 8); }

// The volume lifetime as RFC 4301 4.4.2.1 and lifetime.hpp state it, one
// packet at a time: a packet that would pass a hard limit is refused and the
// SA stays refused from then on; the first accepted packet that reaches a soft
// limit raises the soft event, once.
struct LifetimeModel {
  esp::LifetimeLimits l;
  uint64_t packets = 0, bytes = 0;
  bool expired = false;
  uint8_t raised = 0;
  uint8_t pending = 0;

  bool accept(uint64_t size) {
    if (expired) return false;
    if ((l.hardPackets != 0 && packets + 1 > l.hardPackets) || (l.hardBytes != 0 && bytes + size > l.hardBytes)) {
      expired = true;
      event(esp::kEventHardLifetime);
      return false;
    }
    ++packets;
    bytes += size;
    if ((l.softPackets != 0 && packets >= l.softPackets) || (l.softBytes != 0 && bytes >= l.softBytes))
      event(esp::kEventSoftLifetime);
    return true;
  }
  void event(esp::SaEvent e) {
    if (!(raised & e)) pending |= e;
    raised |= e;
  }
  uint8_t take() {
    uint8_t e = pending;
    pending = 0;
    return e;
  }
};

}  // namespace ipsecgw::test

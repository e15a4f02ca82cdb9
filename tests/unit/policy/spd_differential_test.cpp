// Differential test (after WireGuard's selftest/allowedips.c): random SPDs of
// both families, random flow keys biased towards every policy's boundaries;
// the rte_acl Spd must give the same first match as the linear reference.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "net/ip.hpp"
#include "policy/spd.hpp"
#include "policy/spd_reference.hpp"

using namespace ipsecgw;
using namespace ipsecgw::policy;

namespace {

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {
    // A few base addresses per family, so that random prefixes overlap.
    for (int i = 0; i < 4; ++i) {
      bases4_.push_back(randomAddress(IpFamily::V4));
      bases6_.push_back(randomAddress(IpFamily::V6));
    }
  }

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }
  bool chance(uint32_t percent) { return below(100) < percent; }

  IpAddress randomAddress(IpFamily f) {
    IpAddress a;
    a.family = f;
    for (uint32_t i = 0; i < a.size(); ++i) a.bytes[i] = static_cast<uint8_t>(rng_());
    return a;
  }

  // Mostly a mutation of a base address, so prefixes nest and overlap.
  IpAddress nearBase(IpFamily f) {
    const auto& bases = f == IpFamily::V4 ? bases4_ : bases6_;
    IpAddress a = chance(85) ? bases[below(static_cast<uint32_t>(bases.size()))] : randomAddress(f);
    uint32_t bits = a.size() * 8;
    int flips = static_cast<int>(below(3));
    for (int i = 0; i < flips; ++i) {
      uint32_t bit = below(bits);
      a.bytes[bit / 8] ^= static_cast<uint8_t>(0x80u >> (bit % 8));
    }
    return a;
  }

  IpPrefix randomPrefix(IpFamily f) {
    uint32_t bits = f == IpFamily::V4 ? 32 : 128;
    uint8_t len;
    switch (below(6)) {
      case 0: len = 0; break;
      case 1: len = static_cast<uint8_t>(bits); break;
      case 2: len = static_cast<uint8_t>(8 * (1 + below(bits / 8))); break;  // octet boundaries
      default: len = static_cast<uint8_t>(below(bits + 1)); break;
    }
    return IpPrefix{nearBase(f), len};  // host bits left set on purpose
  }

  uint8_t randomProto() {
    static constexpr uint8_t protos[] = {0, 0, ip::kProtoTcp, ip::kProtoUdp, ip::kProtoIcmp, ip::kProtoIcmpv6,
                                         132, ip::kProtoEsp, 47};
    return protos[below(sizeof protos)];
  }

  void randomRange(uint16_t& lo, uint16_t& hi) {
    switch (below(6)) {
      case 0:
      case 1: lo = 0; hi = 65535; break;  // ANY
      case 2: lo = hi = static_cast<uint16_t>(rng_()); break;
      case 3: lo = 0; hi = static_cast<uint16_t>(rng_()); break;
      case 4: lo = static_cast<uint16_t>(rng_()); hi = 65535; break;
      default: {
        uint16_t a = static_cast<uint16_t>(rng_()), b = static_cast<uint16_t>(rng_());
        lo = std::min(a, b);
        hi = std::max(a, b);
      }
    }
  }

  Policy randomPolicy(uint32_t id) {
    Policy p;
    p.id = id;
    p.priority = below(25);  // many ties: order of add() must decide them
    IpFamily f = chance(50) ? IpFamily::V4 : IpFamily::V6;
    p.sel.src = randomPrefix(f);
    p.sel.dst = randomPrefix(f);
    p.sel.proto = randomProto();
    if (protocolHasPorts(p.sel.proto)) {
      randomRange(p.sel.srcPortLo, p.sel.srcPortHi);
      randomRange(p.sel.dstPortLo, p.sel.dstPortHi);
    }
    p.action = static_cast<PolicyAction>(below(3));
    p.saIndex = below(1000);
    return p;
  }

  // An address inside the prefix, or at its first/last address, or one
  // just outside either end.
  IpAddress addressAround(const IpPrefix& p) {
    IpAddress a = p.address;
    uint32_t bits = a.size() * 8;
    uint32_t kind = below(6);
    for (uint32_t bit = p.length; bit < bits; ++bit) {
      uint8_t mask = static_cast<uint8_t>(0x80u >> (bit % 8));
      bool set = kind == 0 ? false : kind == 1 ? true : chance(50);
      a.bytes[bit / 8] = static_cast<uint8_t>(set ? (a.bytes[bit / 8] | mask) : (a.bytes[bit / 8] & ~mask));
    }
    if (kind == 0 && chance(50)) step(a, -1);  // just below the first address
    if (kind == 1 && chance(50)) step(a, +1);  // just above the last address
    return a;
  }

  uint16_t portAround(uint16_t lo, uint16_t hi) {
    switch (below(6)) {
      case 0: return static_cast<uint16_t>(lo - 1);
      case 1: return lo;
      case 2: return hi;
      case 3: return static_cast<uint16_t>(hi + 1);
      case 4: return static_cast<uint16_t>(lo + below(hi - lo + 1u));
      default: return static_cast<uint16_t>(rng_());
    }
  }

  FlowKey keyNear(const Policy& p) {
    FlowKey k;
    k.src = addressAround(p.sel.src);
    k.dst = addressAround(p.sel.dst);
    if (chance(3)) {  // the other family
      k.src = randomAddress(k.src.isV4() ? IpFamily::V6 : IpFamily::V4);
      k.dst = nearBase(k.src.family);
    }
    k.proto = p.sel.proto != 0 && chance(80) ? p.sel.proto : randomProto();
    if (chance(10) || !protocolHasPorts(k.proto)) {
      k.portsOpaque = true;  // non-initial fragment or a protocol without ports
    } else {
      k.srcPort = portAround(p.sel.srcPortLo, p.sel.srcPortHi);
      k.dstPort = portAround(p.sel.dstPortLo, p.sel.dstPortHi);
    }
    return k;
  }

 private:
  static void step(IpAddress& a, int dir) {
    for (int i = static_cast<int>(a.size()) - 1; i >= 0; --i) {
      uint8_t before = a.bytes[i];
      a.bytes[i] = static_cast<uint8_t>(before + dir);
      if ((dir > 0 && before != 0xff) || (dir < 0 && before != 0x00)) break;
    }
  }

  std::mt19937 rng_;
  std::vector<IpAddress> bases4_, bases6_;
};

}  // namespace

TEST_CASE("SPD differential: rte_acl against the linear reference", "[spd][differential]") {
  constexpr int kSpds = 40;
  constexpr int kKeysPerSpd = 2000;
  size_t compared = 0, matched = 0;
  for (int round = 0; round < kSpds; ++round) {
    uint32_t seed = 0x4301u + static_cast<uint32_t>(round);
    Gen g(seed);
    uint32_t n = round == 0 ? 1 : 1 + g.below(200);
    std::vector<Policy> policies;
    SpdBuilder builder;
    std::string error;
    for (uint32_t id = 1; id <= n; ++id) {
      Policy p = g.randomPolicy(id);
      REQUIRE(builder.add(p, error));
      policies.push_back(p);
    }
    SpdPtr spd = builder.build(error);
    INFO("seed " << seed << " policies " << n << " " << error);
    REQUIRE(spd);
    SpdReference ref(policies);

    std::vector<FlowKey> keys;
    for (int i = 0; i < kKeysPerSpd; ++i) keys.push_back(g.keyNear(policies[g.below(n)]));
    std::vector<const FlowKey*> ptrs;
    for (const FlowKey& k : keys) ptrs.push_back(&k);
    std::vector<const Policy*> got(keys.size()), want(keys.size());
    spd->lookupBurst(ptrs, got);
    ref.lookupBurst(ptrs, want);
    for (size_t i = 0; i < keys.size(); ++i) {
      uint32_t gotId = got[i] ? got[i]->id : 0, wantId = want[i] ? want[i]->id : 0;
      if (gotId != wantId) {
        const FlowKey& k = keys[i];
        FAIL_CHECK("key " << i << ": " << k.src.toString() << " -> " << k.dst.toString() << " proto "
                          << int(k.proto) << " ports " << k.srcPort << "/" << k.dstPort
                          << (k.portsOpaque ? " OPAQUE" : "") << ": acl " << gotId << " reference " << wantId);
      }
      // Single lookups agree with the burst.
      if (i % 16 == 0) CHECK(spd->lookup(keys[i]) == got[i]);
      ++compared;
      matched += want[i] != nullptr;
    }
  }
  // The keys must exercise both outcomes, not only "no policy".
  CHECK(compared == size_t(kSpds) * kKeysPerSpd);
  CHECK(matched > compared / 4);
  CHECK(matched < compared);
}

// The worker classifies whole bursts: rte_acl runs a burst through its widest
// routine in chunks and the remainder through narrower ones (scalar below 4
// keys), so every burst size 1..64 (and a few past one chunk) takes its own
// mix of routines. Each burst mixes families and keys that match nothing.
TEST_CASE("SPD differential: bursts of every size against the reference", "[spd][differential][burst]") {
  constexpr int kSpds = 12;
  size_t compared = 0, matched = 0;
  for (int round = 0; round < kSpds; ++round) {
    uint32_t seed = 0x4559u + static_cast<uint32_t>(round);
    Gen g(seed);
    uint32_t n = 1 + g.below(round < 4 ? 3 : 120);  // tiny SPDs too: the benchmark's has one policy per direction
    std::vector<Policy> policies;
    SpdBuilder builder;
    std::string error;
    for (uint32_t id = 1; id <= n; ++id) {
      Policy p = g.randomPolicy(id);
      REQUIRE(builder.add(p, error));
      policies.push_back(p);
    }
    SpdPtr spd = builder.build(error);
    INFO("seed " << seed << " policies " << n << " " << error);
    REQUIRE(spd);
    SpdReference ref(policies);

    std::vector<size_t> sizes;
    for (size_t s = 1; s <= 64; ++s) sizes.push_back(s);
    for (size_t s : {65, 96, 127, 128, 129, 200}) sizes.push_back(s);
    for (size_t burst : sizes) {
      for (int rep = 0; rep < 3; ++rep) {
        std::vector<FlowKey> keys;
        for (size_t i = 0; i < burst; ++i) keys.push_back(g.keyNear(policies[g.below(n)]));
        std::vector<const FlowKey*> ptrs;
        for (const FlowKey& k : keys) ptrs.push_back(&k);
        // Entries past the burst must stay untouched.
        const Policy sentinel{};
        std::vector<const Policy*> got(burst + 1, &sentinel), want(burst);
        spd->lookupBurst(ptrs, got);
        ref.lookupBurst(ptrs, want);
        CHECK(got[burst] == &sentinel);
        for (size_t i = 0; i < burst; ++i) {
          uint32_t gotId = got[i] ? got[i]->id : 0, wantId = want[i] ? want[i]->id : 0;
          if (gotId != wantId) {
            const FlowKey& k = keys[i];
            FAIL_CHECK("burst " << burst << " key " << i << ": " << k.src.toString() << " -> " << k.dst.toString()
                                << " proto " << int(k.proto) << " ports " << k.srcPort << "/" << k.dstPort
                                << (k.portsOpaque ? " OPAQUE" : "") << ": acl " << gotId << " reference " << wantId);
          }
          ++compared;
          matched += want[i] != nullptr;
        }
      }
    }
  }
  CHECK(matched > compared / 4);
  CHECK(matched < compared);
}

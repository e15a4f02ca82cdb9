// Volume lifetimes (RFC 4301 4.4.2.1) through the burst routines, both
// directions: a burst that stays below every limit is charged at once, one
// that reaches a limit goes packet by packet; either way the verdicts, the
// events and the counters must be exactly those of charging one packet at a
// time (LifetimeModel in burst_fixture.hpp). Walked for both crypto engines,
// every transform kind, tunnel and transport, with limits on and around every
// packet and burst boundary.
#include "burst_fixture.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;
using namespace ipsecgw::test;

namespace {

using Bursts = std::vector<std::vector<uint32_t>>;  // payload bytes per packet, per burst

// After a routine ran: the packets `expectOk` marks are the survivors, in
// their order, and the others follow in their order with `reason`.
void checkVerdicts(const Burst& b, uint32_t n, const std::vector<bool>& expectOk, DropReason reason) {
  std::vector<size_t> good, bad;
  for (size_t i = 0; i < expectOk.size(); ++i) (expectOk[i] ? good : bad).push_back(i);
  REQUIRE(n == good.size());
  for (size_t i = 0; i < n; ++i) {
    CHECK(b.origin(i) == good[i]);
    CHECK(b.why[i] == DropReason::None);
  }
  for (size_t i = n; i < b.size(); ++i) {
    CHECK(b.origin(i) == bad[i - n]);
    CHECK(b.why[i] == reason);
  }
}

struct Side {
  Direction limited;
  const char* name() const { return limited == Direction::Outbound ? "outbound" : "inbound"; }
};

// Sends `bursts` over a pair whose `side.limited` SA has `limits` (the other
// is unlimited) and checks every burst against the model.
void runScenario(CryptoEngine& eng, Transform t, Mode mode, Side side, const LifetimeLimits& limits,
                 const Bursts& bursts, std::mt19937& rng) {
  SaPairOptions base;
  base.transform = t;
  base.mode = mode;
  SaPairOptions lim = base;
  lim.lifetime = limits;
  const bool outLimited = side.limited == Direction::Outbound;
  SaPair sa = makeMixedPair(outLimited ? lim : base, outLimited ? base : lim, eng, rng());
  SecurityAssociation& checked = outLimited ? *sa.out : *sa.in;

  LifetimeModel model{limits};
  uint64_t numbered = 0, packets = 0, bytes = 0, drops = 0;
  for (size_t bi = 0; bi < bursts.size(); ++bi) {
    CAPTURE(bi);
    std::vector<std::vector<uint8_t>> plain;
    std::vector<bool> expectOk;
    Burst b(bursts[bi].size());
    for (uint32_t payload : bursts[bi]) {
      plain.push_back(plainFor(base, payload, rng));
      uint64_t charge = chargedBytes(plain.back(), side.limited, mode);
      expectOk.push_back(model.accept(charge));
      if (expectOk.back()) {
        ++packets;
        bytes += charge;
      } else {
        ++drops;
      }
      b.add(plain.back());
    }

    uint32_t n = b.encapsulate(*sa.out, eng);
    if (outLimited) {
      checkVerdicts(b, n, expectOk, DropReason::LifetimeExpired);
      // A refused packet is handed back as it came ...
      for (size_t i = n; i < b.size(); ++i) CHECK(b.bytes(i) == plain[b.origin(i)]);
      // ... but it used up its sequence number (the burst numbers every
      // packet fit to be sent before charging the lifetime): the survivors'
      // numbers keep their place in the burst, with gaps where the refused were.
      for (size_t i = 0; i < n; ++i) CHECK(wireSeq(*b.ptrs[i]) == numbered + b.origin(i) + 1);
      numbered += b.size();
      CHECK(sa.out->lastSequence() == numbered);
    } else {
      REQUIRE(n == b.size());
    }

    uint32_t m = espDecapsulate(*sa.in, eng, {b.ptrs.data(), n}, {b.why.data(), n});
    if (outLimited) {
      REQUIRE(m == n);
    } else {
      checkVerdicts(b, m, expectOk, DropReason::LifetimeExpired);
      // An authentic packet refused for the lifetime has still moved the
      // replay window (RFC 4303 3.4.3 ties the window to the ICV only), so
      // the inbound SA has seen every number sent so far.
      numbered += b.size();
      CHECK(sa.in->replayWindow()->highest() == numbered);
    }
    for (size_t i = 0; i < m; ++i) CHECK(b.bytes(i) == plain[b.origin(i)]);

    CHECK(int(checked.lifetime().takeEvents()) == int(model.take()));
    CHECK(checked.lifetime().expired() == model.expired);
    CHECK(checked.lifetime().packets() == model.packets);
    CHECK(checked.lifetime().bytes() == model.bytes);
    CHECK(checked.counters().packets == packets);
    CHECK(checked.counters().bytes == bytes);
    CHECK(checked.counters().drops == drops);
  }
}

Bursts randomSizes(const std::vector<uint32_t>& counts, std::mt19937& rng) {
  Bursts b;
  for (uint32_t c : counts) {
    b.emplace_back();
    for (uint32_t i = 0; i < c; ++i) b.back().push_back(rng() % 300);
  }
  return b;
}

}  // namespace

TEST_CASE("esp burst: the named lifetime cases", "[esp][burst][lifetime]") {
  // The cases the burst optimisation was checked by hand against, spelled out.
  std::mt19937 rng(11);
  for (const char* engineName : kEngines) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kOneTransformPerKind) {
      for (Mode mode : kModes) {
        CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel);
        SaPairOptions o;
        o.transform = t;
        o.mode = mode;
        auto send = [&](SecurityAssociation& out, uint32_t count, uint32_t payload, Burst& b) {
          for (uint32_t i = 0; i < count; ++i) b.add(plainFor(o, payload, rng));
          return b.encapsulate(out, *eng);
        };

        // hardPackets = 5, softPackets = 3, burst of 8: 5 pass, 3 are refused,
        // soft and hard are both raised by this one burst, each once.
        o.lifetime = {.softPackets = 3, .hardPackets = 5};
        auto sa = makeSaPair(o, *eng, rng);
        Burst b1(8);
        REQUIRE(send(*sa.out, 8, 100, b1) == 5);
        for (size_t i = 5; i < 8; ++i) CHECK(b1.why[i] == DropReason::LifetimeExpired);
        CHECK(int(sa.out->lifetime().takeEvents()) == (kEventSoftLifetime | kEventHardLifetime));
        Burst b2(8);
        CHECK(send(*sa.out, 8, 100, b2) == 0);
        CHECK(sa.out->lifetime().takeEvents() == 0);  // nothing twice
        CHECK(sa.out->counters().packets == 5);
        CHECK(sa.out->counters().drops == 11);

        // hardBytes crossed in the middle of a burst: packets of 128 bytes
        // (100 + IPv4 + UDP), limit 4.5 packets' worth: 4 pass.
        o.lifetime = {.hardBytes = 4 * 128 + 64};
        sa = makeSaPair(o, *eng, rng);
        Burst b3(8);
        CHECK(send(*sa.out, 8, 100, b3) == 4);
        CHECK(b3.why[4] == DropReason::LifetimeExpired);
        CHECK(sa.out->lifetime().bytes() == 4 * 128);
        CHECK(int(sa.out->lifetime().takeEvents()) == kEventHardLifetime);

        // Soft limit exactly on the burst boundary: the 8th packet reaches it,
        // so this burst raises it; with the limit at 9 only the next one does.
        for (uint64_t soft : {8u, 9u}) {
          o.lifetime = {.softPackets = soft};
          sa = makeSaPair(o, *eng, rng);
          Burst first(8), second(8);
          CHECK(send(*sa.out, 8, 100, first) == 8);
          CHECK(int(sa.out->lifetime().takeEvents()) == (soft == 8 ? kEventSoftLifetime : 0));
          CHECK(send(*sa.out, 8, 100, second) == 8);
          CHECK(int(sa.out->lifetime().takeEvents()) == (soft == 9 ? kEventSoftLifetime : 0));
        }
      }
    }
  }
}

TEST_CASE("esp burst: packet lifetimes on and around every burst boundary", "[esp][burst][lifetime]") {
  // Burst shapes: whole bursts of 8, uneven ones, and one that spans two
  // engine chunks (kBurstChunk = 32).
  const std::vector<std::vector<uint32_t>> shapes = {{8, 8, 8}, {3, 5, 1, 7}, {40}};
  const uint64_t softs[] = {0, 1, 5, 7, 8, 9, 24};
  const uint64_t hards[] = {0, 1, 5, 8, 9, 16, 35};
  std::mt19937 rng(12);
  for (const char* engineName : kEngines) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kOneTransformPerKind)
      for (Mode mode : kModes)
        for (Side side : {Side{Direction::Outbound}, Side{Direction::Inbound}})
          for (const auto& shape : shapes)
            for (uint64_t soft : softs)
              for (uint64_t hard : hards) {
                CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel, side.name(), shape, soft, hard);
                runScenario(*eng, t, mode, side, {.softPackets = soft, .hardPackets = hard},
                            randomSizes(shape, rng), rng);
              }
  }
}

TEST_CASE("esp burst: byte lifetimes crossed inside bursts", "[esp][burst][lifetime]") {
  // Fixed sizes, so the limits can be put on, just below and just above the
  // running totals. With the limit at c[5] + 200 the 1000-byte 6th packet is
  // refused and the 80-byte 7th, which would still fit, is refused too: a hard
  // limit stops the SA for good.
  const Bursts bursts = {{100, 300, 60, 500, 200, 1000, 80, 150}, {40, 700, 20, 90, 300, 10, 1200, 5}};
  std::mt19937 rng(13);
  for (const char* engineName : kEngines) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kOneTransformPerKind)
      for (Mode mode : kModes)
        for (Side side : {Side{Direction::Outbound}, Side{Direction::Inbound}}) {
          // c[k]: bytes the side charges for the first k packets.
          SaPairOptions o;
          o.mode = mode;
          std::vector<uint64_t> c{0};
          for (const auto& burst : bursts)
            for (uint32_t payload : burst) c.push_back(c.back() + chargedBytes(plainFor(o, payload, rng), side.limited, mode));
          const uint64_t hards[] = {0, c[4] - 1, c[4], c[4] + 1, c[5] + 200, c[6], c[8] - 1, c[8], c[8] + 1, c[13]};
          const uint64_t softs[] = {0, c[2] - 1, c[2], c[2] + 1, c[8] - 1, c[8], c[8] + 1};
          for (uint64_t hard : hards)
            for (uint64_t soft : softs) {
              CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel, side.name(), soft, hard);
              runScenario(*eng, t, mode, side, {.softBytes = soft, .hardBytes = hard}, bursts, rng);
            }
          // Packet and byte limits together: whichever comes first.
          for (uint64_t hardPackets : {3u, 5u, 9u}) {
            CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel, side.name(), hardPackets);
            runScenario(*eng, t, mode, side,
                        {.softBytes = c[3], .hardBytes = c[5] + 1, .softPackets = 2, .hardPackets = hardPackets},
                        bursts, rng);
          }
        }
  }
}

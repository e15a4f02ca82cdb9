// Outbound sequence numbers through the burst routine (RFC 4303 3.3.3): a
// burst reserves its numbers at once when the space allows and packet by
// packet when it ends inside the burst; numbers on the wire stay consecutive,
// the counter never cycles, the ESN high half advances across 2^32 inside a
// burst, and packets refused before numbering (malformed, no room) use no
// number. Both engines, every transform kind, tunnel and transport.
#include <thread>

#include "burst_fixture.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;
using namespace ipsecgw::test;

namespace {

constexpr uint64_t kSpace32 = UINT32_MAX;  // last number without ESN
constexpr uint64_t kSpace64 = UINT64_MAX;  // with ESN
// Where an SA without ESN asks for a rekey (security_association.hpp).
constexpr uint64_t kSoftMark = UINT32_MAX - (1u << 24);

struct Combo {
  const char* engine;
  Transform t;
  Mode mode;
};

template <typename Fn>
void forEachCombo(Fn&& fn) {
  for (const char* engineName : kEngines) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kOneTransformPerKind)
      for (Mode mode : kModes) {
        CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel);
        fn(*eng, Combo{engineName, t, mode});
      }
  }
}

SaPairOptions optionsOf(const Combo& c, bool esn) {
  SaPairOptions o;
  o.transform = c.t;
  o.mode = c.mode;
  o.esn = esn;
  return o;
}

// The survivors ptrs[0..n) carry `first`, first + 1, ... on the wire (low 32
// bits; and all 64 in the IV where the kind sends it).
void checkConsecutive(const Burst& b, uint32_t n, uint64_t first, Transform t) {
  for (uint32_t i = 0; i < n; ++i) {
    CHECK(wireSeq(*b.ptrs[i]) == static_cast<uint32_t>(first + i));
    if (ivIsSequence(t)) CHECK(wireIv64(*b.ptrs[i]) == first + i);
  }
}

}  // namespace

TEST_CASE("esp burst: the sequence space ends exactly inside a burst", "[esp][burst][seq]") {
  std::mt19937 rng(21);
  forEachCombo([&](CryptoEngine& eng, const Combo& c) {
    for (bool esn : {false, true}) {
      const uint64_t limit = esn ? kSpace64 : kSpace32;
      for (uint32_t burst : {8u, 40u}) {
        for (uint64_t room : {0u, 1u, 3u, 7u, 8u, 9u, 35u}) {
          CAPTURE(esn, burst, room);
          auto o = optionsOf(c, esn);
          auto sa = makeSaPair(o, eng, rng);
          const uint64_t start = limit - room;
          sa.out->setLastSequence(start);
          // The receiver has seen the packet before (the ESN it infers
          // depends on where its window is).
          REQUIRE(sa.in->replayWindow()->accept(start));

          Burst b(burst);
          std::vector<std::vector<uint8_t>> plain;
          for (uint32_t i = 0; i < burst; ++i) {
            plain.push_back(plainFor(o, rng() % 200, rng));
            b.add(plain.back());
          }
          const uint32_t fits = static_cast<uint32_t>(std::min<uint64_t>(room, burst));
          uint32_t n = b.encapsulate(*sa.out, eng);
          REQUIRE(n == fits);
          for (uint32_t i = 0; i < n; ++i) CHECK(b.origin(i) == i);
          for (uint32_t i = n; i < burst; ++i) {
            CHECK(b.origin(i) == i);
            CHECK(b.why[i] == DropReason::SeqOverflow);
            CHECK(b.bytes(i) == plain[i]);  // handed back untouched
          }
          checkConsecutive(b, n, start + 1, c.t);
          CHECK(sa.out->lastSequence() == start + fits);  // never past the limit, never wrapped
          CHECK(int(sa.out->lifetime().takeEvents()) == (room < burst ? kEventSeqExhausted : 0));
          CHECK(sa.out->counters().packets == n);
          CHECK(sa.out->counters().drops == burst - n);

          // The survivors decrypt, in order.
          REQUIRE(espDecapsulate(*sa.in, eng, {b.ptrs.data(), n}, {b.why.data(), n}) == n);
          for (uint32_t i = 0; i < n; ++i) CHECK(b.bytes(i) == plain[i]);
          CHECK(sa.in->replayWindow()->highest() == start + fits);

          // Once exhausted the SA refuses everything and says so once. The
          // event comes with the first refused packet, not with the last
          // number (as nextSequence() does it): a burst that uses the space
          // up exactly raises nothing, the next one does.
          if (room <= burst) {
            Burst again(3);
            for (int i = 0; i < 3; ++i) again.add(plainFor(o, 50, rng));
            CHECK(again.encapsulate(*sa.out, eng) == 0);
            for (int i = 0; i < 3; ++i) CHECK(again.why[i] == DropReason::SeqOverflow);
            CHECK(sa.out->lastSequence() == limit);
            CHECK(int(sa.out->lifetime().takeEvents()) == (room == burst ? kEventSeqExhausted : 0));
          }
        }
      }
    }
  });
}

TEST_CASE("esp burst: the ESN high half advances across 2^32 inside one burst", "[esp][burst][seq][esn]") {
  std::mt19937 rng(22);
  forEachCombo([&](CryptoEngine& eng, const Combo& c) {
    // before: how many packets of the burst still get a number below 2^32
    // (31/32/33 put the wrap on either side of the engine chunk boundary).
    const std::pair<uint32_t, uint32_t> cases[] = {{8, 1}, {8, 3}, {8, 7}, {40, 1}, {40, 31}, {40, 32}, {40, 33}};
    for (auto [burst, before] : cases) {
      {
        CAPTURE(burst, before);
        auto o = optionsOf(c, true);
        const uint32_t seed = rng();
        SaPair sa = makeMixedPair(o, o, eng, seed);
        const uint64_t start = (uint64_t{1} << 32) - 1 - before;  // packet i gets 2^32 - before + i
        sa.out->setLastSequence(start);
        REQUIRE(sa.in->replayWindow()->accept(start));
        Burst b(burst);
        std::vector<std::vector<uint8_t>> plain;
        for (uint32_t i = 0; i < burst; ++i) {
          plain.push_back(plainFor(o, rng() % 200, rng));
          b.add(plain.back());
        }
        REQUIRE(b.encapsulate(*sa.out, eng) == burst);
        checkConsecutive(b, burst, start + 1, c.t);
        CHECK(wireSeq(*b.ptrs[before - 1]) == UINT32_MAX);
        CHECK(wireSeq(*b.ptrs[before]) == 0);  // low half wrapped, high half now 1
        if (ivIsSequence(c.t)) CHECK(wireIv64(*b.ptrs[before]) >> 32 == 1);
        CHECK(sa.out->lastSequence() == start + burst);
        CHECK(sa.out->lifetime().takeEvents() == 0);  // no soft mark with ESN

        // The high half is authenticated though not sent (RFC 4303 2.2.1):
        // a receiver whose window puts the packets 2^32 later refuses them
        // all on the ICV...
        Burst copies(burst);
        for (uint32_t i = 0; i < burst; ++i) copies.add(b.bytes(i));
        SaPair wrong = makeMixedPair(o, o, eng, seed);  // same seed: same keys and SPI
        REQUIRE(wrong.in->replayWindow()->accept(start + (uint64_t{1} << 32)));
        CHECK(copies.decapsulate(*wrong.in, eng) == 0);
        for (uint32_t i = 0; i < burst; ++i) CHECK(copies.why[i] == DropReason::BadIcv);
        // ... while the right receiver accepts all, in order.
        REQUIRE(espDecapsulate(*sa.in, eng, {b.ptrs.data(), burst}, {b.why.data(), burst}) == burst);
        for (uint32_t i = 0; i < burst; ++i) CHECK(b.bytes(i) == plain[i]);
        CHECK(sa.in->replayWindow()->highest() == start + burst);
      }
    }
  });
}

TEST_CASE("esp burst: without ESN the rekey mark 2^32 - 2^24 raises soft once, inside or at the end of a burst",
          "[esp][burst][seq]") {
  std::mt19937 rng(23);
  forEachCombo([&](CryptoEngine& eng, const Combo& c) {
    for (uint64_t below : {1u, 3u, 7u, 8u, 9u}) {  // numbers left before the mark
      CAPTURE(below);
      auto o = optionsOf(c, false);
      auto sa = makeSaPair(o, eng, rng);
      sa.out->setLastSequence(kSoftMark - below);
      for (int round = 0; round < 2; ++round) {
        CAPTURE(round);
        Burst b(8);
        for (int i = 0; i < 8; ++i) b.add(plainFor(o, 64, rng));
        REQUIRE(b.encapsulate(*sa.out, eng) == 8);
        const bool reached = kSoftMark - below + 8 * (round + 1) >= kSoftMark;
        const bool reachedBefore = round > 0 && kSoftMark - below + 8 >= kSoftMark;
        CHECK(int(sa.out->lifetime().takeEvents()) == (reached && !reachedBefore ? kEventSoftLifetime : 0));
      }
    }
  });
}

TEST_CASE("esp burst: packets refused before numbering leave the others' numbers consecutive",
          "[esp][burst][seq][negative]") {
  // Each burst holds five good packets and three that cannot be protected.
  // Alone, and together with a lifetime or the sequence space that ends
  // inside the burst (the per-packet path), the bad ones keep their own
  // reasons, use no number, and the survivors decrypt in order.
  enum class Limit { None, Lifetime, Sequence };
  std::mt19937 rng(24);
  forEachCombo([&](CryptoEngine& eng, const Combo& c) {
    for (Limit limit : {Limit::None, Limit::Lifetime, Limit::Sequence}) {
      CAPTURE(int(limit));
      auto o = optionsOf(c, false);
      SaPairOptions limited = o;
      if (limit == Limit::Lifetime) limited.lifetime = {.hardPackets = 3};
      SaPair sa = makeMixedPair(limited, o, eng, rng());
      const uint64_t start = limit == Limit::Sequence ? kSpace32 - 3 : 0;
      sa.out->setLastSequence(start);
      if (start) REQUIRE(sa.in->replayWindow()->accept(start));
      const uint32_t headroom = sa.out->headerOverhead();

      Burst b(8);
      std::vector<std::vector<uint8_t>> plain;
      std::vector<DropReason> early(8, DropReason::None);  // refusals before numbering
      for (uint32_t i = 0; i < 8; ++i) {
        plain.push_back(plainFor(o, 100 + i, rng));
        if (i == 1) {
          b.add(plain[i], headroom - 1);  // one byte short of the ESP header
          early[i] = DropReason::NoHeadroom;
        } else if (i == 4) {
          plain[i][0] = 0x00;  // not IP
          b.add(plain[i]);
          early[i] = DropReason::UnsupportedProtocol;
        } else if (i == 6) {
          b.add(plain[i], 128, 0);  // no room for the trailer and ICV
          early[i] = DropReason::NoHeadroom;
        } else {
          b.add(plain[i], headroom);  // exactly enough
        }
      }
      uint32_t n = b.encapsulate(*sa.out, eng);

      // Good packets, in order: 0 2 3 5 7. Which of them pass:
      const std::vector<size_t> good = {0, 2, 3, 5, 7};
      const size_t pass = limit == Limit::None ? 5 : 3;
      const DropReason late = limit == Limit::Lifetime ? DropReason::LifetimeExpired : DropReason::SeqOverflow;
      REQUIRE(n == pass);
      std::vector<size_t> failed;
      std::vector<DropReason> failedWhy;
      for (size_t i = 0; i < 8; ++i) {
        auto g = std::find(good.begin(), good.end(), i);
        if (g == good.end()) {
          failed.push_back(i);
          failedWhy.push_back(early[i]);
        } else if (size_t(g - good.begin()) >= pass) {
          failed.push_back(i);
          failedWhy.push_back(late);
        }
      }
      for (size_t i = 0; i < n; ++i) CHECK(b.origin(i) == good[i]);
      for (size_t i = n; i < 8; ++i) {
        CHECK(b.origin(i) == failed[i - n]);
        CHECK(b.why[i] == failedWhy[i - n]);
        CHECK(b.bytes(i) == plain[b.origin(i)]);  // untouched
      }
      checkConsecutive(b, n, start + 1, c.t);
      // Only good packets were numbered; with a lifetime the refused good
      // ones still used theirs.
      CHECK(sa.out->lastSequence() == (limit == Limit::Sequence ? kSpace32 : start + good.size()));

      REQUIRE(espDecapsulate(*sa.in, eng, {b.ptrs.data(), n}, {b.why.data(), n}) == n);
      for (size_t i = 0; i < n; ++i) CHECK(b.bytes(i) == plain[good[i]]);
      CHECK(sa.out->counters().drops == 8 - n);
    }
  });
}

// Several workers may reach one outbound SA (inner flows spread over RX
// queues): their reservations never hand out the same number twice, and
// together they use the space without a gap.
TEST_CASE("esp: concurrent sequence reservations never overlap", "[esp][seq]") {
  auto eng = crypto::makeEngine("openssl");
  REQUIRE(eng);
  SaPairOptions o;
  o.esn = true;
  std::mt19937 rng(5);
  SaPair sa = makeSaPair(o, *eng, rng);
  constexpr int kThreads = 4, kBursts = 20000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kBursts; ++i) {
        const uint64_t n = 1 + (i + t) % 32;
        uint64_t first = 0;
        if (!sa.out->reserveSequences(n, first)) return;
        for (uint64_t k = 0; k < n; ++k) got[t].push_back(first + k);
      }
    });
  for (auto& th : threads) th.join();
  std::vector<uint64_t> all;
  for (auto& g : got) all.insert(all.end(), g.begin(), g.end());
  std::sort(all.begin(), all.end());
  REQUIRE(!all.empty());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // no number twice
  CHECK(all.front() == 1);
  CHECK(all.back() == all.size());  // and none skipped
  CHECK(sa.out->lastSequence() == all.size());
}

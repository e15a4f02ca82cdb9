// One inbound burst mixing good, replayed, forged and truncated packets: each
// gets its own reason, the replay window moves only for authentic packets
// (RFC 4303 3.4.3), and the SA's counters are exact. Both engines, every
// transform kind, tunnel and transport, with and without ESN.
#include "burst_fixture.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;
using namespace ipsecgw::test;

namespace {

// Sends `count` packets through `out` in one burst and returns them as wire
// bytes with their plaintexts.
void sendBurst(SecurityAssociation& out, CryptoEngine& eng, const SaPairOptions& o, uint32_t count, std::mt19937& rng,
               std::vector<std::vector<uint8_t>>& wire, std::vector<std::vector<uint8_t>>& plain) {
  Burst b(count);
  for (uint32_t i = 0; i < count; ++i) {
    plain.push_back(plainFor(o, 40 + rng() % 400, rng));
    b.add(plain.back());
  }
  REQUIRE(b.encapsulate(out, eng) == count);
  for (uint32_t i = 0; i < count; ++i) wire.push_back(b.bytes(i));
}

// The packet's IP header reduced to `len` bytes with a consistent length
// field (the truncation is the ESP layer's to find, not the IP layer's).
std::vector<uint8_t> truncated(const std::vector<uint8_t>& pkt, uint32_t len) {
  std::vector<uint8_t> cut(pkt.begin(), pkt.begin() + len);
  storeBe16(cut.data() + ip::kV4TotalLen, static_cast<uint16_t>(len));
  return cut;
}

}  // namespace

TEST_CASE("esp burst: inbound verdicts per packet in a mixed burst", "[esp][burst][inbound]") {
  std::mt19937 rng(31);
  for (const char* engineName : kEngines) {
    auto eng = crypto::makeEngine(engineName);
    REQUIRE(eng);
    for (Transform t : kOneTransformPerKind)
      for (Mode mode : kModes)
        for (bool esn : {false, true}) {
          CAPTURE(engineName, transformInfo(t).name, mode == Mode::Tunnel, esn);
          SaPairOptions o;
          o.transform = t;
          o.mode = mode;
          o.esn = esn;
          auto sa = makeSaPair(o, *eng, rng);
          REQUIRE(sa.out);
          REQUIRE(sa.in);
          // With ESN, numbers 1..12 sit across 2^32 (the receiver has seen
          // the packet before the first).
          const uint64_t base = esn ? (uint64_t{1} << 32) - 6 : 0;
          sa.out->setLastSequence(base);
          if (esn) REQUIRE(sa.in->replayWindow()->accept(base));

          std::vector<std::vector<uint8_t>> wire, plain;  // wire[k] has sequence number base + k + 1
          sendBurst(*sa.out, *eng, o, 12, rng, wire, plain);

          // An earlier burst delivered #2.
          {
            Burst early(1);
            early.add(wire[1]);
            REQUIRE(early.decapsulate(*sa.in, *eng) == 1);
          }
          const uint64_t packetsBefore = sa.in->counters().packets;
          const uint64_t bytesBefore = sa.in->counters().bytes;

          auto forged = [](std::vector<uint8_t> w) {
            w.back() ^= 0x01;  // last ICV byte
            return w;
          };
          const uint32_t outerHeader = 20;  // IPv4 in both modes here
          struct Entry {
            std::vector<uint8_t> bytes;
            DropReason expect;
            int plainOf;  // index into plain when it passes, else -1
          };
          const std::vector<Entry> entries = {
              {wire[0], DropReason::None, 0},                                  // #1
              {wire[1], DropReason::Replay, -1},                               // #2 again: seen before
              {forged(wire[2]), DropReason::BadIcv, -1},                       // #3 forged
              {wire[3], DropReason::None, 3},                                  // #4
              {truncated(wire[4], outerHeader + 8), DropReason::EspShort, -1},  // ESP header only
              {wire[2], DropReason::None, 2},                                  // #3 genuine, after the forgery
              {wire[3], DropReason::Replay, -1},                               // #4 twice in one burst
              {forged(wire[11]), DropReason::BadIcv, -1},                      // #12 forged: far right
              {wire[6], DropReason::None, 6},                                  // #7
              {truncated(wire[5], outerHeader + 3), DropReason::EspShort, -1},  // not even an ESP header
              {wire[9], DropReason::None, 9},                                  // #10
              {forged(wire[4]), DropReason::BadIcv, -1},                       // #5 forged
          };
          Burst b(entries.size());
          for (const auto& e : entries) b.add(e.bytes);
          uint32_t n = b.decapsulate(*sa.in, *eng);

          std::vector<size_t> good, bad;
          for (size_t i = 0; i < entries.size(); ++i) (entries[i].expect == DropReason::None ? good : bad).push_back(i);
          REQUIRE(n == good.size());
          uint64_t bytes = 0;
          for (size_t i = 0; i < n; ++i) {
            CHECK(b.origin(i) == good[i]);
            CHECK(b.why[i] == DropReason::None);
            const auto& p = plain[entries[good[i]].plainOf];
            CHECK(b.bytes(i) == p);
            bytes += chargedBytes(p, Direction::Inbound, mode);
          }
          for (size_t i = n; i < b.size(); ++i) {
            CHECK(b.origin(i) == bad[i - n]);
            CHECK(b.why[i] == entries[bad[i - n]].expect);
          }
          CHECK(sa.in->counters().packets == packetsBefore + n);
          CHECK(sa.in->counters().bytes == bytesBefore + bytes);
          CHECK(sa.in->counters().drops == b.size() - n);
          CHECK(sa.in->lifetime().packets() == packetsBefore + n);

          // The window moved for #1 #3 #4 #7 #10 only: its top is #10 (not
          // the forged #12), and the forged #5 did not mark #5 as seen.
          const ReplayWindow& w = *sa.in->replayWindow();
          CHECK(w.highest() == base + 10);
          CHECK(w.receivedInWindow() == (esn ? 1u : 0u) + 6);  // + #2, + the primed one with ESN
          Burst later(4);
          for (int k : {4, 11, 7, 0}) later.add(wire[k]);  // #5 #12 #8 fresh, #1 replayed
          CHECK(later.decapsulate(*sa.in, *eng) == 3);
          CHECK(later.why[3] == DropReason::Replay);
          CHECK(w.highest() == base + 12);
        }
  }
}

// IPv4 fragmentation: every fragment fits, offsets and MF chain up, headers
// verify, copied options only after the first, and the pieces put back
// together give the original payload. Hostile headers are refused.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "common/packet_builder.hpp"
#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ipv4_fragment.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;

namespace {

std::vector<uint8_t> udpV4(uint32_t payload, bool df, uint32_t seed = 3) {
  std::mt19937 rng(seed);
  return test::makeIpPacket(*IpAddress::parse("10.0.1.10"), *IpAddress::parse("10.0.2.10"), ip::kProtoUdp, payload,
                            rng, df);
}

std::vector<std::vector<uint8_t>> fragmentAll(const std::vector<uint8_t>& p, uint32_t mtu) {
  Ipv4FragmentPlan plan;
  REQUIRE(planIpv4Fragments(p, mtu, plan) == DropReason::None);
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t i = 0; i < plan.count; ++i) {
    std::vector<uint8_t> f(mtu);
    uint32_t n = writeIpv4Fragment(p, plan, i, f);
    REQUIRE(n > 0);
    REQUIRE(n <= mtu);
    f.resize(n);
    out.push_back(f);
  }
  std::vector<uint8_t> spare(mtu);
  CHECK(writeIpv4Fragment(p, plan, plan.count, spare) == 0);
  return out;
}

// Reassembles by offset as a receiver would (RFC 815), checking that the
// fragments leave no hole and that only the last clears MF.
std::vector<uint8_t> payloadOf(const std::vector<std::vector<uint8_t>>& frags, uint16_t firstOffset = 0) {
  std::map<uint32_t, std::vector<uint8_t>> byOffset;
  for (size_t i = 0; i < frags.size(); ++i) {
    const auto& f = frags[i];
    const uint32_t ihl = (f[0] & 0x0f) * 4u;
    CHECK(ipv4HeaderChecksum(f.data(), ihl) == 0);
    CHECK(loadBe16(&f[ip::kV4TotalLen]) == f.size());
    CHECK(loadBe16(&f[ip::kV4Id]) == loadBe16(&frags[0][ip::kV4Id]));
    const uint16_t frag = loadBe16(&f[ip::kV4Frag]);
    if (i + 1 < frags.size()) {
      CHECK((frag & ip::kV4FlagMf) != 0);
      CHECK((f.size() - ihl) % 8 == 0);
    }
    byOffset[(frag & ip::kV4FragOffsetMask) * 8u] = {f.begin() + ihl, f.end()};
  }
  std::vector<uint8_t> payload;
  for (auto& [off, bytes] : byOffset) {
    CHECK(off == firstOffset * 8u + payload.size());
    payload.insert(payload.end(), bytes.begin(), bytes.end());
  }
  return payload;
}

}  // namespace

TEST_CASE("a 3000-byte datagram through a 1446-byte tunnel MTU", "[net][frag]") {
  auto p = udpV4(2972, false);
  REQUIRE(p.size() == 3000);
  auto frags = fragmentAll(p, 1446);
  REQUIRE(frags.size() == 3);
  CHECK(frags[0].size() == 20 + 1424);
  CHECK(frags[1].size() == 20 + 1424);
  CHECK(frags[2].size() == 20 + 2980 - 2 * 1424);
  CHECK(loadBe16(&frags[1][ip::kV4Frag]) == (ip::kV4FlagMf | 178));
  CHECK((loadBe16(&frags[2][ip::kV4Frag]) & ip::kV4FlagMf) == 0);
  CHECK(payloadOf(frags) == std::vector<uint8_t>(p.begin() + 20, p.end()));
}

TEST_CASE("fragmentation: DF, fitting packets, tiny MTUs, hostile offsets", "[net][frag]") {
  Ipv4FragmentPlan plan;
  CHECK(planIpv4Fragments(udpV4(2000, true), 1446, plan) == DropReason::MtuExceeded);
  REQUIRE(planIpv4Fragments(udpV4(1000, true), 1446, plan) == DropReason::None);
  CHECK(plan.count == 1);
  CHECK(planIpv4Fragments(udpV4(2000, false), 27, plan) == DropReason::MtuExceeded);
  REQUIRE(planIpv4Fragments(udpV4(2000, false), 28, plan) == DropReason::None);
  CHECK(plan.chunk == 8);

  auto hostile = udpV4(2000, false);
  storeBe16(&hostile[ip::kV4Frag], 8000);  // 64000 + 2008 > 65535
  CHECK(planIpv4Fragments(hostile, 1446, plan) == DropReason::Malformed);
  std::mt19937 rng(1);
  auto v6 = test::makeIpPacket(*IpAddress::parse("fd00::1"), *IpAddress::parse("fd00::2"), ip::kProtoUdp, 2000, rng);
  CHECK(planIpv4Fragments(v6, 1446, plan) == DropReason::Malformed);
  std::vector<uint8_t> truncated(hostile.begin(), hostile.begin() + 100);
  CHECK(planIpv4Fragments(truncated, 1446, plan) == DropReason::Malformed);

  REQUIRE(planIpv4Fragments(udpV4(2000, false), 1446, plan) == DropReason::None);
  auto p = udpV4(2000, false);
  std::vector<uint8_t> small(1000);
  CHECK(writeIpv4Fragment(p, plan, 0, small) == 0);  // output too small
  std::vector<uint8_t> big(1500);
  CHECK(writeIpv4Fragment(truncated, plan, 0, big) == 0);
}

TEST_CASE("fragmenting a fragment keeps its offset and its MF", "[net][frag]") {
  auto p = udpV4(2000, false);
  storeBe16(&p[ip::kV4Frag], ip::kV4FlagMf | 100);
  storeBe16(&p[ip::kV4Checksum], 0);
  storeBe16(&p[ip::kV4Checksum], ipv4HeaderChecksum(p.data(), 20));
  auto frags = fragmentAll(p, 1000);
  REQUIRE(frags.size() == 3);
  CHECK((loadBe16(&frags[0][ip::kV4Frag]) & ip::kV4FragOffsetMask) == 100);
  CHECK((loadBe16(&frags[2][ip::kV4Frag]) & ip::kV4FlagMf) != 0);
  CHECK(payloadOf(frags, 100) == std::vector<uint8_t>(p.begin() + 20, p.end()));
}

TEST_CASE("options: all in the first fragment, only copied ones after (RFC 791 3.1)", "[net][frag]") {
  auto base = udpV4(1600, false);
  // Record route (7, not copied), router alert (0x94, copied), end of list.
  const uint8_t options[12] = {7, 7, 4, 0, 0, 0, 0, 0x94, 4, 0, 0, 0};
  std::vector<uint8_t> p(base.begin(), base.begin() + 20);
  p.insert(p.end(), options, options + 12);
  p.insert(p.end(), base.begin() + 20, base.end());
  p[0] = 0x48;
  storeBe16(&p[ip::kV4TotalLen], static_cast<uint16_t>(p.size()));
  storeBe16(&p[ip::kV4Checksum], 0);
  storeBe16(&p[ip::kV4Checksum], ipv4HeaderChecksum(p.data(), 32));
  auto frags = fragmentAll(p, 1000);
  REQUIRE(frags.size() == 2);
  CHECK(frags[0][0] == 0x48);
  CHECK(std::equal(p.begin() + 20, p.begin() + 32, frags[0].begin() + 20));
  CHECK(frags[1][0] == 0x46);  // 20 + router alert
  CHECK(std::equal(options + 7, options + 11, frags[1].begin() + 20));
  CHECK(payloadOf(frags) == std::vector<uint8_t>(base.begin() + 20, base.end()));

  auto bad = p;
  bad[20 + 1] = 40;  // option longer than the header
  Ipv4FragmentPlan plan;
  CHECK(planIpv4Fragments(bad, 1000, plan) == DropReason::Malformed);
}

TEST_CASE("random sizes and MTUs reassemble to the original", "[net][frag]") {
  std::mt19937 rng(11);
  for (int i = 0; i < 200; ++i) {
    const uint32_t payload = 8 + rng() % 9000;
    const uint32_t mtu = 68 + rng() % 1500;
    auto p = udpV4(payload, false, rng());
    auto frags = fragmentAll(p, mtu);
    CHECK(frags.size() == (p.size() <= mtu ? 1 : (p.size() - 20 + ((mtu - 20) & ~7u) - 1) / ((mtu - 20) & ~7u)));
    CHECK(payloadOf(frags) == std::vector<uint8_t>(p.begin() + 20, p.end()));
  }
}

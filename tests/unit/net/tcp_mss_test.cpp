// MSS clamping: the option is lowered, never raised, and the incremental
// checksum update equals a full recomputation, at both option alignments.
#include <catch2/catch.hpp>

#include <vector>

#include "net/checksum.hpp"
#include "net/tcp_mss.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;

namespace {

// IPv4 + TCP SYN with `nops` NOPs before the MSS option.
std::vector<uint8_t> synV4(uint16_t mss, int nops, uint8_t flags = 0x02) {
  const uint32_t optLen = (nops + 4 + 3) / 4 * 4;
  std::vector<uint8_t> p(20 + 20 + optLen, 0);
  p[0] = 0x45;
  storeBe16(p.data() + 2, static_cast<uint16_t>(p.size()));
  p[8] = 64;
  p[9] = 6;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  uint8_t* t = p.data() + 20;
  storeBe16(t, 40000);
  storeBe16(t + 2, 80);
  t[12] = static_cast<uint8_t>(((20 + optLen) / 4) << 4);
  t[13] = flags;
  for (int i = 0; i < nops; ++i) t[20 + i] = 1;
  t[20 + nops] = 2;
  t[21 + nops] = 4;
  storeBe16(t + 22 + nops, mss);
  return p;
}

uint16_t tcpChecksumV4(std::vector<uint8_t> p) {
  uint8_t* t = p.data() + 20;
  storeBe16(t + 16, 0);
  uint32_t tcpLen = static_cast<uint32_t>(p.size() - 20);
  uint8_t pseudo[12] = {p[12], p[13], p[14], p[15], p[16], p[17], p[18], p[19], 0, 6,
                        static_cast<uint8_t>(tcpLen >> 8), static_cast<uint8_t>(tcpLen)};
  return checksumFinish(checksumPartial(t, tcpLen, checksumPartial(pseudo, 12)));
}

}  // namespace

TEST_CASE("mss: clamped at both alignments with a checksum that verifies", "[mss]") {
  for (int nops = 0; nops < 4; ++nops) {
    CAPTURE(nops);
    auto p = synV4(1460, nops);
    storeBe16(p.data() + 20 + 16, tcpChecksumV4(p));
    REQUIRE(clampTcpMss(p.data(), static_cast<uint32_t>(p.size()), 1360));
    CHECK(loadBe16(p.data() + 20 + 22 + nops) == 1360);
    CHECK(loadBe16(p.data() + 20 + 16) == tcpChecksumV4(p));
  }
}

TEST_CASE("mss: left alone when small enough, not a SYN, or not TCP", "[mss]") {
  auto small = synV4(1200, 0);
  auto before = small;
  CHECK_FALSE(clampTcpMss(small.data(), static_cast<uint32_t>(small.size()), 1360));
  CHECK(small == before);
  auto ack = synV4(1460, 0, 0x10);
  CHECK_FALSE(clampTcpMss(ack.data(), static_cast<uint32_t>(ack.size()), 1360));
  auto udp = synV4(1460, 0);
  udp[9] = 17;
  CHECK_FALSE(clampTcpMss(udp.data(), static_cast<uint32_t>(udp.size()), 1360));
  // Every truncation is safe.
  auto p = synV4(1460, 1);
  for (uint32_t len = 0; len < p.size(); ++len) {
    auto q = p;
    clampTcpMss(q.data(), len, 1360);
  }
}

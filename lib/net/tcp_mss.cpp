#include "net/tcp_mss.hpp"

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw {

namespace {
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptMss = 2;
}  // namespace

bool clampTcpMss(uint8_t* ip, uint32_t len, uint16_t maxMss) {
  uint32_t l4;
  if (len >= ip::kIpv4MinHeader && (ip[0] >> 4) == 4) {
    l4 = (ip[0] & 0x0f) * 4u;
    uint16_t frag = loadBe16(ip + ip::kV4Frag);
    if (ip[ip::kV4Proto] != ip::kProtoTcp || (frag & ip::kV4FragOffsetMask) != 0) return false;
  } else if (len >= ip::kIpv6Header && (ip[0] >> 4) == 6) {
    l4 = ip::kIpv6Header;
    if (ip[ip::kV6NextHeader] != ip::kProtoTcp) return false;
  } else {
    return false;
  }
  if (len < l4 + 20) return false;
  uint8_t* tcp = ip + l4;
  if ((tcp[13] & kTcpSyn) == 0) return false;
  const uint32_t dataOffset = (tcp[12] >> 4) * 4u;
  if (dataOffset < 20 || l4 + dataOffset > len) return false;
  for (uint32_t off = 20; off < dataOffset;) {
    const uint8_t kind = tcp[off];
    if (kind == kOptEnd) return false;
    if (kind == kOptNop) {
      ++off;
      continue;
    }
    if (off + 1 >= dataOffset) return false;
    const uint8_t optLen = tcp[off + 1];
    if (optLen < 2 || off + optLen > dataOffset) return false;
    if (kind == kOptMss && optLen == 4) {
      const uint16_t mss = loadBe16(tcp + off + 2);
      if (mss <= maxMss) return false;
      // The MSS sits at an even offset from the TCP header only when
      // preceded by an even number of bytes; RFC 1624 works on 16-bit words,
      // so update the word(s) it occupies.
      if ((off + 2) % 2 == 0) {
        storeBe16(tcp + 16, checksumUpdate16(loadBe16(tcp + 16), mss, maxMss));
      } else {
        // Odd alignment: the MSS straddles two checksum words.
        const uint32_t w = off + 1;  // even offset of the first word
        uint16_t oldA = loadBe16(tcp + w), oldB = loadBe16(tcp + w + 2);
        storeBe16(tcp + off + 2, maxMss);
        uint16_t c = checksumUpdate16(loadBe16(tcp + 16), oldA, loadBe16(tcp + w));
        c = checksumUpdate16(c, oldB, loadBe16(tcp + w + 2));
        storeBe16(tcp + 16, c);
        return true;
      }
      storeBe16(tcp + off + 2, maxMss);
      return true;
    }
    off += optLen;
  }
  return false;
}

}  // namespace ipsecgw

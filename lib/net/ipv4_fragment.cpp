#include "net/ipv4_fragment.hpp"

#include <algorithm>
#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "net/ip_layout.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw {

namespace {

constexpr uint8_t kOptEnd = 0, kOptNop = 1, kOptCopied = 0x80;

// Visits the options of an IPv4 header (RFC 791 3.1): fn(offset, length) for
// each option; false if an option's length runs past the header.
template <typename Fn>
bool forEachOption(const uint8_t* h, uint32_t headerLen, Fn&& fn) {
  for (uint32_t off = ip::kIpv4MinHeader; off < headerLen;) {
    const uint8_t type = h[off];
    if (type == kOptEnd) return true;
    if (type == kOptNop) {
      fn(off, 1u);
      ++off;
      continue;
    }
    if (off + 2 > headerLen || h[off + 1] < 2 || off + h[off + 1] > headerLen) return false;
    fn(off, uint32_t{h[off + 1]});
    off += h[off + 1];
  }
  return true;
}

// The header of a later fragment: the fixed part, then the copied options,
// padded with end-of-option bytes to a multiple of 4. Returns its length.
uint32_t writeLaterHeader(const uint8_t* h, uint32_t headerLen, uint8_t* out) {
  std::memcpy(out, h, ip::kIpv4MinHeader);
  uint32_t len = ip::kIpv4MinHeader;
  forEachOption(h, headerLen, [&](uint32_t off, uint32_t optLen) {
    if (h[off] & kOptCopied) {
      std::memcpy(out + len, h + off, optLen);
      len += optLen;
    }
  });
  while (len % 4) out[len++] = kOptEnd;
  return len;
}

}  // namespace

DropReason planIpv4Fragments(std::span<const uint8_t> packet, uint32_t mtu, Ipv4FragmentPlan& plan) {
  IpLayout lay;
  if (locateUpperLayer(packet, lay) != DropReason::None || lay.family != IpFamily::V4) return DropReason::Malformed;
  const uint8_t* h = packet.data();
  uint32_t copied = 0;
  if (!forEachOption(h, lay.headerLen, [&](uint32_t off, uint32_t optLen) {
        if (h[off] & kOptCopied) copied += optLen;
      }))
    return DropReason::Malformed;
  plan.firstHeaderLen = lay.headerLen;
  plan.laterHeaderLen = ip::kIpv4MinHeader + (copied + 3) / 4 * 4;
  plan.payloadLen = lay.totalLen - lay.headerLen;
  // Offsets of the fragments must stay inside the 13-bit field (a hostile
  // fragment could claim an offset near its end).
  if ((loadBe16(h + ip::kV4Frag) & ip::kV4FragOffsetMask) * 8u + plan.payloadLen > 0xffff)
    return DropReason::Malformed;
  if (lay.totalLen <= mtu) {
    plan.chunk = plan.payloadLen;
    plan.count = 1;
    return DropReason::None;
  }
  if (loadBe16(h + ip::kV4Frag) & ip::kV4FlagDf) return DropReason::MtuExceeded;
  if (mtu < plan.firstHeaderLen + 8) return DropReason::MtuExceeded;
  // The first fragment has the longer header, so its room sets the chunk.
  plan.chunk = (mtu - plan.firstHeaderLen) & ~7u;
  plan.count = (plan.payloadLen + plan.chunk - 1) / plan.chunk;
  return DropReason::None;
}

uint32_t writeIpv4Fragment(std::span<const uint8_t> packet, const Ipv4FragmentPlan& plan, uint32_t index,
                           std::span<uint8_t> out) {
  if (index >= plan.count || packet.size() < plan.firstHeaderLen + plan.payloadLen) return 0;
  const uint8_t* h = packet.data();
  const uint32_t start = index * plan.chunk;
  const uint32_t len = std::min(plan.chunk, plan.payloadLen - start);
  const uint32_t headerLen = index == 0 ? plan.firstHeaderLen : plan.laterHeaderLen;
  if (out.size() < headerLen + len) return 0;
  uint8_t* o = out.data();
  if (index == 0)
    std::memcpy(o, h, headerLen);
  else
    writeLaterHeader(h, plan.firstHeaderLen, o);
  std::memcpy(o + headerLen, h + plan.firstHeaderLen + start, len);
  o[0] = static_cast<uint8_t>(0x40 | headerLen / 4);
  const uint16_t frag = loadBe16(h + ip::kV4Frag);
  const bool last = index + 1 == plan.count;
  const uint16_t offset = static_cast<uint16_t>((frag & ip::kV4FragOffsetMask) + start / 8);
  // The last fragment keeps the original's MF: the original may itself be a
  // fragment that is not the last one.
  const uint16_t mf = last ? (frag & ip::kV4FlagMf) : ip::kV4FlagMf;
  storeBe16(o + ip::kV4Frag, static_cast<uint16_t>(mf | offset));
  storeBe16(o + ip::kV4TotalLen, static_cast<uint16_t>(headerLen + len));
  storeBe16(o + ip::kV4Checksum, 0);
  storeBe16(o + ip::kV4Checksum, ipv4HeaderChecksum(o, headerLen));
  return headerLen + len;
}

}  // namespace ipsecgw

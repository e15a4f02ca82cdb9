#include "frames.hpp"

#include <charconv>
#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::trafficgen {

namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeArp = 0x0806;

void writeEthernet(uint8_t* p, const Mac& dst, const Mac& src, uint16_t type) {
  std::memcpy(p, dst.data(), 6);
  std::memcpy(p + 6, src.data(), 6);
  storeBe16(p + 12, type);
}

}  // namespace

std::optional<Mac> parseMac(std::string_view text) {
  Mac mac{};
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < 6; ++i) {
    const char* first = text.data() + 3 * i;
    if (i < 5 && first[2] != ':') return std::nullopt;
    auto [end, ec] = std::from_chars(first, first + 2, mac[i], 16);
    if (ec != std::errc() || end != first + 2) return std::nullopt;
  }
  return mac;
}

std::vector<uint32_t> parseSizes(std::string_view text) {
  if (text == "imix") {
    // 7 x 64, 4 x 576, 1 x 1420, spread over the 12 slots.
    return {64, 576, 64, 64, 576, 64, 1420, 64, 576, 64, 576, 64};
  }
  std::vector<uint32_t> sizes;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (ec != std::errc() || end != item.data() + item.size() || v < kMinFrame || v > kMaxFrame) return {};
    sizes.push_back(v);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return sizes;
}

std::vector<uint8_t> buildUdpFrame(const FlowSpec& flow, uint32_t frameLen) {
  if (frameLen < kMinFrame || frameLen > kMaxFrame) return {};  // parseSizes keeps sizes in range
  std::vector<uint8_t> f(frameLen, 0);
  writeEthernet(f.data(), flow.dstMac, flow.srcMac, kEtherTypeIpv4);
  uint8_t* ip = f.data() + kEthHeader;
  const uint16_t ipLen = static_cast<uint16_t>(frameLen - kEthHeader);
  ip[0] = 0x45;
  storeBe16(ip + ip::kV4TotalLen, ipLen);
  ip[ip::kV4Ttl] = 64;
  ip[ip::kV4Proto] = ip::kProtoUdp;
  std::memcpy(ip + ip::kV4Src, flow.srcIp.bytes.data(), 4);
  std::memcpy(ip + ip::kV4Dst, flow.dstIp.bytes.data(), 4);
  storeBe16(ip + ip::kV4Checksum, ipv4HeaderChecksum(ip, 20));
  uint8_t* udp = ip + 20;
  storeBe16(udp, flow.srcPort);
  storeBe16(udp + 2, flow.dstPort);
  storeBe16(udp + 4, static_cast<uint16_t>(ipLen - 20));
  for (uint32_t i = kMinFrame; i < frameLen; ++i) f[i] = static_cast<uint8_t>(i);  // a visible payload pattern
  return f;
}

std::vector<uint8_t> buildArpRequest(const Mac& senderMac, const IpAddress& senderIp, const IpAddress& targetIp) {
  std::vector<uint8_t> f(60, 0);  // padded to the Ethernet minimum
  const Mac broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  writeEthernet(f.data(), broadcast, senderMac, kEtherTypeArp);
  uint8_t* a = f.data() + kEthHeader;
  storeBe16(a, 1);               // hardware type: Ethernet
  storeBe16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  storeBe16(a + 6, 1);           // request
  std::memcpy(a + 8, senderMac.data(), 6);
  std::memcpy(a + 14, senderIp.bytes.data(), 4);
  std::memcpy(a + 24, targetIp.bytes.data(), 4);
  return f;
}

}  // namespace ipsecgw::trafficgen

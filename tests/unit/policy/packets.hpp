// Hand-built IPv4/IPv6 packets for the policy tests: options, extension
// header chains, fragments. Checksums are not filled in; the parsers under
// test do not read them. Test code only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/ip.hpp"
#include "net/ip_address.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::test {

inline IpAddress addr(const char* text) { return *IpAddress::parse(text); }
inline IpPrefix prefix(const char* text) { return *IpPrefix::parse(text); }

// A TCP/UDP-like upper-layer header: ports, then zeros up to `len` bytes.
inline std::vector<uint8_t> l4Ports(uint16_t srcPort, uint16_t dstPort, size_t len = 8) {
  std::vector<uint8_t> b(len < 4 ? 4 : len);
  storeBe16(b.data(), srcPort);
  storeBe16(b.data() + 2, dstPort);
  b.resize(len);
  return b;
}

// An ICMP/ICMPv6 header: type, code, checksum, 4 bytes rest.
inline std::vector<uint8_t> icmp(uint8_t type, uint8_t code) { return {type, code, 0, 0, 0, 0, 0, 0}; }

// `options` must be a multiple of 4 bytes; `frag` is the flags/offset field.
inline std::vector<uint8_t> ipv4(const char* src, const char* dst, uint8_t proto, const std::vector<uint8_t>& payload,
                                 const std::vector<uint8_t>& options = {}, uint16_t frag = 0) {
  size_t ihl = ip::kIpv4MinHeader + options.size();
  std::vector<uint8_t> p(ihl + payload.size());
  p[0] = static_cast<uint8_t>(0x40 | (ihl / 4));
  storeBe16(p.data() + ip::kV4TotalLen, static_cast<uint16_t>(p.size()));
  storeBe16(p.data() + ip::kV4Frag, frag);
  p[ip::kV4Ttl] = 64;
  p[ip::kV4Proto] = proto;
  auto s = addr(src), d = addr(dst);
  std::copy_n(s.bytes.begin(), 4, p.begin() + ip::kV4Src);
  std::copy_n(d.bytes.begin(), 4, p.begin() + ip::kV4Dst);
  std::copy(options.begin(), options.end(), p.begin() + ip::kIpv4MinHeader);
  std::copy(payload.begin(), payload.end(), p.begin() + static_cast<long>(ihl));
  return p;
}

struct Ext {
  uint8_t type;
  std::vector<uint8_t> bytes;  // whole header; byte 0 (Next Header) is filled in by ipv6()
};
// Hop-by-Hop / Destination Options / Routing header of (len8 + 1) * 8 bytes,
// padded with Pad1 options (zero bytes).
inline Ext extOptions(uint8_t type, uint8_t len8 = 0) {
  Ext e{type, std::vector<uint8_t>((len8 + 1u) * 8u)};
  e.bytes[1] = len8;
  return e;
}
inline Ext extFragment(uint16_t offset8, bool more) {
  Ext e{ip::kExtFragment, std::vector<uint8_t>(8)};
  storeBe16(e.bytes.data() + 2, static_cast<uint16_t>((offset8 << 3) | (more ? 1 : 0)));
  storeBe32(e.bytes.data() + 4, 0x12345678);
  return e;
}

inline std::vector<uint8_t> ipv6(const char* src, const char* dst, std::vector<Ext> exts, uint8_t proto,
                                 const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p(ip::kIpv6Header);
  p[0] = 0x60;
  p[ip::kV6HopLimit] = 64;
  auto s = addr(src), d = addr(dst);
  std::copy(s.bytes.begin(), s.bytes.end(), p.begin() + ip::kV6Src);
  std::copy(d.bytes.begin(), d.bytes.end(), p.begin() + ip::kV6Dst);
  p[ip::kV6NextHeader] = exts.empty() ? proto : exts[0].type;
  for (size_t i = 0; i < exts.size(); ++i) {
    exts[i].bytes[0] = i + 1 < exts.size() ? exts[i + 1].type : proto;
    p.insert(p.end(), exts[i].bytes.begin(), exts[i].bytes.end());
  }
  p.insert(p.end(), payload.begin(), payload.end());
  storeBe16(p.data() + ip::kV6PayloadLen, static_cast<uint16_t>(p.size() - ip::kIpv6Header));
  return p;
}

}  // namespace ipsecgw::test

#include "ike/engine/traffic_selectors.hpp"

#include <algorithm>
#include <cstring>

namespace ipsecgw::ike {

namespace {

using U128 = unsigned __int128;

U128 toInt(const std::array<uint8_t, 16>& a, size_t len) {
  U128 v = 0;
  for (size_t i = 0; i < len; ++i) v = (v << 8) | a[i];
  return v;
}

std::array<uint8_t, 16> fromInt(U128 v, size_t len) {
  std::array<uint8_t, 16> a{};
  for (size_t i = len; i-- > 0;) {
    a[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return a;
}

unsigned ctz128(U128 v) {  // v != 0
  uint64_t low = static_cast<uint64_t>(v);
  if (low != 0) return static_cast<unsigned>(__builtin_ctzll(low));
  return 64 + static_cast<unsigned>(__builtin_ctzll(static_cast<uint64_t>(v >> 64)));
}

U128 lowMask(unsigned bits) { return bits >= 128 ? ~U128(0) : (U128(1) << bits) - 1; }

int compareAddr(const TrafficSelector& a, const std::array<uint8_t, 16>& x, const std::array<uint8_t, 16>& y) {
  return std::memcmp(x.data(), y.data(), a.addressLength());
}

}  // namespace

TrafficSelector toWire(const config::TrafficSelectorConfig& c) {
  TrafficSelector ts;
  const bool v4 = c.prefix.address.isV4();
  const size_t len = v4 ? 4 : 16;
  ts.type = v4 ? TsType::Ipv4AddrRange : TsType::Ipv6AddrRange;
  ts.ipProtocol = c.proto;
  ts.startPort = c.portLo;
  ts.endPort = c.portHi;
  const unsigned width = static_cast<unsigned>(len * 8);
  const unsigned host = width - std::min<unsigned>(c.prefix.length, width);
  U128 addr = toInt(c.prefix.address.bytes, len);
  U128 start = addr & ~lowMask(host);
  ts.startAddress = fromInt(start, len);
  ts.endAddress = fromInt(start | lowMask(host), len);
  return ts;
}

std::vector<TrafficSelector> toWire(const std::vector<config::TrafficSelectorConfig>& ts) {
  std::vector<TrafficSelector> out;
  for (const auto& c : ts) out.push_back(toWire(c));
  return out;
}

std::vector<TrafficSelector> narrow(const std::vector<TrafficSelector>& peer,
                                    const std::vector<TrafficSelector>& ours) {
  std::vector<TrafficSelector> out;
  for (const TrafficSelector& p : peer) {
    for (const TrafficSelector& o : ours) {
      if (p.type != o.type) continue;
      if (p.ipProtocol != 0 && o.ipProtocol != 0 && p.ipProtocol != o.ipProtocol) continue;
      TrafficSelector x = p;
      x.ipProtocol = p.ipProtocol ? p.ipProtocol : o.ipProtocol;
      x.startPort = std::max(p.startPort, o.startPort);
      x.endPort = std::min(p.endPort, o.endPort);
      if (x.startPort > x.endPort) continue;
      x.startAddress = compareAddr(p, p.startAddress, o.startAddress) >= 0 ? p.startAddress : o.startAddress;
      x.endAddress = compareAddr(p, p.endAddress, o.endAddress) <= 0 ? p.endAddress : o.endAddress;
      if (compareAddr(p, x.startAddress, x.endAddress) > 0) continue;
      if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(x);
    }
  }
  return out;
}

bool withinOffered(const std::vector<TrafficSelector>& answered, const std::vector<TrafficSelector>& offered) {
  if (answered.empty()) return false;
  for (const TrafficSelector& a : answered) {
    bool inside = std::any_of(offered.begin(), offered.end(), [&](const TrafficSelector& o) {
      return a.type == o.type && (o.ipProtocol == 0 || o.ipProtocol == a.ipProtocol) &&
             a.startPort >= o.startPort && a.endPort <= o.endPort && a.startPort <= a.endPort &&
             compareAddr(a, a.startAddress, o.startAddress) >= 0 && compareAddr(a, a.endAddress, o.endAddress) <= 0 &&
             compareAddr(a, a.startAddress, a.endAddress) <= 0;
    });
    if (!inside) return false;
  }
  return true;
}

std::vector<policy::TrafficSelector> toPolicySide(const std::vector<TrafficSelector>& ts) {
  std::vector<policy::TrafficSelector> out;
  for (const TrafficSelector& t : ts) {
    const size_t len = t.addressLength();
    const unsigned width = static_cast<unsigned>(len * 8);
    U128 start = toInt(t.startAddress, len), end = toInt(t.endAddress, len);
    if (start > end) continue;
    IpPrefix any;
    any.address.family = len == 4 ? IpFamily::V4 : IpFamily::V6;
    // Largest aligned blocks from `start` up, each a prefix (exact cover).
    for (;;) {
      unsigned k = start == 0 ? width : ctz128(start);
      k = std::min(k, width);
      while (k > 0 && start + lowMask(k) > end) --k;
      policy::TrafficSelector s;
      s.src.address.family = any.address.family;
      s.src.address.bytes = fromInt(start, len);
      s.src.length = static_cast<uint8_t>(width - k);
      s.dst = any;
      s.proto = t.ipProtocol;
      s.srcPortLo = t.startPort;
      s.srcPortHi = t.endPort;
      out.push_back(s);
      U128 last = start + lowMask(k);
      if (last >= end) break;
      start = last + 1;
    }
  }
  return out;
}

std::vector<policy::TrafficSelector> policySelectors(const std::vector<policy::TrafficSelector>& localSide,
                                                     const std::vector<policy::TrafficSelector>& remoteSide) {
  std::vector<policy::TrafficSelector> out;
  for (const auto& l : localSide)
    for (const auto& r : remoteSide) {
      if (l.src.address.family != r.src.address.family) continue;
      if (l.proto != 0 && r.proto != 0 && l.proto != r.proto) continue;
      policy::TrafficSelector s;
      s.src = l.src;
      s.dst = r.src;
      s.proto = l.proto ? l.proto : r.proto;
      s.srcPortLo = l.srcPortLo;
      s.srcPortHi = l.srcPortHi;
      s.dstPortLo = r.srcPortLo;
      s.dstPortHi = r.srcPortHi;
      out.push_back(s);
    }
  return out;
}

}  // namespace ipsecgw::ike

#include "net/ip_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ipsecgw {

IpAddress IpAddress::v4(const uint8_t* p) {
  IpAddress a;
  a.family = IpFamily::V4;
  std::memcpy(a.bytes.data(), p, 4);
  return a;
}

IpAddress IpAddress::v6(const uint8_t* p) {
  IpAddress a;
  a.family = IpFamily::V6;
  std::memcpy(a.bytes.data(), p, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = IpFamily::V4;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = IpFamily::V6;
    return a;
  }
  return std::nullopt;
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  IpPrefix p{*addr, static_cast<uint8_t>(addr->size() * 8)};
  if (slash != std::string_view::npos) {
    auto len = text.substr(slash + 1);
    unsigned v = 0;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
    if (ec != std::errc() || ptr != len.data() + len.size() || v > addr->size() * 8) return std::nullopt;
    p.length = static_cast<uint8_t>(v);
  }
  // Canonical form: host bits cleared, so equal prefixes compare equal.
  for (unsigned bit = p.length; bit < 128; ++bit) p.address.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return p;
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family != address.family) return false;
  unsigned full = length / 8;
  if (std::memcmp(a.bytes.data(), address.bytes.data(), full) != 0) return false;
  unsigned rest = length % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a.bytes[full] & mask) == (address.bytes[full] & mask);
}

std::string IpPrefix::toString() const { return address.toString() + "/" + std::to_string(length); }

}  // namespace ipsecgw

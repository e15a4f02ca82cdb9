#include "net/ip_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace ipsecgw {

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
  // The first `length` bits, as two 64-bit words under a mask: no libc
  // memcmp of a variable length (inbound, every decrypted packet is checked
  // against its SA's selectors).
  const unsigned len = length < 128 ? length : 128;
  uint64_t x[2], y[2];
  std::memcpy(x, a.bytes.data(), 16);
  std::memcpy(y, address.bytes.data(), 16);
  for (unsigned w = 0; w < 2 && len > 64 * w; ++w) {
    const unsigned bits = len - 64 * w < 64 ? len - 64 * w : 64;
    const uint64_t leading = bits == 64 ? ~uint64_t{0} : ~(~uint64_t{0} >> bits);  // in network order
    const uint64_t mask = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? leading : __builtin_bswap64(leading);
    if (((x[w] ^ y[w]) & mask) != 0) return false;
  }
  return true;
}

std::string IpPrefix::toString() const { return address.toString() + "/" + std::to_string(length); }

}  // namespace ipsecgw

// An IPv4 or IPv6 address, stored in network byte order in 16 bytes (IPv4 in
// the first four) so that selectors and tables can treat both families alike.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace ipsecgw {

enum class IpFamily : uint8_t { V4 = 4, V6 = 6 };

struct IpAddress {
  IpFamily family = IpFamily::V4;
  std::array<uint8_t, 16> bytes{};

  // Inline: the data path makes addresses from packet headers (SAD key,
  // route, flow key). Out of line, the returned temporary was written in
  // pieces and read back 16 bytes at once: a store-forwarding stall that
  // took most of the inner flow key's parse (inbound profile, 64 B).
  static IpAddress v4(const uint8_t* p) {
    IpAddress a;
    a.setV4(p);
    return a;
  }
  static IpAddress v6(const uint8_t* p) {
    IpAddress a;
    a.family = IpFamily::V6;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  static std::optional<IpAddress> parse(std::string_view text);

  // In place, the 16 bytes in one store: a reader that loads them in words
  // right after (a selector compare) would stall on a zero fill followed by
  // a 4-byte copy, which store forwarding cannot merge.
  void setV4(const uint8_t* p) {
    uint32_t v4;
    std::memcpy(&v4, p, 4);
    // p's four bytes first in memory, whatever the host's byte order.
    const uint64_t words[2] = {__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? v4 : uint64_t{v4} << 32, 0};
    family = IpFamily::V4;
    std::memcpy(bytes.data(), words, 16);
  }
  void setV6(const uint8_t* p) {
    family = IpFamily::V6;
    std::memcpy(bytes.data(), p, 16);
  }

  bool isV4() const { return family == IpFamily::V4; }
  uint32_t size() const { return isV4() ? 4 : 16; }
  std::string toString() const;

  auto operator<=>(const IpAddress&) const = default;
};

// A prefix such as 10.0.0.0/8 or 2001:db8::/32.
struct IpPrefix {
  IpAddress address;
  uint8_t length = 0;

  static std::optional<IpPrefix> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
  std::string toString() const;
  auto operator<=>(const IpPrefix&) const = default;
};

}  // namespace ipsecgw

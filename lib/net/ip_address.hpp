// An IPv4 or IPv6 address, stored in network byte order in 16 bytes (IPv4 in
// the first four) so that selectors and tables can treat both families alike.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipsecgw {

enum class IpFamily : uint8_t { V4 = 4, V6 = 6 };

struct IpAddress {
  IpFamily family = IpFamily::V4;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(const uint8_t* p);
  static IpAddress v6(const uint8_t* p);
  static std::optional<IpAddress> parse(std::string_view text);

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

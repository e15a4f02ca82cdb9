// [[port]] tables: the gateway's DPDK ports, their addresses and roles.
#include <charconv>

#include "config/names.hpp"
#include "config/sections.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 6> kPortKeys = {"name", "device", "ipv4", "ipv6", "mtu", "role"};
constexpr std::array<std::string_view, 2> kRoleNames = {"protected", "unprotected"};

constexpr uint16_t kMinMtu = 576;     // RFC 791: every IPv4 host takes 576
constexpr uint16_t kMinMtuV6 = 1280;  // RFC 8200 5
constexpr uint16_t kMaxMtu = 9000;    // jumbo frames
constexpr uint16_t kDefaultMtu = 1500;

// "10.0.0.254/24": the port's own address and its on-link subnet. The length
// is required: guessing a subnet decides which neighbours are on-link.
std::optional<PortAddress> portAddress(const TableReader& r, std::string_view key, IpFamily family) {
  auto text = r.optionalText(key);
  if (!text) return std::nullopt;
  std::string example = family == IpFamily::V4 ? "10.0.0.254/24" : "fd00::fe/64";
  std::string usage = "expected the port's " + std::string(familyName(family)) + " address with its prefix length, such as " +
                      example + ", got " + quoted(*text);
  size_t slash = text->find('/');
  if (slash == std::string_view::npos) r.fail(key, usage);
  auto addr = IpAddress::parse(text->substr(0, slash));
  if (!addr) r.fail(key, usage);
  if (addr->family != family)
    r.fail(key, quoted(*text) + " is " + std::string(familyName(*addr)) + "; it belongs in " +
                    (addr->isV4() ? "ipv4" : "ipv6"));
  std::string_view len = text->substr(slash + 1);
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), v);
  if (ec != std::errc() || ptr != len.data() + len.size() || v < 1 || v > addr->size() * 8)
    r.fail(key, "prefix length must be 1.." + std::to_string(addr->size() * 8) + ", got " + quoted(*text));
  return PortAddress{*addr, static_cast<uint8_t>(v)};
}

PortConfig parsePort(const TableReader& r, NameRegistry& names, const std::vector<PortConfig>& earlier) {
  PortConfig p;
  p.name = names.take(r);
  p.device = r.text("device");
  if (p.device.empty()) r.fail("device", "empty device string");
  for (const PortConfig& e : earlier)
    if (e.device == p.device) r.fail("device", "device is already used by port " + quoted(e.name));
  p.ipv4 = portAddress(r, "ipv4", IpFamily::V4);
  p.ipv6 = portAddress(r, "ipv6", IpFamily::V6);
  if (!p.ipv4 && !p.ipv6) r.failTable("a port needs an address: ipv4, ipv6 or both");
  for (const PortConfig& e : earlier) {
    if (p.ipv4 && e.ipv4 && p.ipv4->address == e.ipv4->address) r.fail("ipv4", "address is already on port " + quoted(e.name));
    if (p.ipv6 && e.ipv6 && p.ipv6->address == e.ipv6->address) r.fail("ipv6", "address is already on port " + quoted(e.name));
  }
  p.mtu = r.optionalInteger<uint16_t>("mtu", kMinMtu, kMaxMtu).value_or(kDefaultMtu);
  if (p.ipv6 && p.mtu < kMinMtuV6)
    r.fail("mtu", "a port with IPv6 needs an MTU of at least " + std::to_string(kMinMtuV6) + " (RFC 8200 5), got " +
                      std::to_string(p.mtu));
  p.role = r.choice<PortRole>("role", kRoleNames, "role");
  return p;
}

}  // namespace

std::vector<PortConfig> parsePortSections(const toml::table& root) {
  std::vector<PortConfig> ports;
  NameRegistry names("port", NameRule::Port);
  for (const auto& [table, path] : tablesOf(root, "port")) ports.push_back(parsePort(TableReader(*table, path, kPortKeys), names, ports));
  if (ports.empty()) throw ConfigError(Where{"port", 1, 1}, "no [[port]] tables: the gateway needs at least one port");
  // RouteConfig::portIndex, like DPDK's port ids, is 16 bits wide.
  if (ports.size() > UINT16_MAX) throw ConfigError(Where{"port", 1, 1}, "too many ports");
  return ports;
}

}  // namespace ipsecgw::config

// The gateway's static configuration as plain, validated values: what
// ipsecgwd builds its ports, routes, SAs and SPD from. Produced by
// config_parser.hpp from a TOML file (config/README.md documents every key).
//
// lib/config sits below lib/dataplane, so the few enums the data plane also
// has (PortRole) are its own here; the gateway builder maps them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/connection_config.hpp"
#include "esp/security_association.hpp"
#include "net/ip_address.hpp"
#include "policy/spd.hpp"

namespace ipsecgw::config {

// Order of enumerators = order of their names in the parser's tables.
enum class CryptoEngineKind : uint8_t { IpsecMb, OpenSsl };
enum class PortRole : uint8_t { Protected, Unprotected };  // plaintext side / ESP side

struct GatewaySettings {
  CryptoEngineKind cryptoEngine = CryptoEngineKind::IpsecMb;
  uint32_t burst = 32;      // packets per RX/TX burst
  bool idleBackoff = true;  // workers sleep when idle: two cores are shared here
};

// A port's own address and the length of its on-link subnet. Not an
// IpPrefix: that one is canonical, with the host bits cleared.
struct PortAddress {
  IpAddress address;
  uint8_t length = 0;

  bool onLink(const IpAddress& a) const { return IpPrefix{address, length}.contains(a); }
};

struct PortConfig {
  std::string name;
  std::string device;  // DPDK device string: vdev with args or PCI address
  std::optional<PortAddress> ipv4;
  std::optional<PortAddress> ipv6;
  uint16_t mtu = 1500;
  PortRole role = PortRole::Protected;
};

struct RouteConfig {
  IpPrefix prefix;
  std::string port;
  uint16_t portIndex = 0;          // index into GatewayConfig::ports
  std::optional<IpAddress> via;    // unset: on-link
};

struct SaSpec {
  std::string name;
  esp::Direction direction = esp::Direction::Outbound;
  esp::SaConfig sa;  // move-only: owns the KEYMAT
};

struct PolicySpec {
  std::string name;
  esp::Direction direction = esp::Direction::Outbound;
  // policy.id: 1-based position among all policies in the file.
  // policy.saIndex: PROTECT only, index into GatewayConfig::sas (the gateway
  // builder renumbers it to its own outbound SA table).
  policy::Policy policy;
  std::string saName;  // PROTECT only; empty otherwise
};

// Lists keep the file's order. Policies are not sorted: the SPD orders by
// priority and keeps insertion order for ties, which is the file's order.
struct GatewayConfig {
  GatewaySettings gateway;
  std::vector<PortConfig> ports;
  std::vector<RouteConfig> routes;
  std::vector<SaSpec> sas;
  std::vector<PolicySpec> policies;
  IkeSettings ike;
  std::vector<ConnectionConfig> connections;  // IKEv2 peers, file order
};

}  // namespace ipsecgw::config

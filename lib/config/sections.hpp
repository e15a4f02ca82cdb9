// The section parsers, one file each, run in this order so that every
// reference points backwards: gateway, ports, routes (-> ports), SAs
// (-> port addresses), policies (-> SAs), ike, connections (-> port
// addresses), then the checks that need
// everything (cross_checks.cpp). The order of tables in the file does not
// matter. Each throws ConfigError on the first problem.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "config/config_error.hpp"
#include "config/gateway_config.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

// State the parse carries besides the result.
struct ParseContext {
  std::string baseDir;         // relative key_file paths start here ("" = cwd)
  bool sourceShared = false;   // the config file is readable by group or others
  std::vector<std::pair<Where, std::string>> notes;

  // A file named in the config: relative paths start at baseDir.
  std::string resolve(std::string_view path) const {
    if (path.starts_with('/') || baseDir.empty()) return std::string(path);
    return baseDir + "/" + std::string(path);
  }
};

// Names of enumerators, index = enumerator value.
inline constexpr std::array<std::string_view, 2> kDirectionNames = {"inbound", "outbound"};

inline std::string_view familyName(IpFamily f) { return f == IpFamily::V4 ? "IPv4" : "IPv6"; }
inline std::string_view familyName(const IpAddress& a) { return familyName(a.family); }

// A reader of the file's top level: refuses unknown top-level keys.
TableReader topLevel(const toml::table& root);

GatewaySettings parseGatewaySection(const toml::table& root);
std::vector<PortConfig> parsePortSections(const toml::table& root);
std::vector<RouteConfig> parseRouteSections(const toml::table& root, const std::vector<PortConfig>& ports);
std::vector<SaSpec> parseSaSections(const toml::table& root, const std::vector<PortConfig>& ports, ParseContext& ctx);
std::vector<PolicySpec> parsePolicySections(const toml::table& root, const std::vector<SaSpec>& sas);
IkeSettings parseIkeSection(const toml::table& root);
std::vector<ConnectionConfig> parseConnectionSections(const toml::table& root, const std::vector<PortConfig>& ports,
                                                      ParseContext& ctx);

// Checks across sections once all are read.
void crossCheck(const toml::table& root, const GatewayConfig& config, ParseContext& ctx);

}  // namespace ipsecgw::config

// The top level of the file and its [gateway] table.
#include "config/sections.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 7> kTopKeys = {"gateway", "port", "route", "sa", "policy", "ike", "connections"};

constexpr std::array<std::string_view, 3> kGatewayKeys = {"crypto_engine", "burst", "idle_backoff"};
constexpr std::array<std::string_view, 2> kEngineNames = {"ipsec-mb", "openssl"};

}  // namespace

TableReader topLevel(const toml::table& root) { return TableReader(root, "", kTopKeys); }

GatewaySettings parseGatewaySection(const toml::table& root) {
  TableReader top = topLevel(root);
  auto r = top.optionalTable("gateway", kGatewayKeys);
  if (!r) top.fail("gateway", "missing required table [gateway] (it names the crypto_engine)");
  GatewaySettings g;
  g.cryptoEngine = r->choice<CryptoEngineKind>("crypto_engine", kEngineNames, "crypto engine");
  g.burst = r->optionalInteger<uint32_t>("burst", 1, 256).value_or(g.burst);
  g.idleBackoff = r->optionalBool("idle_backoff").value_or(g.idleBackoff);
  return g;
}

}  // namespace ipsecgw::config

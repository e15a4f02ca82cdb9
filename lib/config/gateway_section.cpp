// The top level of the file and its [gateway] table.
#include "config/sections.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

// `ike` and `connections` are reserved for the IKEv2 peers to come: a file
// written for a later release then still loads, with a note that they were
// ignored, instead of being refused.
constexpr std::array<std::string_view, 7> kTopKeys = {"gateway", "port", "route", "sa", "policy", "ike", "connections"};
constexpr std::array<std::string_view, 2> kReservedKeys = {"ike", "connections"};

constexpr std::array<std::string_view, 3> kGatewayKeys = {"crypto_engine", "burst", "idle_backoff"};
constexpr std::array<std::string_view, 2> kEngineNames = {"ipsec-mb", "openssl"};

}  // namespace

void checkTopLevel(const toml::table& root, ParseContext& ctx) {
  TableReader top(root, "", kTopKeys);
  for (std::string_view key : kReservedKeys)
    if (top.has(key))
      ctx.notes.emplace_back(top.where(key), "ignored: IKE peers are not supported yet; only manually keyed [[sa]] "
                                             "tables are used");
}

GatewaySettings parseGatewaySection(const toml::table& root) {
  TableReader top(root, "", kTopKeys);
  auto r = top.optionalTable("gateway", kGatewayKeys);
  if (!r) top.fail("gateway", "missing required table [gateway] (it names the crypto_engine)");
  GatewaySettings g;
  g.cryptoEngine = r->choice<CryptoEngineKind>("crypto_engine", kEngineNames, "crypto engine");
  g.burst = r->optionalInteger<uint32_t>("burst", 1, 256).value_or(g.burst);
  g.idleBackoff = r->optionalBool("idle_backoff").value_or(g.idleBackoff);
  return g;
}

}  // namespace ipsecgw::config

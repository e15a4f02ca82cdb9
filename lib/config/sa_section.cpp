// [[sa]] tables: manually keyed ESP SAs (RFC 4301 4.5 manual keying).
#include <tuple>

#include "config/key_material.hpp"
#include "config/names.hpp"
#include "config/sections.hpp"
#include "config/spelling.hpp"
#include "config/table_reader.hpp"
#include "esp/replay_window.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 16> kSaKeys = {
    "name",  "direction", "spi",           "transform", "mode",     "local",      "remote", "key",
    "key_file", "esn",    "replay_window", "udp_encap", "lifetime", "tfc_pad_to", "df",     "ttl"};
constexpr std::array<std::string_view, 2> kUdpEncapKeys = {"src_port", "dst_port"};
constexpr std::array<std::string_view, 4> kLifetimeKeys = {"soft_bytes", "hard_bytes", "soft_packets", "hard_packets"};
constexpr std::array<std::string_view, 2> kModeNames = {"tunnel", "transport"};
constexpr std::array<std::string_view, 3> kDfNames = {"copy", "set", "clear"};

// RFC 4303 2.1: SPIs 1..255 are reserved by IANA, 0 is never sent.
constexpr uint32_t kMinSpi = 256;
constexpr uint16_t kMaxTfcPad = 9000;  // no packet outgrows the largest MTU
constexpr uint32_t kDefaultReplayWindow = 128;

// The last enumerator of esp::Transform; transform.hpp exports no count.
constexpr auto kLastTransform = esp::Transform::NullHmacSha256;

esp::Transform parseTransform(const TableReader& r) {
  std::vector<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(kLastTransform); ++i)
    names.push_back(esp::transformInfo(static_cast<esp::Transform>(i)).name);
  return r.choice<esp::Transform>("transform", names, "transform");
}

bool isPortAddress(const IpAddress& a, const std::vector<PortConfig>& ports) {
  for (const PortConfig& p : ports) {
    const auto& own = a.isV4() ? p.ipv4 : p.ipv6;
    if (own && own->address == a) return true;
  }
  return false;
}

// Exactly one of key (inline hex) and key_file, of the transform's length.
SecretBytes parseKeymat(const TableReader& r, esp::Transform transform, ParseContext& ctx) {
  if (r.has("key") && r.has("key_file")) r.fail("key_file", "give either key or key_file, not both");
  if (r.has("key")) {
    std::optional<SecretBytes> key = decodeHexSecret(r.text("key"));
    if (!key) r.fail("key", "not hex KEYMAT (value not shown)");
    if (auto error = keyLengthError(transform, key->size())) r.fail("key", *error);
    if (ctx.sourceShared)
      ctx.notes.emplace_back(r.where("key"), "inline key in a file that group or others can read; use key_file or "
                                             "chmod 600 the config");
    return std::move(*key);
  }
  if (!r.has("key_file")) r.failTable("missing key or key_file (the SA's KEYMAT)");
  std::string_view path = r.text("key_file");
  if (looksLikeKeyMaterial(path))
    r.fail("key_file", "this looks like key material, not a path (value not shown); an inline key goes in key");
  std::string resolved = ctx.resolve(path);
  SecretBytes key;
  std::string error;
  if (!readKeyFile(resolved, key, error)) r.fail("key_file", error);
  if (auto lengthError = keyLengthError(transform, key.size()))
    r.fail("key_file", "key file " + quoted(resolved) + ": " + *lengthError);
  return key;
}

std::optional<esp::UdpEncap> parseUdpEncap(const TableReader& sa) {
  auto r = sa.optionalTable("udp_encap", kUdpEncapKeys);
  if (!r) return std::nullopt;
  esp::UdpEncap encap;  // RFC 3948 defaults: 4500 both ways
  encap.srcPort = r->optionalInteger<uint16_t>("src_port", 1).value_or(encap.srcPort);
  encap.dstPort = r->optionalInteger<uint16_t>("dst_port", 1).value_or(encap.dstPort);
  return encap;
}

esp::LifetimeLimits parseLifetime(const TableReader& sa) {
  esp::LifetimeLimits limits;  // 0: no limit
  auto r = sa.optionalTable("lifetime", kLifetimeKeys);
  if (!r) return limits;
  auto limit = [&](std::string_view key) { return r->optionalInteger<uint64_t>(key, 0).value_or(0); };
  auto pair = [&](std::string_view softKey, std::string_view hardKey, uint64_t& soft, uint64_t& hard) {
    soft = limit(softKey);
    hard = limit(hardKey);
    // The soft limit starts a rekey; past the hard one the SA is dead.
    if (soft != 0 && hard != 0 && soft > hard)
      r->fail(softKey, std::string(softKey) + " " + std::to_string(soft) + " exceeds " + std::string(hardKey) + " " +
                           std::to_string(hard));
  };
  pair("soft_bytes", "hard_bytes", limits.softBytes, limits.hardBytes);
  pair("soft_packets", "hard_packets", limits.softPackets, limits.hardPackets);
  return limits;
}

// Fields that shape only one direction's packets are refused on the other,
// rather than ignored: a replay window on an outbound SA is a mistake the
// operator wants to hear about.
void parseDirectional(const TableReader& r, esp::Direction dir, esp::SaConfig& c) {
  if (dir == esp::Direction::Inbound) {
    constexpr const char* kOutboundOnly = "only outbound SAs build outer headers and padding";
    r.forbid("tfc_pad_to", kOutboundOnly);
    r.forbid("df", kOutboundOnly);
    r.forbid("ttl", kOutboundOnly);
    c.replayWindow = r.optionalInteger<uint32_t>("replay_window", esp::ReplayWindow::kMinSize, esp::ReplayWindow::kMaxSize)
                         .value_or(kDefaultReplayWindow);
    return;
  }
  r.forbid("replay_window", "only inbound SAs have a replay window (RFC 4303 3.4.3)");
  if (c.mode == esp::Mode::Transport) {
    constexpr const char* kTunnelOnly = "tunnel mode only: a transport mode SA has no outer header";
    r.forbid("tfc_pad_to", kTunnelOnly);
    r.forbid("df", kTunnelOnly);
    r.forbid("ttl", kTunnelOnly);
  }
  if (!c.localAddress.isV4()) r.forbid("df", "the DF bit exists only in an IPv4 outer header");
  c.tfcPadTo = r.optionalInteger<uint16_t>("tfc_pad_to", 0, kMaxTfcPad).value_or(0);
  c.df = r.optionalChoice<esp::DfPolicy>("df", kDfNames, "df policy").value_or(esp::DfPolicy::Copy);
  c.outerTtl = r.optionalInteger<uint8_t>("ttl", 1).value_or(c.outerTtl);
}

SaSpec parseSa(const TableReader& r, NameRegistry& names, const std::vector<PortConfig>& ports, ParseContext& ctx) {
  SaSpec s;
  esp::SaConfig& c = s.sa;
  s.name = names.take(r);
  s.direction = r.choice<esp::Direction>("direction", kDirectionNames, "direction");
  c.spi = r.integer<uint32_t>("spi", kMinSpi);
  c.transform = parseTransform(r);
  c.mode = r.choice<esp::Mode>("mode", kModeNames, "mode");
  c.localAddress = r.address("local");
  c.remoteAddress = r.address("remote");
  if (c.remoteAddress.family != c.localAddress.family)
    r.fail("remote", "remote is " + std::string(familyName(c.remoteAddress)) + " but local is " +
                         std::string(familyName(c.localAddress)));
  // Inbound SAs are found by (SPI, local address), outbound ones send from
  // it: either way it must be the gateway's own.
  if (!isPortAddress(c.localAddress, ports))
    r.fail("local", c.localAddress.toString() + " is not the address of any port");
  c.esn = r.optionalBool("esn").value_or(false);
  parseDirectional(r, s.direction, c);
  c.udpEncap = parseUdpEncap(r);
  c.lifetime = parseLifetime(r);
  // Last, so that a table with other mistakes never opens a key file or
  // decodes a key.
  c.keymat = parseKeymat(r, c.transform, ctx);
  return s;
}

}  // namespace

std::vector<SaSpec> parseSaSections(const toml::table& root, const std::vector<PortConfig>& ports, ParseContext& ctx) {
  std::vector<SaSpec> sas;
  std::vector<uint32_t> lines;
  NameRegistry names("SA", NameRule::Object);
  for (const auto& [table, path] : tablesOf(root, "sa")) {
    TableReader r(*table, path, kSaKeys);
    SaSpec s = parseSa(r, names, ports, ctx);
    // RFC 4301 4.1: an inbound SA is identified by SPI and destination; one
    // SPI per local address and direction keeps the SAD unambiguous.
    auto key = [](const SaSpec& x) { return std::tuple(x.sa.spi, x.direction, x.sa.localAddress); };
    for (size_t i = 0; i < sas.size(); ++i)
      if (key(sas[i]) == key(s))
        r.fail("spi", "SPI " + std::to_string(s.sa.spi) + " with local " + s.sa.localAddress.toString() +
                          " is already used by " + std::string(kDirectionNames[static_cast<size_t>(s.direction)]) +
                          " SA " + quoted(sas[i].name) + " (line " + std::to_string(lines[i]) + ")");
    lines.push_back(r.where().line);
    sas.push_back(std::move(s));
  }
  return sas;
}

}  // namespace ipsecgw::config

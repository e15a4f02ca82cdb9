// [ike] and [connections.<name>] (with children.<name>): IKEv2 peers in the
// manner of strongSwan's swanctl.conf. Proposal keywords are checked here,
// with lib/ike's parser, so a typo is reported at its line.
#include <charconv>

#include "config/key_material.hpp"
#include "config/names.hpp"
#include "config/pubkey_section.hpp"
#include "config/sections.hpp"
#include "config/spelling.hpp"
#include "config/table_reader.hpp"
#include "esp/replay_window.hpp"
#include "ike/crypto/x509_certificate.hpp"
#include "ike/proposal/proposal_keywords.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 5> kIkeKeys = {"retransmit_timeout", "retransmit_base", "retransmit_tries",
                                                      "cookie_threshold", "fragment_size"};
constexpr std::array<std::string_view, 22> kConnectionKeys = {
    "local_addr", "remote_addr", "local",      "remote",     "auth",        "psk",      "psk_file",
    "proposals",  "encap",       "dpd_delay",  "dpd_action", "rekey_time",  "keyingtries", "fragmentation",
    "children",   kPubkeyKeys[0], kPubkeyKeys[1], kPubkeyKeys[2], kPubkeyKeys[3], kPubkeyKeys[4], kPubkeyKeys[5],
    kPubkeyKeys[6]};
constexpr std::array<std::string_view, 2> kEndKeys = {"id", "auth"};
constexpr std::array<std::string_view, 7> kChildKeys = {"local_ts",   "remote_ts",  "esp_proposals", "mode",
                                                        "start_action", "rekey_time", "replay_window"};
constexpr std::array<std::string_view, 2> kAuthNames = {"psk", "pubkey"};
constexpr std::array<std::string_view, 2> kModeNames = {"tunnel", "transport"};
constexpr std::array<std::string_view, 3> kStartNames = {"none", "start", "trap"};
constexpr std::array<std::string_view, 3> kDpdActionNames = {"clear", "restart", "trap"};
constexpr std::array<std::string_view, 4> kFragmentationNames = {"no", "accept", "yes", "force"};
// The smallest fragment_size that leaves an SKF fragment room for inner
// payload bytes with any cipher (IPv6 40 + UDP 8 + marker 4 + IKE header 28 +
// SKF header 8 + IV 16 + ICV up to 32 + padding up to 16: 152 bytes). Sizes
// this small are for tests; real paths carry 576 at least (RFC 791).
constexpr uint32_t kMinFragmentSize = 200;

constexpr std::array<std::string_view, 5> kTsProtocolNames = {"tcp", "udp", "icmp", "icmpv6", "sctp"};
constexpr std::array<uint8_t, 5> kTsProtocolNumbers = {6, 17, 1, 58, 132};

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.';
}

void checkName(const TableReader& r, std::string_view name, std::string_view what) {
  bool ok = !name.empty() && name.size() <= 64;
  for (char c : name) ok &= isNameChar(c);
  if (!ok) r.failTable(std::string(what) + " name " + quoted(name) + " must be 1-64 of A-Z a-z 0-9 _ - .");
}

IdentityConfig parseIdentity(std::string_view text, bool remote, const TableReader& r) {
  IdentityConfig id;
  id.value = std::string(text);
  if (text == "%any") {
    if (!remote) r.fail("id", "%any is for the remote side: our own identity must be definite");
    id.type = IdentityConfig::Type::Any;
  } else if (auto a = IpAddress::parse(text)) {
    id.type = a->isV4() ? IdentityConfig::Type::Ipv4 : IdentityConfig::Type::Ipv6;
  } else if (text.find('=') != std::string_view::npos) {
    // strongSwan's rule: an '=' makes it a distinguished name.
    auto der = ike::parseDistinguishedName(text);
    if (!der) r.fail("id", "distinguished name " + quoted(text) + ": " + der.error());
    id.type = IdentityConfig::Type::Dn;
    id.der = std::move(*der);
  } else if (text.find('@') != std::string_view::npos && !text.starts_with('@')) {
    id.type = IdentityConfig::Type::Email;
  } else {
    // strongSwan writes "@name" to force an FQDN; accept and drop the '@'.
    if (text.starts_with('@')) id.value.erase(0, 1);
    if (id.value.empty()) r.fail("id", "empty identity");
    id.type = IdentityConfig::Type::Fqdn;
  }
  return id;
}

// local = { id = "...", auth = "psk" }: the id as given, or nullopt.
std::optional<IdentityConfig> parseEnd(const TableReader& conn, std::string_view key, bool remote) {
  auto r = conn.optionalTable(key, kEndKeys);
  if (!r) return std::nullopt;
  if (auto text = r->optionalText("id")) return parseIdentity(*text, remote, *r);
  return std::nullopt;
}

// auth = "psk" | "pubkey" for the connection; local.auth and remote.auth
// (swanctl's places) may say the same, not something else: both ends
// authenticate the same way here.
AuthMethod parseAuth(const TableReader& conn) {
  std::optional<AuthMethod> method = conn.optionalChoice<AuthMethod>("auth", kAuthNames, "auth method");
  for (std::string_view end : {"local", "remote"}) {
    auto r = conn.optionalTable(end, kEndKeys);
    if (!r) continue;
    auto endMethod = r->optionalChoice<AuthMethod>("auth", kAuthNames, "auth method");
    if (!endMethod) continue;
    if (method && *method != *endMethod)
      r->fail("auth", "differs from the connection's auth: both ends use one method (psk or pubkey)");
    method = endMethod;
  }
  return method.value_or(AuthMethod::Psk);
}

IdentityConfig addressIdentity(const IpAddress& a) {
  return {a.isV4() ? IdentityConfig::Type::Ipv4 : IdentityConfig::Type::Ipv6, a.toString(), {}};
}

std::optional<uint16_t> parseNumber(std::string_view text) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// swanctl's form: "10.0.1.0/24", "10.0.1.0/24[tcp]", "10.0.1.0/24[tcp/443]",
// "fd00::/64[udp/1000-2000]".
TrafficSelectorConfig parseTs(const TableReader& r, std::string_view key, std::string_view text) {
  TrafficSelectorConfig ts;
  std::string_view prefixText = text, extra;
  if (size_t open = text.find('['); open != std::string_view::npos) {
    if (!text.ends_with(']')) r.fail(key, "traffic selector " + quoted(text) + ": missing ']'");
    prefixText = text.substr(0, open);
    extra = text.substr(open + 1, text.size() - open - 2);
  }
  auto prefix = IpPrefix::parse(prefixText);
  if (!prefix) r.fail(key, "traffic selector " + quoted(text) + ": not a prefix such as 10.0.1.0/24");
  ts.prefix = *prefix;
  if (extra.empty()) return ts;
  std::string_view protoText = extra.substr(0, extra.find('/'));
  bool found = false;
  for (size_t i = 0; i < kTsProtocolNames.size(); ++i)
    if (kTsProtocolNames[i] == protoText) {
      ts.proto = kTsProtocolNumbers[i];
      found = true;
    }
  if (!found) {
    auto n = parseNumber(protoText);
    if (!n || *n > 255)
      r.fail(key, "traffic selector " + quoted(text) + ": unknown protocol " + quoted(protoText) +
                      didYouMean(protoText, kTsProtocolNames));
    ts.proto = static_cast<uint8_t>(*n);
  }
  if (size_t slash = extra.find('/'); slash != std::string_view::npos) {
    std::string_view ports = extra.substr(slash + 1);
    size_t dash = ports.find('-');
    auto lo = parseNumber(ports.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parseNumber(ports.substr(dash + 1));
    if (!lo || !hi || *lo > *hi) r.fail(key, "traffic selector " + quoted(text) + ": bad port or port range");
    ts.portLo = *lo;
    ts.portHi = *hi;
  }
  return ts;
}

std::vector<TrafficSelectorConfig> parseTsList(const TableReader& r, std::string_view key) {
  std::vector<TrafficSelectorConfig> out;
  for (std::string_view text : r.textList(key)) out.push_back(parseTs(r, key, text));
  if (out.empty()) r.fail(key, "missing: at least one traffic selector such as \"10.0.1.0/24\"");
  return out;
}

enum class ProposalKind { Ike, Esp };

std::vector<std::string> parseProposals(const TableReader& r, std::string_view key, ProposalKind kind) {
  std::vector<std::string> out;
  for (std::string_view p : r.textList(key)) {
    auto parsed = kind == ProposalKind::Ike ? ike::parseIkeProposal(p) : ike::parseEspProposal(p);
    if (!parsed) r.fail(key, "proposal " + quoted(p) + ": " + parsed.error());
    out.emplace_back(p);
  }
  if (out.empty()) r.fail(key, "missing: at least one proposal such as \"aes128gcm16-prfsha256-x25519\"");
  return out;
}

ChildConfig parseChild(std::string_view name, const TableReader& r) {
  checkName(r, name, "child");
  ChildConfig c;
  c.name = std::string(name);
  c.localTs = parseTsList(r, "local_ts");
  c.remoteTs = parseTsList(r, "remote_ts");
  c.espProposals = parseProposals(r, "esp_proposals", ProposalKind::Esp);
  c.mode = r.optionalChoice<esp::Mode>("mode", kModeNames, "mode").value_or(esp::Mode::Tunnel);
  c.startAction = r.optionalChoice<StartAction>("start_action", kStartNames, "start action").value_or(StartAction::None);
  c.rekeyTimeS = r.optionalInteger<uint32_t>("rekey_time", 0).value_or(c.rekeyTimeS);
  c.replayWindow = r.optionalInteger<uint32_t>("replay_window", esp::ReplayWindow::kMinSize, esp::ReplayWindow::kMaxSize)
                       .value_or(c.replayWindow);
  return c;
}

SecretBytes parsePsk(const TableReader& r, ParseContext& ctx) {
  if (r.has("psk") && r.has("psk_file")) r.fail("psk_file", "give either psk or psk_file, not both");
  if (r.has("psk")) {
    auto psk = decodePsk(r.text("psk"));
    if (!psk) r.fail("psk", "empty or bad hex pre-shared key (value not shown)");
    if (ctx.sourceShared)
      ctx.notes.emplace_back(r.where("psk"), "inline psk in a file that group or others can read; use psk_file or "
                                             "chmod 600 the config");
    return std::move(*psk);
  }
  if (!r.has("psk_file")) r.failTable("missing psk or psk_file (auth = \"psk\")");
  std::string path = ctx.resolve(r.text("psk_file"));
  SecretBytes psk;
  std::string error;
  if (!readPskFile(path, psk, error)) r.fail("psk_file", error);
  return psk;
}

bool isPortAddress(const IpAddress& a, const std::vector<PortConfig>& ports) {
  for (const PortConfig& p : ports) {
    const auto& own = a.isV4() ? p.ipv4 : p.ipv6;
    if (own && own->address == a) return true;
  }
  return false;
}

ConnectionConfig parseConnection(std::string_view name, const TableReader& r, const std::vector<PortConfig>& ports,
                                 ParseContext& ctx) {
  checkName(r, name, "connection");
  ConnectionConfig c;
  c.name = std::string(name);
  c.localAddress = r.address("local_addr");
  c.remoteAddress = r.address("remote_addr");
  if (c.localAddress.family != c.remoteAddress.family)
    r.fail("remote_addr", "remote_addr and local_addr are of different families");
  // IKE is received and sent by the gateway itself on a port address.
  if (!isPortAddress(c.localAddress, ports))
    r.fail("local_addr", c.localAddress.toString() + " is not the address of any port");
  c.auth = parseAuth(r);
  std::optional<IdentityConfig> localId = parseEnd(r, "local", false);
  std::optional<IdentityConfig> remoteId = parseEnd(r, "remote", true);
  c.ikeProposals = parseProposals(r, "proposals", ProposalKind::Ike);
  c.forceEncap = r.optionalBool("encap").value_or(false);
  c.dpdDelayS = r.optionalInteger<uint32_t>("dpd_delay", 0).value_or(c.dpdDelayS);
  c.dpdAction = r.optionalChoice<DpdAction>("dpd_action", kDpdActionNames, "dpd action").value_or(c.dpdAction);
  c.rekeyTimeS = r.optionalInteger<uint32_t>("rekey_time", 0).value_or(c.rekeyTimeS);
  c.keyingTries = r.optionalInteger<uint32_t>("keyingtries", 0).value_or(c.keyingTries);
  c.fragmentation = r.optionalChoice<Fragmentation>("fragmentation", kFragmentationNames, "fragmentation")
                        .value_or(c.fragmentation);
  for (auto& [childName, child] : r.namedTables("children", kChildKeys)) {
    ChildConfig cc = parseChild(childName, child);
    for (const ChildConfig& other : c.children)
      if (other.name == cc.name) child.failTable("duplicate child name " + quoted(cc.name));
    c.children.push_back(std::move(cc));
  }
  if (c.children.empty()) r.failTable("a connection needs at least one child: [connections." + c.name + ".children.NAME]");
  // Last, so that a table with other mistakes never opens a key file.
  if (c.auth == AuthMethod::Psk) {
    for (std::string_view key : kPubkeyKeys) r.forbid(key, "is for auth = \"pubkey\"; this connection uses a psk");
    c.psk = parsePsk(r, ctx);
    // Each id defaults to that end's address, as in strongSwan: what a
    // site-to-site peer sends unless told otherwise.
    c.localId = localId.value_or(addressIdentity(c.localAddress));
    c.remoteId = remoteId.value_or(addressIdentity(c.remoteAddress));
    return c;
  }
  for (std::string_view key : {"psk", "psk_file"}) r.forbid(key, "is for auth = \"psk\"; this connection uses pubkey");
  c.pubkey = parsePubkey(r, ctx);
  // With certificates strongSwan's defaults: we are our certificate's
  // subject, the peer whoever the trusted CAs vouch for (%any).
  c.localId = localId ? std::move(*localId) : certificateIdentity(c.pubkey);
  checkCertificateNames(r, c.localId, c.pubkey);
  c.remoteId = remoteId.value_or(IdentityConfig{IdentityConfig::Type::Any, "%any", {}});
  return c;
}

}  // namespace

IkeSettings parseIkeSection(const toml::table& root) {
  IkeSettings s;
  const toml::node* n = root.get("ike");
  if (!n) return s;
  const auto* t = n->as_table();
  if (!t) throw ConfigError(whereOf(n->source(), "ike"), "expected a table [ike]");
  TableReader r(*t, "ike", kIkeKeys);
  if (auto seconds = r.optionalNumber("retransmit_timeout", 0.1, 600))
    s.retransmitTimeoutMs = static_cast<uint32_t>(*seconds * 1000);
  s.retransmitBase = r.optionalNumber("retransmit_base", 1.0, 10.0).value_or(s.retransmitBase);
  s.retransmitTries = r.optionalInteger<uint32_t>("retransmit_tries", 1, 100).value_or(s.retransmitTries);
  s.cookieThreshold = r.optionalInteger<uint32_t>("cookie_threshold", 0).value_or(s.cookieThreshold);
  s.fragmentSize = r.optionalInteger<uint32_t>("fragment_size", kMinFragmentSize, 65535).value_or(s.fragmentSize);
  return s;
}

std::vector<ConnectionConfig> parseConnectionSections(const toml::table& root, const std::vector<PortConfig>& ports,
                                                      ParseContext& ctx) {
  std::vector<ConnectionConfig> out;
  const toml::node* n = root.get("connections");
  if (!n) return out;
  const auto* t = n->as_table();
  if (!t)
    throw ConfigError(whereOf(n->source(), "connections"),
                      "expected a table of connections ([connections.NAME]), not an array");
  for (auto& [name, conn] : topLevel(root).namedTables("connections", kConnectionKeys))
    out.push_back(parseConnection(name, conn, ports, ctx));
  return out;
}

}  // namespace ipsecgw::config

// [[policy]] tables: outbound SPD entries (RFC 4301 4.4.1) and the selectors
// inbound SAs are held to after decryption (RFC 4301 5.2 step 4).
#include <charconv>

#include "config/names.hpp"
#include "config/sections.hpp"
#include "config/spelling.hpp"
#include "config/table_reader.hpp"

namespace ipsecgw::config {

namespace {

constexpr std::array<std::string_view, 10> kPolicyKeys = {"name",     "direction", "priority",  "src",    "dst",
                                                          "protocol", "src_ports", "dst_ports", "action", "sa"};
constexpr std::array<std::string_view, 3> kActionNames = {"protect", "bypass", "discard"};

constexpr uint8_t kProtoIcmp = 1, kProtoTcp = 6, kProtoUdp = 17, kProtoIcmpV6 = 58, kProtoSctp = 132;
constexpr std::array<std::string_view, 6> kProtocolNames = {"any", "tcp", "udp", "icmp", "icmpv6", "sctp"};
constexpr std::array<uint8_t, 6> kProtocolNumbers = {0, kProtoTcp, kProtoUdp, kProtoIcmp, kProtoIcmpV6, kProtoSctp};

struct PortRange {
  uint16_t lo = 0, hi = 65535;
  bool any() const { return lo == 0 && hi == 65535; }
};

// A name from kProtocolNames or a number 0..255 (RFC 7296 3.13.1: 0 = any).
uint8_t parseProtocol(const TableReader& r) {
  if (r.holdsInteger("protocol")) return r.integer<uint8_t>("protocol");
  auto text = r.optionalText("protocol");
  if (!text) return 0;
  for (size_t i = 0; i < kProtocolNames.size(); ++i)
    if (kProtocolNames[i] == *text) return kProtocolNumbers[i];
  r.fail("protocol", "unknown protocol " + quoted(*text) + " (known: " + joinNames(kProtocolNames) +
                         ", or a number 0..255)" + didYouMean(*text, kProtocolNames));
}

std::optional<uint16_t> parsePortNumber(std::string_view text) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

// "any", "443" or "1000-2000".
PortRange parsePortRange(const TableReader& r, std::string_view key, uint8_t proto) {
  auto text = r.optionalText(key);
  if (!text || *text == "any") return {};
  size_t dash = text->find('-');
  auto lo = parsePortNumber(text->substr(0, dash));
  auto hi = dash == std::string_view::npos ? lo : parsePortNumber(text->substr(dash + 1));
  if (!lo || !hi) r.fail(key, "expected \"any\", a port such as \"443\" or a range such as \"1000-2000\", got " + quoted(*text));
  if (*lo > *hi) r.fail(key, "range " + quoted(*text) + " runs backwards");
  PortRange range{*lo, *hi};
  // RFC 7296 3.13.1: port-less protocols carry the full range. ICMP type
  // and code are not offered as "ports" here: too easy to misread.
  if (!range.any() && proto != kProtoTcp && proto != kProtoUdp && proto != kProtoSctp)
    r.fail(key, "port ranges need protocol tcp, udp or sctp");
  return range;
}

policy::TrafficSelector parseSelector(const TableReader& r) {
  policy::TrafficSelector sel;
  sel.src = r.prefix("src");
  sel.dst = r.prefix("dst");
  if (sel.dst.address.family != sel.src.address.family)
    r.fail("dst", "dst is " + std::string(familyName(sel.dst.address)) + " but src is " +
                      std::string(familyName(sel.src.address)) + "; a policy covers one family (write two policies)");
  sel.proto = parseProtocol(r);
  if (sel.proto == kProtoIcmp && !sel.src.address.isV4()) r.fail("protocol", "icmp with IPv6 prefixes; use icmpv6");
  if (sel.proto == kProtoIcmpV6 && sel.src.address.isV4()) r.fail("protocol", "icmpv6 with IPv4 prefixes; use icmp");
  PortRange srcPorts = parsePortRange(r, "src_ports", sel.proto);
  PortRange dstPorts = parsePortRange(r, "dst_ports", sel.proto);
  sel.srcPortLo = srcPorts.lo;
  sel.srcPortHi = srcPorts.hi;
  sel.dstPortLo = dstPorts.lo;
  sel.dstPortHi = dstPorts.hi;
  return sel;
}

PolicySpec parsePolicy(const TableReader& r, NameRegistry& names, const std::vector<SaSpec>& sas, uint32_t id) {
  PolicySpec p;
  p.name = names.take(r);
  p.direction = r.choice<esp::Direction>("direction", kDirectionNames, "direction");
  p.policy.id = id;
  p.policy.priority = r.optionalInteger<uint32_t>("priority").value_or(0);
  p.policy.sel = parseSelector(r);
  p.policy.action = r.choice<policy::PolicyAction>("action", kActionNames, "action");
  if (p.direction == esp::Direction::Inbound && p.policy.action != policy::PolicyAction::Protect)
    r.fail("action", "inbound policies list what an inbound SA may carry, so they only take \"protect\"; bypass and "
                     "discard belong in outbound policies");
  if (p.policy.action != policy::PolicyAction::Protect) {
    r.forbid("sa", "only protect policies name an SA");
    return p;
  }
  size_t sa = resolveReference(r, "sa", sas, "SA");
  if (sas[sa].direction != p.direction)
    r.fail("sa", "SA " + quoted(sas[sa].name) + " is " + std::string(kDirectionNames[static_cast<size_t>(sas[sa].direction)]) +
                     " but this policy is " + std::string(kDirectionNames[static_cast<size_t>(p.direction)]));
  p.saName = sas[sa].name;
  p.policy.saIndex = static_cast<uint32_t>(sa);
  return p;
}

}  // namespace

std::vector<PolicySpec> parsePolicySections(const toml::table& root, const std::vector<SaSpec>& sas) {
  std::vector<PolicySpec> policies;
  NameRegistry names("policy", NameRule::Object);
  for (const auto& [table, path] : tablesOf(root, "policy"))
    policies.push_back(parsePolicy(TableReader(*table, path, kPolicyKeys), names, sas, static_cast<uint32_t>(policies.size() + 1)));
  return policies;
}

}  // namespace ipsecgw::config

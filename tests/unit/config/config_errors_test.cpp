// Every kind of configuration error names file, line, column and key path,
// says what is wrong, and never shows key material.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "config/config_parser.hpp"
#include "config_text.hpp"

using namespace ipsecgw;
using namespace ipsecgw::config;
using namespace ipsecgw::config::test;

namespace {

struct ErrorCase {
  std::string what;
  std::string text;
  int line;            // expected line of the error
  std::string expect;  // substring: "PATH: message..."
};

// The case where `from` becomes `to` and the error sits on the line of
// `marker` (in the mutated text).
ErrorCase mutation(std::string what, std::string_view from, std::string_view to, std::string_view marker,
                   std::string expect, int fromOccurrence = 0, int markerOccurrence = 0) {
  std::string text = replaced(baseConfig(), from, to, fromOccurrence);
  int line = lineOf(text, marker, markerOccurrence);
  return {std::move(what), std::move(text), line, std::move(expect)};
}

// A case that needs several edits: `edits` are applied in order, each to
// the first occurrence.
ErrorCase edited(std::string what, std::initializer_list<std::pair<std::string_view, std::string_view>> edits,
                 std::string_view marker, int markerOccurrence, std::string expect) {
  std::string text = baseConfig();
  for (const auto& [from, to] : edits) text = replaced(text, from, to);
  int line = lineOf(text, marker, markerOccurrence);
  return {std::move(what), std::move(text), line, std::move(expect)};
}

ErrorCase atLine(int line, ErrorCase c) {
  c.line = line;
  return c;
}

void checkNoKeyMaterial(const std::string& message) {
  // Any 16 consecutive hex digits of either key would be a leak.
  for (std::string_view key : {kOutKeyHex, kInKeyHex})
    for (size_t i = 0; i + 16 <= key.size(); ++i) CHECK(message.find(key.substr(i, 16)) == std::string::npos);
}

void checkCase(const ErrorCase& c) {
  INFO("case: " << c.what);
  ConfigResult r = parseConfigString(c.text, "test.toml");
  INFO("error: " << r.error);
  CHECK_FALSE(r.ok());
  CHECK(r.error.starts_with("test.toml:" + std::to_string(c.line) + ":"));
  CHECK(r.error.find(c.expect) != std::string::npos);
  checkNoKeyMaterial(r.error);
  for (const std::string& n : r.notes) checkNoKeyMaterial(n);
}

}  // namespace

TEST_CASE("syntax errors give the line and hide key material", "[config]") {
  std::vector<ErrorCase> cases = {
      mutation("unterminated string", "mode = \"tunnel\"", "mode = \"tunnel", "mode = \"tunnel", "syntax error while parsing "),
      mutation("key redefined", "spi = 0x1000", "spi = 0x1000\nspi = 0x1001", "spi = 0x1001", "syntax error while parsing "),
      // toml++ echoes an over-long integer literal: here a key written bare.
      mutation("bare hex key", "key = \"0x" + std::string(kOutKeyHex) + "\"", "key = 0x" + std::string(kOutKeyHex),
               "key = 0x", "syntax error while parsing "),
      mutation("bare decimal-looking key", "key = \"" + std::string(kInKeyHex) + "\"", "key = " + std::string(kInKeyHex),
               "key = 5ec", "syntax error while parsing "),
      mutation("unquoted key with escape", "key = \"0x", "key = \"\\q0x", "key = \"\\q0x", "syntax error while parsing "),
  };
  for (const ErrorCase& c : cases) checkCase(c);
}

TEST_CASE("structural errors name the key path", "[config]") {
  std::vector<ErrorCase> cases = {
      mutation("unknown key with hint", "transform = \"aes128gcm16\"", "transfrom = \"aes128gcm16\"", "transfrom",
               "sa[0].transfrom: unknown key (did you mean \"transform\"?)"),
      mutation("unknown key without hint", "mode = \"tunnel\"", "mode = \"tunnel\"\ncolour = \"blue\"", "colour",
               "sa[0].colour: unknown key (known here: name, direction, spi"),
      mutation("unknown top-level table", "[gateway]", "[gatway]", "[gatway]",
               "gatway: unknown key (did you mean \"gateway\"?)"),
      mutation("unknown key in an inline table", "mode = \"tunnel\"", "mode = \"tunnel\"\nudp_encap = { src_prt = 4500 }",
               "udp_encap", "sa[0].udp_encap.src_prt: unknown key (did you mean \"src_port\"?)"),
      mutation("misspelt key holding a key", "key = \"0x", "kye = \"0x", "kye", "sa[0].kye: unknown key (did you mean \"key\"?)"),
      mutation("table instead of array of tables", "[[route]]", "[route]", "[route]",
               "route: expected [[route]] tables, got a table (write [[route]], not [route])"),
      // A missing table has no line of its own: the file's start stands in.
      atLine(1, mutation("missing [gateway]", "[gateway]\ncrypto_engine = \"ipsec-mb\"", "", "[[port]]",
                         "gateway: missing required table [gateway]")),
      mutation("missing required key", "mode = \"tunnel\"\n", "", "[[sa]]", "sa[0].mode: missing required key"),
      mutation("missing key and key_file", "key = \"0x" + std::string(kOutKeyHex) + "\"", "", "[[sa]]",
               "sa[0]: missing key or key_file"),
      edited("no ports",
             {{"[[port]]\nname = \"lan\"\ndevice = \"net_null0\"\nipv4 = \"10.0.0.254/24\"\nrole = \"protected\"", ""},
              {"[[port]]\nname = \"wan\"\ndevice = \"net_null1\"\nipv4 = \"192.0.2.1/24\"\nrole = \"unprotected\"", ""}},
             "[gateway]", 0, "port: no [[port]] tables: the gateway needs at least one port"),
  };
  for (const ErrorCase& c : cases) checkCase(c);
}

TEST_CASE("value errors name the key path and the accepted values", "[config]") {
  std::vector<ErrorCase> cases = {
      mutation("wrong type", "spi = 0x1000", "spi = \"4096\"", "spi = \"4096\"", "sa[0].spi: expected an integer, got a string"),
      mutation("float for integer", "role = \"protected\"", "role = \"protected\"\nmtu = 1500.0", "mtu = 1500.0",
               "port[0].mtu: expected an integer, got a floating-point number"),
      mutation("wrong type of key hides the value", "key = \"0x" + std::string(kOutKeyHex) + "\"", "key = 1234", "key = 1234",
               "sa[0].key: expected a string, got an integer"),
      mutation("reserved SPI", "spi = 0x1000", "spi = 255", "spi = 255", "sa[0].spi: 255 is out of range (256..4294967295)"),
      mutation("SPI too large", "spi = 0x1000", "spi = 0x100000000", "spi = 0x100000000",
               "sa[0].spi: 4294967296 is out of range (256..4294967295)"),
      mutation("unknown transform", "transform = \"aes128gcm16\"", "transform = \"aes128gcm12\"", "aes128gcm12",
               "sa[0].transform: unknown transform \"aes128gcm12\" (known: aes128gcm16, aes256gcm16, chacha20poly1305, "
               "aes128gmac, aes256gmac, aes128-sha256, aes256-sha256, null-sha256) (did you mean \"aes128gcm16\"?)"),
      mutation("unknown direction", "direction = \"outbound\"", "direction = \"outbond\"", "outbond",
               "sa[0].direction: unknown direction \"outbond\" (known: inbound, outbound) (did you mean \"outbound\"?)"),
      mutation("mtu too small", "role = \"protected\"", "role = \"protected\"\nmtu = 500", "mtu = 500",
               "port[0].mtu: 500 is out of range (576..9000)"),
      mutation("IPv6 port mtu", "role = \"protected\"", "role = \"protected\"\nipv6 = \"fd00::fe/64\"\nmtu = 1000",
               "mtu = 1000", "port[0].mtu: a port with IPv6 needs an MTU of at least 1280"),
      mutation("port address without length", "ipv4 = \"10.0.0.254/24\"", "ipv4 = \"10.0.0.254\"", "ipv4",
               "port[0].ipv4: expected the port's IPv4 address with its prefix length"),
      mutation("IPv6 in ipv4", "ipv4 = \"10.0.0.254/24\"", "ipv4 = \"fd00::1/64\"", "ipv4",
               "port[0].ipv4: \"fd00::1/64\" is IPv6; it belongs in ipv6"),
      mutation("bad port name", "name = \"lan\"", "name = \"LAN port\"", "LAN port", "port[0].name: invalid port name"),
      mutation("prefix with host bits", "prefix = \"0.0.0.0/0\"", "prefix = \"10.1.2.3/16\"", "10.1.2.3/16",
               "route[0].prefix: \"10.1.2.3/16\" has host bits set beyond /16 (did you mean \"10.1.0.0/16\"?)"),
      mutation("not an address", "remote = \"192.0.2.2\"", "remote = \"192.0.2.300\"", "192.0.2.300",
               "sa[0].remote: not an IPv4 or IPv6 address: \"192.0.2.300\""),
      mutation("control characters are escaped", "name = \"lan-out\"", "name = \"a\\nb\"", "a\\nb",
               "policy[0].name: invalid policy name \"a\\x0ab\""),
      mutation("protocol name", "action = \"protect\"\nsa = \"out\"", "protocol = \"tpc\"\naction = \"protect\"\nsa = \"out\"",
               "tpc", "policy[0].protocol: unknown protocol \"tpc\" (known: any, tcp, udp, icmp, icmpv6, sctp, or a number "
                      "0..255) (did you mean \"tcp\"?)"),
      mutation("protocol number range", "action = \"protect\"\nsa = \"out\"",
               "protocol = 300\naction = \"protect\"\nsa = \"out\"", "protocol = 300",
               "policy[0].protocol: 300 is out of range (0..255)"),
      mutation("ports without tcp/udp", "action = \"protect\"\nsa = \"out\"",
               "dst_ports = \"443\"\naction = \"protect\"\nsa = \"out\"", "dst_ports",
               "policy[0].dst_ports: port ranges need protocol tcp, udp or sctp"),
      mutation("backwards range", "action = \"protect\"\nsa = \"out\"",
               "protocol = \"tcp\"\nsrc_ports = \"2000-1000\"\naction = \"protect\"\nsa = \"out\"", "src_ports",
               "policy[0].src_ports: range \"2000-1000\" runs backwards"),
      mutation("port out of range", "action = \"protect\"\nsa = \"out\"",
               "protocol = \"udp\"\nsrc_ports = \"70000\"\naction = \"protect\"\nsa = \"out\"", "src_ports",
               "policy[0].src_ports: expected \"any\", a port such as \"443\""),
      mutation("icmp with IPv6", "src = \"10.0.0.0/24\"\ndst = \"10.0.1.0/24\"",
               "src = \"fd00::/64\"\ndst = \"fd00:1::/64\"\nprotocol = \"icmp\"", "protocol",
               "policy[0].protocol: icmp with IPv6 prefixes; use icmpv6"),
      mutation("mixed policy families", "dst = \"10.0.1.0/24\"", "dst = \"fd00:1::/64\"", "fd00:1::/64",
               "policy[0].dst: dst is IPv6 but src is IPv4"),
      mutation("lifetime soft above hard", "mode = \"tunnel\"",
               "mode = \"tunnel\"\nlifetime = { soft_packets = 10, hard_packets = 5 }", "lifetime",
               "sa[0].lifetime.soft_packets: soft_packets 10 exceeds hard_packets 5"),
      mutation("udp_encap port 0", "mode = \"tunnel\"", "mode = \"tunnel\"\nudp_encap = { dst_port = 0 }", "udp_encap",
               "sa[0].udp_encap.dst_port: 0 is out of range (1..65535)"),
      mutation("replay window range", "direction = \"inbound\"", "direction = \"inbound\"\nreplay_window = 32",
               "replay_window", "sa[1].replay_window: 32 is out of range (64..4096)"),
      mutation("key not hex", "key = \"0x" + std::string(kOutKeyHex) + "\"",
               "key = \"0xZZ" + std::string(kOutKeyHex) + "\"", "key = \"0xZZ", "sa[0].key: not hex KEYMAT (value not shown)"),
      mutation("key of wrong length", "key = \"0x" + std::string(kOutKeyHex) + "\"",
               "key = \"0x" + std::string(kOutKeyHex.substr(0, 32)) + "\"", "key = \"0x",
               "sa[0].key: aes128gcm16 needs 20 bytes of KEYMAT (16 cipher key + 4 salt), got 16"),
      mutation("key too long for HMAC transform", "transform = \"aes128gcm16\"", "transform = \"aes128-sha256\"", "key = \"0x",
               "sa[0].key: aes128-sha256 needs 48 bytes of KEYMAT (16 cipher key + 32 integrity key), got 20"),
      mutation("both key and key_file", "key = \"0x", "key_file = \"/nonexistent\"\nkey = \"0x", "key_file",
               "sa[0].key_file: give either key or key_file, not both"),
      mutation("key pasted into key_file", "key = \"0x", "key_file = \"0x", "key_file",
               "sa[0].key_file: this looks like key material, not a path (value not shown)"),
  };
  for (const ErrorCase& c : cases) checkCase(c);
}

TEST_CASE("direction- and mode-specific fields are refused where they mean nothing", "[config]") {
  std::vector<ErrorCase> cases = {
      mutation("inbound-only field on outbound SA", "direction = \"outbound\"", "direction = \"outbound\"\nreplay_window = 128",
               "replay_window", "sa[0].replay_window: only inbound SAs have a replay window"),
      mutation("outbound-only field on inbound SA", "direction = \"inbound\"", "direction = \"inbound\"\nttl = 32", "ttl = 32",
               "sa[1].ttl: only outbound SAs build outer headers"),
      mutation("TFC padding in transport mode", "mode = \"tunnel\"", "mode = \"transport\"\ntfc_pad_to = 256",
               "tfc_pad_to", "sa[0].tfc_pad_to: tunnel mode only"),
      edited("df with IPv6 outer header",
             {{"ipv4 = \"192.0.2.1/24\"", "ipv4 = \"192.0.2.1/24\"\nipv6 = \"2001:db8::1/64\""},
              {"local = \"192.0.2.1\"\nremote = \"192.0.2.2\"", "local = \"2001:db8::1\"\nremote = \"2001:db8::2\"\ndf = \"set\""}},
             "df =", 0, "sa[0].df: the DF bit exists only in an IPv4 outer header"),
      mutation("mixed SA families", "remote = \"192.0.2.2\"", "remote = \"2001:db8::2\"", "2001:db8::2",
               "sa[0].remote: remote is IPv6 but local is IPv4"),
      mutation("inbound policy with bypass", "action = \"protect\"\nsa = \"in\"", "action = \"bypass\"", "bypass",
               "policy[1].action: inbound policies list what an inbound SA may carry"),
      mutation("sa on a bypass policy", "action = \"protect\"\nsa = \"out\"", "action = \"bypass\"\nsa = \"out\"",
               "sa = \"out\"", "policy[0].sa: only protect policies name an SA"),
  };
  for (const ErrorCase& c : cases) checkCase(c);
}

TEST_CASE("names are unique and references resolve", "[config]") {
  std::vector<ErrorCase> cases = {
      mutation("duplicate SA name", "name = \"in\"", "name = \"out\"", "name = \"out\"",
               "sa[1].name: duplicate SA name \"out\" (first defined at line ", 0, 1),
      mutation("duplicate port name", "name = \"wan\"", "name = \"lan\"", "name = \"lan\"",
               "port[1].name: duplicate port name \"lan\"", 0, 1),
      mutation("duplicate device", "device = \"net_null1\"", "device = \"net_null0\"", "device = \"net_null0\"",
               "port[1].device: device is already used by port \"lan\"", 0, 1),
      edited("duplicate SPI", {{"spi = 0x2000", "spi = 0x1000"}, {"direction = \"inbound\"", "direction = \"outbound\""}},
             "spi = 0x1000", 1,
             "sa[1].spi: SPI 4096 with local 192.0.2.1 is already used by outbound SA \"out\" (line " +
                 std::to_string(lineOf(baseConfig(), "[[sa]]")) + ")"),
      mutation("policy names an unknown SA", "sa = \"out\"", "sa = \"outt\"", "sa = \"outt\"",
               "policy[0].sa: no SA named \"outt\" (did you mean \"out\"?)"),
      mutation("policy names an SA of the other direction", "sa = \"out\"", "sa = \"in\"", "sa = \"in\"",
               "policy[0].sa: SA \"in\" is inbound but this policy is outbound"),
      mutation("route names an unknown port", "port = \"wan\"", "port = \"wna\"", "wna",
               "route[0].port: no port named \"wna\" (did you mean \"wan\"?)"),
      mutation("route family without port address", "prefix = \"0.0.0.0/0\"\nport = \"wan\"\nvia = \"192.0.2.254\"",
               "prefix = \"::/0\"\nport = \"wan\"", "port = \"wan\"",
               "route[0].port: port \"wan\" has no IPv6 address, so it cannot carry this route"),
      mutation("next hop off-link", "via = \"192.0.2.254\"", "via = \"198.51.100.1\"", "198.51.100.1",
               "route[0].via: next hop 198.51.100.1 is not on port \"wan\"'s subnet 192.0.2.1/24"),
      mutation("duplicate route", "[[sa]]", "[[route]]\nprefix = \"0.0.0.0/0\"\nport = \"wan\"\n\n[[sa]]",
               "prefix = \"0.0.0.0/0\"", "route[1].prefix: duplicate route for 0.0.0.0/0 (first at line " +
                   std::to_string(lineOf(baseConfig(), "[[route]]")) + ")",
               0, 1),
      mutation("SA local not ours", "local = \"192.0.2.1\"", "local = \"192.0.2.9\"", "192.0.2.9",
               "sa[0].local: 192.0.2.9 is not the address of any port"),
      // The inbound policy turned into an outbound bypass: the inbound SA
      // is left with no selectors, and the SA itself is the error.
      edited("inbound SA without policy",
             {{"direction = \"inbound\"\nsrc", "direction = \"outbound\"\nsrc"},
              {"action = \"protect\"\nsa = \"in\"", "action = \"bypass\""}},
             "[[sa]]", 1, "sa[1]: inbound SA \"in\" is named by no inbound policy"),
  };
  for (const ErrorCase& c : cases) checkCase(c);
}

TEST_CASE("an error reports the exact column of the value", "[config]") {
  std::string text = replaced(baseConfig(), "spi = 0x1000", "spi =    17");
  ConfigResult r = parseConfigString(text, "gateway.conf");
  CHECK(r.error == "gateway.conf:" + std::to_string(lineOf(text, "spi =    17")) +
                       ":10: sa[0].spi: 17 is out of range (256..4294967295)");
}

TEST_CASE("garbage never throws", "[config]") {
  for (std::string_view text : {std::string_view(""), std::string_view("\0\xff\xfe", 3), std::string_view("[[[["),
                                std::string_view("a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
                                std::string_view("port = 1"), std::string_view("port = [1, 2]"), std::string_view("sa = []")}) {
    ConfigResult r = parseConfigString(text, "x.toml");
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.error.empty());
  }
}

TEST_CASE("a missing file is reported by path", "[config]") {
  ConfigResult r = parseConfigFile("/nonexistent/gateway.toml");
  CHECK_FALSE(r.ok());
  CHECK(r.error == "/nonexistent/gateway.toml: cannot open: No such file or directory");
}

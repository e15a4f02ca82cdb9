// [ike] and [connections.NAME] (children.NAME): IKEv2 peers as swanctl.conf
// shapes them. Each error names the key path and the line.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "config/config_parser.hpp"
#include "config_text.hpp"

using namespace ipsecgw;
using namespace ipsecgw::config;
using namespace ipsecgw::config::test;

namespace {

// Clearly a test key: never use it.
constexpr std::string_view kTestPsk = "test-psk-not-secret-7f3a";

std::string connectionText(std::string_view extraConn = "", std::string_view extraChild = "") {
  return std::string(R"(
[ike]
retransmit_timeout = 2.5
retransmit_tries = 3

[connections.site-b]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
local = { id = "gwa.example.net", auth = "psk" }
remote = { id = "192.0.2.2" }
psk = ")") + std::string(kTestPsk) + R"("
proposals = ["aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"]
)" + std::string(extraConn) + R"(
[connections.site-b.children.net]
local_ts = ["10.0.0.0/24", "fd00::/64[tcp/443]"]
remote_ts = "10.0.1.0/24[udp/1000-2000]"
esp_proposals = ["aes128gcm16"]
start_action = "start"
)" + std::string(extraChild) + R"(
[connections.site-b.children.mgmt]
local_ts = "192.0.2.1/32"
remote_ts = "192.0.2.2/32"
esp_proposals = "chacha20poly1305"
mode = "transport"
)";
}

ConfigResult parse(const std::string& extra) { return parseConfigString(baseConfig() + extra, "test.toml"); }

void checkError(const ConfigResult& r, const std::string& text, std::string_view marker, std::string_view expected) {
  INFO(r.error);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.starts_with("test.toml:" + std::to_string(lineOf(baseConfig() + text, marker)) + ":"));
  CHECK(r.error.find(expected) != std::string::npos);
  CHECK(r.error.find(kTestPsk) == std::string::npos);
}

}  // namespace

TEST_CASE("a connection with two children", "[config][ike]") {
  ConfigResult r = parse(connectionText());
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.config->ike.retransmitTimeoutMs == 2500);
  CHECK(r.config->ike.retransmitTries == 3);
  REQUIRE(r.config->connections.size() == 1);
  const ConnectionConfig& c = r.config->connections[0];
  CHECK(c.name == "site-b");
  CHECK(c.localAddress.toString() == "192.0.2.1");
  CHECK(c.remoteAddress.toString() == "192.0.2.2");
  CHECK(c.localId.type == IdentityConfig::Type::Fqdn);
  CHECK(c.localId.value == "gwa.example.net");
  CHECK(c.remoteId.type == IdentityConfig::Type::Ipv4);
  CHECK(std::string(reinterpret_cast<const char*>(c.psk.view().data()), c.psk.size()) == kTestPsk);
  CHECK(c.ikeProposals == std::vector<std::string>{"aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"});
  REQUIRE(c.children.size() == 2);
  // File order, not key order ("mgmt" < "net").
  CHECK(c.children[0].name == "net");
  CHECK(c.children[1].name == "mgmt");
  const ChildConfig& net = c.children[0];
  REQUIRE(net.localTs.size() == 2);
  CHECK(net.localTs[0].prefix.toString() == "10.0.0.0/24");
  CHECK(net.localTs[0].proto == 0);
  CHECK(net.localTs[1].proto == 6);
  CHECK(net.localTs[1].portLo == 443);
  CHECK(net.localTs[1].portHi == 443);
  REQUIRE(net.remoteTs.size() == 1);
  CHECK(net.remoteTs[0].proto == 17);
  CHECK(net.remoteTs[0].portLo == 1000);
  CHECK(net.remoteTs[0].portHi == 2000);
  CHECK(net.startAction == StartAction::Start);
  CHECK(net.mode == esp::Mode::Tunnel);
  CHECK(c.children[1].mode == esp::Mode::Transport);
  CHECK(c.children[1].espProposals == std::vector<std::string>{"chacha20poly1305"});
  // RFC 7383 defaults: announce and use fragmentation, 1280-byte fragments.
  CHECK(c.fragmentation == Fragmentation::Yes);
  CHECK(r.config->ike.fragmentSize == 1280);
}

TEST_CASE("IKE fragmentation (RFC 7383): per connection, fragment_size in [ike]", "[config][ike][fragmentation]") {
  auto parsed = [](std::string_view ikeLine, std::string_view connLine) {
    std::string text = replaced(connectionText(connLine), "retransmit_tries = 3\n",
                                "retransmit_tries = 3\n" + std::string(ikeLine) + "\n");
    return parse(text);
  };
  for (auto [word, want] : {std::pair{"no", Fragmentation::No}, std::pair{"accept", Fragmentation::Accept},
                            std::pair{"yes", Fragmentation::Yes}, std::pair{"force", Fragmentation::Force}}) {
    ConfigResult r = parsed("fragment_size = 400", "fragmentation = \"" + std::string(word) + "\"\n");
    INFO(word << ": " << r.error);
    REQUIRE(r.ok());
    CHECK(r.config->connections[0].fragmentation == want);
    CHECK(r.config->ike.fragmentSize == 400);
  }
  SECTION("fragments above the port's MTU: a note naming both") {
    auto notesWith = [](std::string_view mtu, std::string_view frag) {
      std::string text = replaced(connectionText("fragmentation = \"" + std::string(frag) + "\"\n"),
                                  "retransmit_tries = 3\n", "retransmit_tries = 3\nfragment_size = 1400\n");
      text = replaced(baseConfig() + text, "role = \"unprotected\"\n", "role = \"unprotected\"\nmtu = " + std::string(mtu) + "\n");
      ConfigResult r = parseConfigString(text, "test.toml");
      INFO(r.error);
      REQUIRE(r.ok());
      return std::count_if(r.notes.begin(), r.notes.end(), [](const std::string& n) {
        return n.find("fragment_size 1400 exceeds the mtu 1280 of port \"wan\"") != std::string::npos &&
               n.find("connections.site-b") != std::string::npos;
      });
    };
    CHECK(notesWith("1280", "yes") == 1);
    CHECK(notesWith("1280", "accept") == 0);  // never sends fragments
    CHECK(notesWith("1500", "yes") == 0);
  }
  SECTION("an unknown value") {
    std::string text = connectionText("fragmentation = \"maybe\"\n");
    checkError(parse(text), text, "fragmentation", "unknown fragmentation \"maybe\"");
  }
  SECTION("a fragment_size too small for any fragment") {
    std::string text = replaced(connectionText(), "retransmit_tries = 3\n", "retransmit_tries = 3\nfragment_size = 100\n");
    ConfigResult r = parse(text);
    checkError(r, text, "fragment_size", "ike.fragment_size");
  }
  SECTION("above a UDP datagram") {
    std::string text = replaced(connectionText(), "retransmit_tries = 3\n", "retransmit_tries = 3\nfragment_size = 70000\n");
    checkError(parse(text), text, "fragment_size", "ike.fragment_size");
  }
}

TEST_CASE("identities take their type from their form", "[config][ike]") {
  auto idOf = [](std::string_view id) {
    std::string text = replaced(connectionText(), "remote = { id = \"192.0.2.2\" }",
                                "remote = { id = \"" + std::string(id) + "\" }");
    ConfigResult r = parse(text);
    INFO(r.error);
    REQUIRE(r.ok());
    return r.config->connections[0].remoteId;
  };
  CHECK(idOf("%any").type == IdentityConfig::Type::Any);
  CHECK(idOf("2001:db8::2").type == IdentityConfig::Type::Ipv6);
  CHECK(idOf("vpn@example.net").type == IdentityConfig::Type::Email);
  IdentityConfig forced = idOf("@gwb");
  CHECK(forced.type == IdentityConfig::Type::Fqdn);
  CHECK(forced.value == "gwb");
}

TEST_CASE("connection errors name the key and line, never the PSK", "[config][ike]") {
  SECTION("local_addr must be a port address") {
    std::string text = replaced(connectionText(), "local_addr = \"192.0.2.1\"", "local_addr = \"192.0.2.9\"");
    checkError(parse(text), text, "local_addr", "connections.site-b.local_addr: 192.0.2.9 is not the address of any port");
  }
  SECTION("unknown key with a hint") {
    std::string text = connectionText("dpd_dealy = 10\n");
    checkError(parse(text), text, "dpd_dealy", "did you mean \"dpd_delay\"");
  }
  SECTION("a bad traffic selector") {
    std::string text = replaced(connectionText(), "10.0.1.0/24[udp/1000-2000]", "10.0.1.0/24[udp/2000-1000]");
    checkError(parse(text), text, "remote_ts", "bad port or port range");
  }
  SECTION("an unknown selector protocol") {
    std::string text = replaced(connectionText(), "[tcp/443]", "[tpc/443]");
    checkError(parse(text), text, "local_ts = [", "unknown protocol \"tpc\"");
  }
  SECTION("no children") {
    std::string text = R"(
[connections.lonely]
local_addr = "192.0.2.1"
remote_addr = "192.0.2.2"
psk = "x"
proposals = "aes128gcm16-prfsha256-x25519"
)";
    checkError(parse(text), text, "[connections.lonely]", "at least one child");
  }
  SECTION("no psk") {
    std::string text = replaced(connectionText(), "psk = \"" + std::string(kTestPsk) + "\"", "");
    checkError(parse(text), text, "[connections.site-b]", "missing psk or psk_file");
  }
  SECTION("%any as our own identity") {
    std::string text = replaced(connectionText(), "gwa.example.net", "%any");
    checkError(parse(text), text, "local = {", "%any is for the remote side");
  }
  SECTION("a bad start_action") {
    std::string text = replaced(connectionText(), "start_action = \"start\"", "start_action = \"go\"");
    checkError(parse(text), text, "start_action", "unknown start action \"go\"");
  }
  SECTION("an unknown IKE algorithm") {
    std::string text = replaced(connectionText(), "aes256-sha256-modp2048", "aes256-sha1-modp1024");
    checkError(parse(text), text, "proposals = [", "proposal \"aes256-sha1-modp1024\": unknown algorithm keyword \"sha1\"");
  }
  SECTION("an IKE-only keyword in ESP") {
    std::string text = replaced(connectionText(), "esp_proposals = [\"aes128gcm16\"]", "esp_proposals = [\"aes128gcm16-prfsha256\"]");
    checkError(parse(text), text, "esp_proposals = [", "a PRF belongs to IKE proposals, not ESP");
  }
  SECTION("no esp_proposals") {
    std::string text = replaced(connectionText(), "esp_proposals = \"chacha20poly1305\"", "");
    checkError(parse(text), text, "[connections.site-b.children.mgmt]", "esp_proposals: missing");
  }
}

TEST_CASE("psk_file: mode 0600 read, first line; hex with 0x", "[config][ike][keys]") {
  TempDir dir;
  std::string textPsk = dir.write("text.psk", std::string(kTestPsk) + "\nsecond line ignored\n", 0600);
  std::string hexPsk = dir.write("hex.psk", "0x00ff10\n", 0600);
  std::string shared = dir.write("shared.psk", "x\n", 0644);
  auto withFile = [&](const std::string& path) {
    return replaced(connectionText(), "psk = \"" + std::string(kTestPsk) + "\"", "psk_file = \"" + path + "\"");
  };
  ConfigResult r = parse(withFile(textPsk));
  INFO(r.error);
  REQUIRE(r.ok());
  const SecretBytes& psk = r.config->connections[0].psk;
  CHECK(std::string(reinterpret_cast<const char*>(psk.view().data()), psk.size()) == kTestPsk);

  r = parse(withFile(hexPsk));
  REQUIRE(r.ok());
  CHECK(r.config->connections[0].psk.size() == 3);
  CHECK(r.config->connections[0].psk.view()[1] == 0xff);

  std::string text = withFile(shared);
  checkError(parse(text), text, "psk_file", "accessible by group or others");
}

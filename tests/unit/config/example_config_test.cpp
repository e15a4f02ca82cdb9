// The shipped example (config/example-gateway.toml) parses and yields what it
// says; the minimal test config parses without notes.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "config/config_parser.hpp"
#include "config_text.hpp"
#include "util/hex.hpp"

using namespace ipsecgw;
using namespace ipsecgw::config;

namespace {

const std::string kExample = std::string(IPSECGW_SOURCE_DIR) + "/config/example-gateway.toml";

IpAddress addr(const char* s) { return *IpAddress::parse(s); }
IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }

std::string keyHex(const SaSpec& s) { return encodeHex(s.sa.keymat.view().data(), s.sa.keymat.size()); }

}  // namespace

TEST_CASE("the example config parses to the values it spells out", "[config]") {
  ConfigResult r = parseConfigFile(kExample);
  INFO(r.error);
  REQUIRE(r.ok());
  const GatewayConfig& c = *r.config;

  CHECK(c.gateway.cryptoEngine == CryptoEngineKind::IpsecMb);
  CHECK(c.gateway.burst == 32);
  CHECK(c.gateway.idleBackoff);

  REQUIRE(c.ports.size() == 2);
  const PortConfig& lan = c.ports[0];
  CHECK(lan.name == "lan");
  CHECK(lan.device == "net_af_packet0,iface=veth-gwa-lan");
  REQUIRE(lan.ipv4);
  CHECK(lan.ipv4->address == addr("10.0.0.254"));
  CHECK(lan.ipv4->length == 24);
  REQUIRE(lan.ipv6);
  CHECK(lan.ipv6->address == addr("fd00::fe"));
  CHECK(lan.ipv6->length == 64);
  CHECK(lan.mtu == 1500);
  CHECK(lan.role == PortRole::Protected);
  const PortConfig& wan = c.ports[1];
  CHECK(wan.name == "wan");
  CHECK(!wan.ipv6);
  CHECK(wan.role == PortRole::Unprotected);

  REQUIRE(c.routes.size() == 3);
  CHECK(c.routes[0].prefix == prefix("0.0.0.0/0"));
  CHECK(c.routes[0].port == "wan");
  CHECK(c.routes[0].portIndex == 1);
  CHECK(c.routes[0].via == addr("192.0.2.254"));
  CHECK(c.routes[2].prefix == prefix("fd00:2::/64"));
  CHECK(c.routes[2].portIndex == 0);
  CHECK(c.routes[2].via == addr("fd00::1"));

  REQUIRE(c.sas.size() == 2);
  const SaSpec& out = c.sas[0];
  CHECK(out.name == "gwa-to-gwb");
  CHECK(out.direction == esp::Direction::Outbound);
  CHECK(out.sa.spi == 0x1000);
  CHECK(out.sa.transform == esp::Transform::AesGcm128);
  CHECK(out.sa.mode == esp::Mode::Tunnel);
  CHECK(out.sa.localAddress == addr("192.0.2.1"));
  CHECK(out.sa.remoteAddress == addr("192.0.2.2"));
  CHECK(keyHex(out) == "4a5f7e1b2c3d4e5f60718293a4b5c6d7e8f90a1b");
  CHECK(out.sa.esn);
  REQUIRE(out.sa.udpEncap);
  CHECK(out.sa.udpEncap->srcPort == 4500);
  CHECK(out.sa.udpEncap->dstPort == 4500);
  CHECK(out.sa.lifetime.softBytes == 900'000'000'000ull);
  CHECK(out.sa.lifetime.hardBytes == 1'000'000'000'000ull);
  CHECK(out.sa.lifetime.softPackets == 0);
  CHECK(out.sa.df == esp::DfPolicy::Copy);
  CHECK(out.sa.outerTtl == 64);
  CHECK(out.sa.tfcPadTo == 0);

  const SaSpec& in = c.sas[1];
  CHECK(in.name == "gwb-to-gwa");
  CHECK(in.direction == esp::Direction::Inbound);
  CHECK(in.sa.spi == 0x2000);
  CHECK(in.sa.replayWindow == 1024);
  CHECK(keyHex(in) == "0f1e2d3c4b5a69788796a5b4c3d2e1f0deadc0de");

  REQUIRE(c.policies.size() == 6);
  const PolicySpec& ssh = c.policies[0];
  CHECK(ssh.name == "mgmt-ssh");
  CHECK(ssh.policy.id == 1);
  CHECK(ssh.policy.priority == 10);
  CHECK(ssh.policy.action == policy::PolicyAction::Bypass);
  CHECK(ssh.policy.sel.proto == 6);
  CHECK(ssh.policy.sel.srcPortsAny());
  CHECK(ssh.policy.sel.dstPortLo == 22);
  CHECK(ssh.policy.sel.dstPortHi == 22);
  CHECK(ssh.saName.empty());
  const PolicySpec& lanToB = c.policies[1];
  CHECK(lanToB.policy.action == policy::PolicyAction::Protect);
  CHECK(lanToB.saName == "gwa-to-gwb");
  CHECK(lanToB.policy.saIndex == 0);
  CHECK(lanToB.policy.sel.src == prefix("10.0.0.0/24"));
  CHECK(lanToB.policy.sel.dst == prefix("10.0.1.0/24"));
  CHECK(lanToB.policy.sel.proto == 0);
  CHECK(c.policies[2].policy.sel.src == prefix("fd00::/64"));
  CHECK(c.policies[3].policy.action == policy::PolicyAction::Discard);
  CHECK(c.policies[3].policy.priority == 1000);
  const PolicySpec& bToLan = c.policies[4];
  CHECK(bToLan.direction == esp::Direction::Inbound);
  CHECK(bToLan.policy.priority == 0);
  CHECK(bToLan.policy.saIndex == 1);
  CHECK(bToLan.policy.id == 5);
}

TEST_CASE("inline keys in a file others can read draw a note, never the key", "[config]") {
  ConfigResult r = parseConfigFile(kExample);
  REQUIRE(r.ok());
  struct stat st {};
  REQUIRE(::stat(kExample.c_str(), &st) == 0);
  bool shared = (st.st_mode & 077) != 0;  // git checks out 0644; someone may have tightened it
  auto keyNote = [&](const char* path) {
    return std::any_of(r.notes.begin(), r.notes.end(), [&](const std::string& n) {
      return n.find(std::string(path) + ": inline key in a file that group or others can read") != std::string::npos;
    });
  };
  CHECK(keyNote("sa[0].key") == shared);
  CHECK(keyNote("sa[1].key") == shared);
  for (const std::string& n : r.notes) {
    CHECK(n.find("4a5f7e1b2c3d4e5f") == std::string::npos);
    CHECK(n.find("0f1e2d3c4b5a6978") == std::string::npos);
  }
}

TEST_CASE("the minimal config parses without notes", "[config]") {
  ConfigResult r = parseConfigString(test::baseConfig(), "test.toml");
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.error.empty());
  CHECK(r.notes.empty());
  CHECK(r.config->sas[0].sa.keymat.size() == 20);
  CHECK(r.config->sas[1].sa.replayWindow == 128);  // default
  CHECK(r.config->ports[0].mtu == 1500);           // default
  CHECK(r.config->gateway.burst == 32);            // default
}

TEST_CASE("policies keep file order whatever the priority", "[config]") {
  std::string text = test::replaced(test::baseConfig(), "name = \"lan-out\"", "name = \"lan-out\"\npriority = 7");
  ConfigResult r = parseConfigString(text, "test.toml");
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.config->policies[0].name == "lan-out");
  CHECK(r.config->policies[0].policy.priority == 7);
  CHECK(r.config->policies[1].name == "lan-in");
}

TEST_CASE("an outbound SA no policy names draws a note", "[config]") {
  std::string text = test::replaced(test::baseConfig(), "sa = \"out\"", "");
  text = test::replaced(text, "action = \"protect\"", "action = \"bypass\"");
  ConfigResult r = parseConfigString(text, "test.toml");
  INFO(r.error);
  REQUIRE(r.ok());
  REQUIRE(r.notes.size() == 1);
  CHECK(r.notes[0] == "test.toml:" + std::to_string(test::lineOf(text, "[[sa]]")) +
                          ":1: sa[0]: outbound SA \"out\" is named by no policy and will carry nothing");
}

TEST_CASE("the example IKE config parses to the values it spells out", "[config][ike]") {
  ConfigResult r = parseConfigFile(std::string(IPSECGW_SOURCE_DIR) + "/config/example-ike-gateway.toml");
  INFO(r.error);
  REQUIRE(r.ok());
  REQUIRE(r.config->connections.size() == 1);
  const ConnectionConfig& c = r.config->connections[0];
  CHECK(c.name == "site-b");
  CHECK(c.remoteId.value == "gwb.example.net");
  CHECK(c.dpdAction == DpdAction::Restart);
  CHECK(c.keyingTries == 0);
  REQUIRE(c.children.size() == 1);
  CHECK(c.children[0].localTs.size() == 2);
  CHECK(c.children[0].replayWindow == 1024);
  CHECK(r.config->sas.empty());
}

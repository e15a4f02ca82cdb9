// libFuzzer target: the IKEv2 engine as a responder on untrusted datagrams
// (lib/ike/engine). Each input is one datagram from the configured peer to
// a fresh engine, then the clock jumps so that the timers run on whatever
// state it left. Nothing may crash, leak or trip a sanitizer; whatever the
// engine answers must decode. Seeds: an IKE_SA_INIT request from the unit
// tests (IKE_ENGINE_SEED_DIR=... ike_engine_test).
#include <cstdint>
#include <span>
#include <vector>

#include "ike/engine/ike_engine.hpp"
#include "ike/wire/message_codec.hpp"

using namespace ipsecgw;
using namespace ipsecgw::ike;

namespace {

config::ConnectionConfig responderConnection() {
  config::ConnectionConfig c;
  c.name = "site";
  c.localAddress = *IpAddress::parse("192.0.2.2");
  c.remoteAddress = *IpAddress::parse("192.0.2.1");
  c.localId = {config::IdentityConfig::Type::Fqdn, "gwb.example.net"};
  c.remoteId = {config::IdentityConfig::Type::Any, "%any"};
  static const uint8_t psk[] = {'c', 'o', 'r', 'r', 'e', 'c', 't'};
  c.psk = SecretBytes(std::span<const uint8_t>(psk));
  c.ikeProposals = {"aes128gcm16-prfsha256-x25519", "aes256-sha256-modp2048"};
  config::ChildConfig child;
  child.name = "lan";
  child.localTs = {{*IpPrefix::parse("10.0.1.0/24"), 0, 0, 65535}};
  child.remoteTs = {{*IpPrefix::parse("10.0.0.0/24"), 0, 0, 65535}};
  child.espProposals = {"aes128gcm16"};
  c.children.push_back(std::move(child));
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<config::ConnectionConfig> conns;
  conns.push_back(responderConnection());
  EnginePtr engine = makeEngine(config::IkeSettings{}, std::move(conns));
  Datagram d;
  d.local = Endpoint{*IpAddress::parse("192.0.2.2"), 500};
  d.remote = Endpoint{*IpAddress::parse("192.0.2.1"), 500};
  d.bytes.assign(data, data + size);
  engine->receive(std::move(d), 1000);
  for (const Datagram& out : engine->takeOutgoing())
    if (!decodeMessage(out.bytes)) __builtin_trap();
  engine->tick(1000 + 3600 * 1000);
  engine->takeOutgoing();
  engine->takeEvents();
  engine->listSas();
  return 0;
}

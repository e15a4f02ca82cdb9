// Two in-process engines, an initiator and a responder with mirrored
// connection configs, and datagrams moved between them by hand (after
// strongSwan's tests/suites/test_child_rekey.c), so that a test can assert
// the state after every message, drop one, or tamper with it.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/engine/engine_hooks.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::ike::test {

inline IpAddress addr(std::string_view s) { return IpAddress::parse(s).value(); }
inline IpPrefix prefix(std::string_view s) { return IpPrefix::parse(s).value(); }
inline config::TrafficSelectorConfig ts(std::string_view p) { return config::TrafficSelectorConfig{prefix(p), 0, 0, 65535}; }

struct Side {
  std::string address, id, lan;
};

// One end's connection "site" with child "lan" (local LAN <-> remote LAN).
inline config::ConnectionConfig connection(const Side& me, const Side& peer, std::vector<std::string> ike,
                                           std::vector<std::string> esp, std::string_view psk = "correct horse") {
  config::ConnectionConfig c;
  c.name = "site";
  c.localAddress = addr(me.address);
  c.remoteAddress = addr(peer.address);
  c.localId = {config::IdentityConfig::Type::Fqdn, me.id};
  c.remoteId = {config::IdentityConfig::Type::Fqdn, peer.id};
  c.psk = SecretBytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()));
  c.ikeProposals = std::move(ike);
  c.dpdDelayS = 0;
  config::ChildConfig child;
  child.name = "lan";
  child.localTs = {ts(me.lan)};
  child.remoteTs = {ts(peer.lan)};
  child.espProposals = std::move(esp);
  child.replayWindow = 256;
  c.children.push_back(std::move(child));
  return c;
}

inline const Side kA{"192.0.2.1", "gwa.example.net", "10.0.0.0/24"};
inline const Side kB{"192.0.2.2", "gwb.example.net", "10.0.1.0/24"};

inline config::IkeSettings fastSettings() {
  config::IkeSettings s;
  s.retransmitTimeoutMs = 1000;
  s.retransmitBase = 2.0;
  s.retransmitTries = 3;
  return s;
}

struct Harness {
  EnginePtr i, r;  // initiator (A) and responder (B)
  uint64_t now = 1'000'000;
  std::vector<SaEvent> eventsI, eventsR;

  Harness(config::ConnectionConfig&& a, config::ConnectionConfig&& b, config::IkeSettings s = fastSettings(),
          EngineHooks hi = {}, EngineHooks hr = {}) {
    std::vector<config::ConnectionConfig> ca, cb;
    ca.push_back(std::move(a));
    cb.push_back(std::move(b));
    i = makeEngine(s, std::move(ca), std::move(hi));
    r = makeEngine(s, std::move(cb), std::move(hr));
  }

  void start(std::string_view child = "") {
    std::string error;
    REQUIRE(i->initiate("site", child, now, error));
  }

  // Seen from the receiver: its local end is the sender's remote one.
  static Datagram flip(const Datagram& d) { return Datagram{d.remote, d.local, d.bytes}; }

  // Moves every pending datagram of `from` to `to`; returns how many.
  size_t pass(Engine& from, Engine& to) {
    auto ds = from.takeOutgoing();
    for (const Datagram& d : ds) to.receive(flip(d), now);
    collect();
    return ds.size();
  }
  size_t iToR() { return pass(*i, *r); }
  size_t rToI() { return pass(*r, *i); }
  // Runs messages back and forth until both are quiet.
  void settle() {
    for (int k = 0; k < 20; ++k)
      if (iToR() + rToI() == 0) break;
  }
  void collect() {
    for (auto& e : i->takeEvents()) eventsI.push_back(std::move(e));
    for (auto& e : r->takeEvents()) eventsR.push_back(std::move(e));
  }

  static std::string state(const Engine& e) {
    auto sas = e.listSas();
    return sas.size() == 1 ? sas[0].state : sas.empty() ? "NONE" : "MANY";
  }
  static uint64_t counter(const Engine& e, std::string_view name) {
    for (const auto& c : e.counters())
      if (c.name == name) return c.value;
    FAIL("no counter " << name);
    return 0;
  }
};

// Nonces of one engine that all start with `first` (then a counter, so
// they differ): comparing two engines' nonces then compares their `first`,
// which steers the rekey collision rule (RFC 7296 2.8.1, 2.8.2).
inline EngineHooks noncesStartingWith(uint8_t first) {
  EngineHooks h;
  auto counter = std::make_shared<uint32_t>(0);
  h.nonce = [first, counter]() -> Expected<std::vector<uint8_t>, CryptoError> {
    std::vector<uint8_t> n(32, 0x5a);
    n[0] = first;
    const uint32_t c = ++*counter;
    for (int k = 0; k < 4; ++k) n[1 + k] = static_cast<uint8_t>(c >> (24 - 8 * k));
    return n;
  };
  return h;
}

template <typename T>
std::vector<const T*> eventsOf(const std::vector<SaEvent>& events) {
  std::vector<const T*> out;
  for (const SaEvent& e : events)
    if (const T* t = std::get_if<T>(&e)) out.push_back(t);
  return out;
}

inline bool sameKey(const SecretBytes& a, const SecretBytes& b) {
  return a.size() == b.size() && !a.empty() && constantTimeEqual(a.view().data(), b.view().data(), a.size());
}

// My inbound is your outbound, both ways, with the same parameters.
inline void requireMirrored(const ChildSaUp& x, const ChildSaUp& y) {
  CHECK(x.inbound.spi == y.outbound.spi);
  CHECK(x.outbound.spi == y.inbound.spi);
  CHECK(x.inbound.spi != x.outbound.spi);
  CHECK(x.inbound.spi >= 256);
  CHECK(sameKey(x.inbound.keymat, y.outbound.keymat));
  CHECK(sameKey(x.outbound.keymat, y.inbound.keymat));
  CHECK_FALSE(sameKey(x.inbound.keymat, x.outbound.keymat));
  CHECK(x.inbound.transform == y.outbound.transform);
  CHECK(x.inbound.esn == y.inbound.esn);
  CHECK(x.inbound.mode == y.inbound.mode);
  CHECK(x.inbound.localAddress == y.inbound.remoteAddress);
  CHECK(x.localTs.size() == y.remoteTs.size());
  for (size_t k = 0; k < x.localTs.size() && k < y.remoteTs.size(); ++k)
    CHECK(x.localTs[k].src == y.remoteTs[k].src);
  CHECK(x.child == y.child);
  CHECK(x.inbound.udpEncap.has_value() == y.outbound.udpEncap.has_value());
}

}  // namespace ipsecgw::ike::test

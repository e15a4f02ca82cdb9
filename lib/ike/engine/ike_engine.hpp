// The IKEv2 engine as the rest of the gateway sees it (DESIGN.md: "the IKE
// engine knows nothing of DPDK; it takes and returns datagrams"). The control
// core feeds it received IKE datagrams and the clock, and drains from it the
// datagrams to send and the SA events to apply to the data plane. It never
// sends, sleeps or touches the data plane itself, so unit tests drive two
// engines back to back by moving datagrams between them.
//
// Concurrency: single-threaded; owned by the control core.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/connection_config.hpp"
#include "esp/security_association.hpp"
#include "net/ip_address.hpp"
#include "policy/selector.hpp"

namespace ipsecgw::ike {

struct Endpoint {
  IpAddress address;
  uint16_t port = 500;
  bool operator==(const Endpoint&) const = default;
};

// One IKE message on the wire. On port 4500 the I/O layer strips the four-zero
// non-ESP marker (RFC 3948 2.2) before receive() and adds it to what
// takeOutgoing() returns when local.port or remote.port is not 500 -- except
// for a NAT keepalive (`keepalive` set, bytes = {0xFF}), which goes out as
// that single octet with no marker (RFC 3948 2.3, 4).
struct Datagram {
  Endpoint local;   // our address and port
  Endpoint remote;  // the peer's
  std::vector<uint8_t> bytes;
  bool keepalive = false;  // added after the first version of this header
};

// A negotiated CHILD_SA for the data plane: both directions, keys inside
// (esp::SaConfig::keymat is SecretBytes; the receiver moves it into the SA).
// Install `inbound` before `outbound`: the peer may use the inbound SA as soon
// as it has our response (make-before-break, RFC 7296 2.8).
struct ChildSaUp {
  uint64_t ikeSaId = 0;  // engine-unique, for logs and the CLI
  std::string connection, child;
  esp::SaConfig inbound, outbound;
  // Negotiated (possibly narrowed) selectors: local = our side (TSi for the
  // initiator, TSr for the responder). Outbound policy: local -> remote
  // protected by `outbound`; inbound check: remote -> local on `inbound`.
  std::vector<policy::TrafficSelector> localTs, remoteTs;
  // Set when this CHILD_SA replaces another (rekey): the old one's SPIs,
  // which stay installed until a ChildSaDown names them.
  uint32_t replacesInboundSpi = 0;
};

struct ChildSaDown {
  uint64_t ikeSaId = 0;
  std::string connection, child;
  uint32_t inboundSpi = 0, outboundSpi = 0;
  IpAddress localAddress;  // with inboundSpi, the SAD key
};

struct IkeSaUp {
  uint64_t ikeSaId = 0;
  std::string connection;
  Endpoint local, remote;
};

struct IkeSaDown {
  uint64_t ikeSaId = 0;
  std::string connection;
  std::string reason;  // "deleted by peer", "AUTHENTICATION_FAILED", "peer dead", ...
};

using SaEvent = std::variant<ChildSaUp, ChildSaDown, IkeSaUp, IkeSaDown>;

// A read-only view for the CLI (never keys).
struct ChildSaInfo {
  std::string child;
  uint32_t inboundSpi = 0, outboundSpi = 0;
  std::string proposal;  // e.g. "aes128gcm16-noesn"
  std::vector<policy::TrafficSelector> localTs, remoteTs;
  uint64_t establishedMs = 0;
};
struct IkeSaInfo {
  uint64_t ikeSaId = 0;
  std::string connection;
  std::string state;  // "CONNECTING", "ESTABLISHED", "DELETING"
  bool initiator = false;
  uint64_t spiI = 0, spiR = 0;
  Endpoint local, remote;
  std::string localId, remoteId;
  std::string proposal;  // e.g. "aes128gcm16-prfsha256-x25519"
  bool natDetected = false;
  uint64_t establishedMs = 0;
  std::vector<ChildSaInfo> children;
};

// One drop/event counter of the engine (engine_counters.hpp lists them all).
struct EngineCounterValue {
  std::string_view name;  // e.g. "unknown-spi"; static storage
  uint64_t value = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // A datagram addressed to one of our IKE endpoints.
  virtual void receive(Datagram&& d, uint64_t nowMs) = 0;
  // Timers: retransmissions, rekeys, DPD, half-open expiry. Call at least
  // every 100 ms.
  virtual void tick(uint64_t nowMs) = 0;

  // Operator and start-up actions; false with `error` set when the name is
  // unknown or the action makes no sense now. initiate() with an empty
  // `child` brings up every child of the connection; with a name, that one
  // (on the connection's existing IKE SA if there is one).
  virtual bool initiate(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) = 0;
  virtual bool terminate(std::string_view connection, uint64_t nowMs, std::string& error) = 0;
  // Deletes the CHILD_SAs named `child` of the connection's established IKE
  // SAs (INFORMATIONAL Delete, RFC 7296 1.4.1). Added after the first
  // version of this header, hence not pure.
  virtual bool terminateChild(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) {
    (void)connection, (void)child, (void)nowMs;
    error = "not supported";
    return false;
  }

  // Rekeys now, as rekey_time would (added later, hence not pure): the
  // connection's established IKE SAs (RFC 7296 1.3.2; the CHILD_SAs move to
  // the new IKE SA and stay installed), or its CHILD_SAs named `child`
  // (1.3.3: ChildSaUp with replacesInboundSpi, then ChildSaDown of the old).
  virtual bool rekeyIke(std::string_view connection, uint64_t nowMs, std::string& error) {
    (void)connection, (void)nowMs;
    error = "not supported";
    return false;
  }
  virtual bool rekeyChild(std::string_view connection, std::string_view child, uint64_t nowMs, std::string& error) {
    (void)connection, (void)child, (void)nowMs;
    error = "not supported";
    return false;
  }

  // The same for one IKE SA by its engine-unique id (IkeSaInfo::ikeSaId),
  // and for one CHILD_SA by its inbound SPI (added later, hence not pure).
  virtual bool rekeyIkeSa(uint64_t ikeSaId, uint64_t nowMs, std::string& error) {
    (void)ikeSaId, (void)nowMs;
    error = "not supported";
    return false;
  }
  virtual bool rekeyChildSa(uint32_t inboundSpi, uint64_t nowMs, std::string& error) {
    (void)inboundSpi, (void)nowMs;
    error = "not supported";
    return false;
  }

  // Configuration reload (ipsecgwctl reload; added later, hence not pure).
  // addConnection() takes a connection whose name is not in use; nothing is
  // initiated. removeConnection() deletes the connection's IKE SAs as
  // terminate() does and forgets the connection: no new SA, as initiator or
  // responder, uses it again.
  virtual bool addConnection(config::ConnectionConfig&& connection, std::string& error) {
    (void)connection;
    error = "not supported";
    return false;
  }
  virtual bool removeConnection(std::string_view connection, uint64_t nowMs, std::string& error) {
    (void)connection, (void)nowMs;
    error = "not supported";
    return false;
  }
  // The live configuration of a connection (PSK inside: read it only to
  // compare, as reload does), or null.
  virtual const config::ConnectionConfig* connectionConfig(std::string_view connection) const {
    (void)connection;
    return nullptr;
  }

  // Feedback from the data plane: an inbound CHILD_SA carried traffic (DPD
  // need not probe), or hit a soft lifetime (rekey it).
  virtual void childTrafficSeen(uint32_t inboundSpi, uint64_t nowMs) = 0;
  virtual void childSoftExpired(uint32_t inboundSpi, uint64_t nowMs) = 0;

  virtual std::vector<Datagram> takeOutgoing() = 0;
  virtual std::vector<SaEvent> takeEvents() = 0;
  virtual std::vector<IkeSaInfo> listSas() const = 0;
  // Every drop and event counter by reason, for the CLI (not pure, as above).
  virtual std::vector<EngineCounterValue> counters() const { return {}; }
};

using EnginePtr = std::unique_ptr<Engine>;

// The engine for these connections. `connections` keep their PSKs inside;
// the engine owns them from here on. Nothing is initiated by itself: at
// start-up the daemon calls initiate(connection, child) for every child
// whose start_action is "start" (the first call brings up the IKE SA with
// that child in IKE_AUTH, later ones add CREATE_CHILD_SA exchanges).
EnginePtr makeEngine(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections);

}  // namespace ipsecgw::ike

// What every task of every IKE SA shares: the configuration, the events and
// datagrams the engine hands out, the counters, our inbound ESP SPIs and the
// clock. Owned by the engine; single-threaded (the control core).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "config/connection_config.hpp"
#include "ike/crypto/crypto_error.hpp"
#include "util/expected.hpp"
#include "ike/engine/engine_counters.hpp"
#include "ike/engine/engine_hooks.hpp"
#include "ike/engine/ike_engine.hpp"
#include "ike/wire/message.hpp"

namespace ipsecgw::ike {

// A connection with its proposal keywords parsed once (lib/ike/proposal).
struct ConnectionEntry {
  config::ConnectionConfig config;
  std::vector<Proposal> ikeProposals;
  std::vector<std::vector<Proposal>> espProposals;  // parallel to config.children
  // Removed by Engine::removeConnection(): kept (its SAs and tasks may still
  // point at it) but no longer found by name or address.
  bool retired = false;
};

struct IkeSa;

// The engine's IKE SA table as the tasks see it: an IKE SA rekey (RFC 7296
// 1.3.2) creates a new IKE SA from inside a task of the old one.
class SaRegistry {
 public:
  virtual ~SaRegistry() = default;
  // A random IKE SPI that no SA of ours uses.
  virtual std::optional<uint64_t> freshSpi() = 0;
  // The SA with our SPI `ourSpi` that is not dead, or null.
  virtual IkeSa* find(uint64_t ourSpi) = 0;
  // Takes `sa` into the table (indexed by its ourSpi()).
  virtual IkeSa& adopt(std::unique_ptr<IkeSa> sa) = 0;
};

struct EngineContext {
  config::IkeSettings settings;
  // Tasks keep pointers: entries are only appended (a deque keeps them in
  // place) and retired, never erased.
  std::deque<ConnectionEntry> connections;
  std::vector<SaEvent> events;
  std::vector<Datagram> outgoing;
  EngineCounters counters;
  std::set<uint32_t> inboundSpis;  // every ESP SPI we have handed to a peer
  uint64_t nowMs = 0;
  uint64_t nextSaId = 1;
  SaRegistry* registry = nullptr;  // the engine; set before any task runs
  NonceSource nonceSource;         // empty: makeNonce() (engine_hooks.hpp)

  void count(EngineCounter c) { counters.bump(c); }
  const ConnectionEntry* findConnection(std::string_view name) const;
  // The responder's choice (RFC 7296 leaves it to policy): our local address
  // must match; the remote address must match unless it is configured as
  // the unspecified address (0.0.0.0 / ::), which accepts any peer.
  const ConnectionEntry* findByAddresses(const IpAddress& local, const IpAddress& remote) const;
  // A fresh random SPI >= 256, unique among our inbound SPIs (RFC 4303 2.1).
  std::optional<uint32_t> allocateInboundSpi();
  void releaseInboundSpi(uint32_t spi) { inboundSpis.erase(spi); }
  // Ni / Nr for every exchange that needs one (2.10).
  Expected<std::vector<uint8_t>, CryptoError> nonce() const;
};

}  // namespace ipsecgw::ike

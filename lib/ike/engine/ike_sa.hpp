// One IKE SA (RFC 7296 2): SPIs, role, state, the negotiated suite and its
// keys, nonces, endpoints, NAT state and the CHILD_SAs it created. Plain
// state: the tasks fill it in, the task manager (owned here) drives the
// exchanges, the engine indexes and destroys it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ike/crypto/key_derivation.hpp"
#include "ike/engine/engine_context.hpp"
#include "ike/sk_cipher.hpp"
#include "ike/wire/message.hpp"
#include "util/secret.hpp"

namespace ipsecgw::ike {

class TaskManager;

enum class IkeSaState : uint8_t { Connecting, Established, Deleting };

struct ChildSa {
  size_t childIndex = 0;  // into connection->config.children
  std::string name;
  uint32_t inboundSpi = 0, outboundSpi = 0;
  std::string proposal;
  std::vector<TrafficSelector> localTs, remoteTs;
  uint64_t establishedMs = 0;
  uint64_t rekeyAtMs = 0;  // 0: no time-based rekey
  bool rekeying = false;   // a rekey of this child is queued or in flight
};

struct IkeSa {
  IkeSa(uint64_t id, bool initiator, EngineContext& ctx);
  ~IkeSa();

  uint64_t ourSpi() const { return initiator ? spiI : spiR; }
  bool natDetected() const { return natLocal || natRemote; }
  const config::ConnectionConfig& config() const { return connection->config; }
  // Marks the SA for destruction after the current step; the first reason wins.
  void kill(std::string_view reason);

  uint64_t id;
  bool initiator;
  IkeSaState state = IkeSaState::Connecting;
  uint64_t spiI = 0, spiR = 0;
  const ConnectionEntry* connection = nullptr;
  Endpoint local, remote;

  // Negotiated in IKE_SA_INIT (2.14). SK_e*/SK_a* live inside the ciphers.
  Proposal chosen;
  PrfId prf = PrfId::HmacSha2_256;
  ProtectionSuite suite{EncrId::AesGcm16, 128, std::nullopt};
  SecretBytes skD, skPi, skPr;
  SkCipherPtr outbound, inbound;
  Bytes ni, nr;
  Bytes initRequest, initResponse;  // RealMessage1/2 for AUTH (2.15)
  bool natLocal = false, natRemote = false;  // a NAT in front of us / of the peer (2.23)
  bool initialContact = false;               // received in IKE_AUTH

  std::vector<ChildSa> children;
  uint64_t createdMs = 0, establishedMs = 0;
  bool announced = false;  // IkeSaUp emitted
  bool dead = false;
  std::string downReason;

  std::unique_ptr<TaskManager> tasks;
};

using IkeSaPtr = std::unique_ptr<IkeSa>;

}  // namespace ipsecgw::ike

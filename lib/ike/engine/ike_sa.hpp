// One IKE SA (RFC 7296 2): SPIs, role, state, the negotiated suite and its
// keys, nonces, endpoints, NAT state and the CHILD_SAs it created. Plain
// state: the tasks fill it in, the task manager (owned here) drives the
// exchanges, the engine indexes and destroys it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ike/crypto/key_derivation.hpp"
#include "ike/crypto/signature_auth.hpp"
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
  bool rekeySent = false;  // ... and its REKEY_SA request is on the wire
  bool deleting = false;   // our Delete of it is on the wire (2.25.1)
  bool superseded = false; // our rekey of it completed; it goes with its Delete
  // The peer's rekey of this child, answered while ours was on the wire
  // (2.8.1): its nonces and our inbound SPI of the SA it created.
  struct PeerRekey {
    Bytes ni, nr;
    uint32_t newInboundSpi = 0;
  };
  std::optional<PeerRekey> peerRekey;
};

// The lowest of the four nonces of two simultaneous rekeys (2.8.1, 2.8.2)
// marks the redundant SA: true when it is in exchange `a` (nonces compared
// as unsigned octet strings, as strongSwan's chunk_compare does).
// When a rekey with `rekeyTimeS` (0: none) falls due: up to 10 % early, at
// random, so that two peers with the same setting rarely collide (2.8;
// strongSwan's rand_time). 0 when there is none.
uint64_t rekeyDeadline(uint64_t nowMs, uint32_t rekeyTimeS);

bool lowestNonceIn(ByteView aNi, ByteView aNr, ByteView bNi, ByteView bNr);

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
  // auth = pubkey: the peer's N(SIGNATURE_HASH_ALGORITHMS) (RFC 7427 4;
  // nullopt: it sent none) and whether it sent a CERTREQ (3.7).
  std::optional<std::vector<SignatureHash>> peerSignatureHashes;
  bool peerCertReq = false;
  // RFC 7383 2.3: both sides announced IKEV2_FRAGMENTATION_SUPPORTED in
  // IKE_SA_INIT; SKF may flow (ours only with fragmentation = yes/force).
  bool fragmentation = false;

  // IKE SA rekey (1.3.2, 2.18).
  uint64_t rekeyAtMs = 0;       // 0: no time-based rekey
  bool rekeying = false;        // our rekey is queued or in flight
  bool rekeySent = false;       // ... and its request is on the wire
  uint64_t supersededBy = 0;    // our SPI of the IKE SA that took over the children
  // The peer's rekey of this IKE SA, answered while ours was on the wire
  // (2.8.2): its nonces and our SPI of the IKE SA it created.
  struct PeerRekey {
    Bytes ni, nr;
    uint64_t newSpi = 0;
  };
  std::optional<PeerRekey> peerRekey;
  uint64_t lastSentMs = 0;      // anything sent to the peer (NAT keepalives, RFC 3948 4)

  // Our initiation: which attempt this is (keyingtries) and the children asked for.
  uint32_t attempt = 1;
  std::vector<size_t> wantedChildren;

  std::vector<ChildSa> children;
  uint64_t createdMs = 0, establishedMs = 0;
  bool announced = false;  // IkeSaUp emitted
  bool dead = false;
  std::string downReason;

  std::unique_ptr<TaskManager> tasks;
};

using IkeSaPtr = std::unique_ptr<IkeSa>;

}  // namespace ipsecgw::ike

// IKE SA rekey (RFC 7296 1.3.2, 2.18), both roles, on the old IKE SA:
//   HDR, SK {SA (protocol IKE, SPIi new), Ni, KEi}  -->
//                    <--  HDR, SK {SA (protocol IKE, SPIr new), Nr, KEr}
// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), then SK_* as in 2.14 over
// the new SPIs; the rekey initiator is the original initiator of the new IKE
// SA (2.18), whose message IDs start at 0. Every CHILD_SA moves to the new
// IKE SA as it is (no ChildSaDown/Up: it stays installed); the rekey
// initiator then deletes the old IKE SA (INFORMATIONAL, 1.4.1), whose keys
// are wiped when it is destroyed.
//
// Simultaneous rekeys (2.8.2): each side answers the other's request while
// its own is on the wire, noting the peer's nonces and new SA on the old one
// (IkeSa::peerRekey); when its own response arrives it decides: the new SA of
// the exchange holding the lowest of the four nonces is redundant and is
// deleted by its initiator, the other takes the children, and its initiator
// deletes the old IKE SA. A rekey request meeting an SA we are deleting or
// that a CHILD_SA exchange of ours is still changing gets TEMPORARY_FAILURE
// (2.25.2); the initiator tries again later.
#pragma once

#include <optional>

#include "ike/crypto/key_exchange.hpp"
#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

// How long a rekey refused with TEMPORARY_FAILURE waits (2.25: "retry
// later"); strongSwan's RETRY_INTERVAL is 15 s with up to 10 s of jitter.
constexpr uint64_t kRekeyRetryMs = 15000;

class IkeRekeyTask final : public Task {
 public:
  IkeRekeyTask(IkeSa& sa, EngineContext& ctx, bool initiator) : Task(sa, ctx, initiator) {}
  ExchangeType exchange() const override { return ExchangeType::CreateChildSa; }

  // True when the CREATE_CHILD_SA request `m` rekeys the IKE SA.
  static bool isIkeRekey(const Message& m);

 protected:
  TaskStatus buildI(Message& m) override;
  TaskStatus processI(const Message& m, ByteView raw) override;
  TaskStatus processR(const Message& m, ByteView raw) override;
  TaskStatus buildR(Message& m) override;

 private:
  // The new IKE SA for `chosen` and the peer's KE data; null (counted) on failure.
  IkeSa* establish(const Proposal& chosen, uint64_t spiI, uint64_t spiR, ByteView peerKe);
  // Our exchange failed: the peer's simultaneous rekey, if any, wins.
  TaskStatus giveUp(uint64_t retryInMs);

  std::optional<KeGroup> group_;
  KeyExchangePtr ke_;
  bool retried_ = false;
  uint64_t ourSpi_ = 0;  // our SPI of the new IKE SA
  Bytes ni_, nr_;
  // Responder.
  std::optional<NotifyType> error_;
  std::optional<Proposal> chosen_;
  uint64_t peerSpi_ = 0;
  Bytes peerKe_;
};

// Moves every CHILD_SA of `from` to `to` (they stay installed) and marks
// `from` superseded; queued tasks of `from` are dropped, children whose rekey
// was queued there are rescheduled on `to` by the engine's timers.
void moveChildren(IkeSa& from, IkeSa& to);

}  // namespace ipsecgw::ike

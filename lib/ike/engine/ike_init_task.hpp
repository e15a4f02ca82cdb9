// IKE_SA_INIT (RFC 7296 1.2), both roles:
//   HDR, SAi1, KEi, Ni, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)  -->
//                       <--  HDR, SAr1, KEr, Nr, N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP)
// or <-- HDR, N(INVALID_KE_PAYLOAD | NO_PROPOSAL_CHOSEN), after which the
// initiator retries with the group the responder named (1.2, 3.10.1) or
// gives up; or <-- HDR, N(COOKIE) (2.6), after which it sends the same
// request again with N(COOKIE) first (the engine answers with cookies
// itself, statelessly, before any IKE SA exists). Both sides derive SKEYSEED and SK_* (2.14) once both KEs are
// known, and detect NATs (2.23); the initiator then moves to port 4500.
#pragma once

#include <optional>

#include "ike/crypto/key_exchange.hpp"
#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

class IkeInitTask final : public Task {
 public:
  IkeInitTask(IkeSa& sa, EngineContext& ctx, bool initiator) : Task(sa, ctx, initiator) {}
  ExchangeType exchange() const override { return ExchangeType::IkeSaInit; }
  void sent(const Bytes& datagram) override;

 protected:
  TaskStatus buildI(Message& m) override;
  TaskStatus processI(const Message& m, ByteView raw) override;
  TaskStatus processR(const Message& m, ByteView raw) override;
  TaskStatus buildR(Message& m) override;

 private:
  void addNatDetection(Message& m) const;
  void checkNatDetection(const Message& m);
  bool deriveKeys(ByteView peerKe, CryptoError& error);

  std::optional<KeGroup> group_;  // the group of our KE (responder: the chosen one)
  KeyExchangePtr ke_;
  Bytes keData_;  // responder: our KEr data, kept after ke_ is gone
  bool retried_ = false;
  // Initiator: the responder's COOKIE (2.6), echoed first in every retry.
  static constexpr uint32_t kMaxCookieRetries = 3;  // strongSwan's MAX_COOKIE_RETRIES
  Bytes cookie_;
  uint32_t cookieRetries_ = 0;
  // Responder: the error to answer with instead of SAr1.
  std::optional<NotifyType> error_;
};

}  // namespace ipsecgw::ike

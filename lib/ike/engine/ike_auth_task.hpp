// IKE_AUTH (RFC 7296 1.2, 2.15) with a pre-shared key or certificates
// (authenticator.hpp) and the first CHILD_SA:
//   HDR, SK {IDi, [CERT+], [N(INITIAL_CONTACT)], [CERTREQ], [IDr], AUTH,
//            [N(USE_TRANSPORT_MODE)], SAi2, TSi, TSr}  -->
//                  <--  HDR, SK {IDr, [CERT+], AUTH, [N(USE_TRANSPORT_MODE)], SAr2, TSi, TSr}
// A refused CHILD_SA (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE) leaves the IKE SA
// up (2.21.3): the responder answers IDr, AUTH, N(error). A wrong AUTH or
// identity: the responder answers N(AUTHENTICATION_FAILED) and drops the
// half-made SA (2.21.2); the initiator that cannot verify the responder
// tells it in an INFORMATIONAL with N(AUTHENTICATION_FAILED), not waiting
// for an answer, and drops the IKE SA (as strongSwan does).
#pragma once

#include <optional>

#include "ike/engine/child_sa_setup.hpp"
#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

class IkeAuthTask final : public Task {
 public:
  // Initiator: `firstChild` is the child to create along (none: IKE SA only).
  IkeAuthTask(IkeSa& sa, EngineContext& ctx, bool initiator, std::optional<size_t> firstChild = std::nullopt)
      : Task(sa, ctx, initiator), firstChild_(firstChild) {}
  ExchangeType exchange() const override { return ExchangeType::IkeAuth; }

 protected:
  TaskStatus buildI(Message& m) override;
  TaskStatus processI(const Message& m, ByteView raw) override;
  TaskStatus processR(const Message& m, ByteView raw) override;
  TaskStatus buildR(Message& m) override;

 private:
  void established();

  std::optional<size_t> firstChild_;
  std::optional<ChildRequest> request_;
  // Responder.
  bool authenticated_ = false;
  std::optional<ChildAgreement> agreement_;
  std::optional<NotifyType> childError_;
};

}  // namespace ipsecgw::ike

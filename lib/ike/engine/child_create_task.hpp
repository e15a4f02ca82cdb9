// CREATE_CHILD_SA for an additional CHILD_SA (RFC 7296 1.3.1), with a PFS
// key exchange when the ESP proposal names a group:
//   HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Ni, [KEi], TSi, TSr}  -->
//                <--  HDR, SK {[N(USE_TRANSPORT_MODE)], SA, Nr, [KEr], TSi, TSr}
// A CHILD_SA rekey (1.3.3) is the same exchange with N(REKEY_SA) naming the
// old child first: the new SA's ChildSaUp carries replacesInboundSpi, and
// the old one goes when its initiator deletes it (an INFORMATIONAL queued
// right after). A refused child leaves the IKE SA as it is.
// Simultaneous rekeys of one child (2.8.1): each side answers the other's
// REKEY_SA while its own is on the wire and notes the peer's nonces on the
// old child; its own response then decides: the new SA of the exchange with
// the lowest of the four nonces is deleted by its initiator, the other's
// initiator deletes the old child. A rekey of a child we are deleting or
// have already rekeyed gets TEMPORARY_FAILURE (2.25.1); a child the peer
// deleted while we rekeyed it takes the new SA with it (the delete wins).
#pragma once

#include <optional>

#include "ike/crypto/key_exchange.hpp"
#include "ike/engine/child_sa_setup.hpp"
#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

// A refused CHILD_SA rekey waits this long before the next try (2.25).
constexpr uint64_t kChildRekeyRetryMs = 15000;

class ChildCreateTask final : public Task {
 public:
  // Initiator: create child `childIndex`; with `replaces` (our inbound SPI
  // of a live child) rekey that one instead (1.3.3) and delete it after.
  ChildCreateTask(IkeSa& sa, EngineContext& ctx, bool initiator, size_t childIndex = 0, uint32_t replaces = 0)
      : Task(sa, ctx, initiator), childIndex_(childIndex), replaces_(replaces) {}
  ExchangeType exchange() const override { return ExchangeType::CreateChildSa; }
  size_t childIndex() const { return childIndex_; }

 protected:
  TaskStatus buildI(Message& m) override;
  TaskStatus processI(const Message& m, ByteView raw) override;
  TaskStatus processR(const Message& m, ByteView raw) override;
  TaskStatus buildR(Message& m) override;

 private:
  bool keyExchange(ByteView peer, SecretBytes& gir);
  ChildSa* rekeyed();  // initiator: the child being rekeyed, if still there
  void rekeyFailed();

  size_t childIndex_;
  std::optional<ChildRequest> request_;
  std::optional<ChildAgreement> agreement_;
  KeyExchangePtr ke_;
  Bytes ni_, nr_;
  uint32_t replaces_ = 0;  // inbound SPI of the child being rekeyed
  std::optional<NotifyType> error_;
  std::optional<uint16_t> peerGroup_;  // responder: the request's KEi
  Bytes peerKe_;
  bool collision_ = false;
  std::optional<uint16_t> retryGroup_;  // initiator: the group INVALID_KE_PAYLOAD asked for  // responder: our rekey of the same child is on the wire
};

}  // namespace ipsecgw::ike

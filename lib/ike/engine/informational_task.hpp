// INFORMATIONAL exchanges (RFC 7296 1.4, 1.5 is not answered here):
//   delete the IKE SA:     HDR, SK {D(IKE)}  -->  <-- HDR, SK {}
//   delete CHILD_SAs:      HDR, SK {D(ESP, our inbound SPIs)}  -->
//                                    <-- HDR, SK {D(ESP, the peer's inbound SPIs of the pairs)}
//   liveness (2.4):        HDR, SK {}  -->  <-- HDR, SK {}
// As responder the task handles whatever a request holds: Deletes of
// CHILD_SAs (1.4.1: answered with our SPIs of the same pairs), of the IKE SA
// (all children down, then the SA), N(AUTHENTICATION_FAILED) from an
// initiator that refused our AUTH (the SA goes), or nothing (liveness check).
#pragma once

#include <vector>

#include "ike/engine/task.hpp"

namespace ipsecgw::ike {

class InformationalTask final : public Task {
 public:
  enum class Kind : uint8_t { DeleteIke, DeleteChild, Liveness };
  // Initiator: `kind`, and for DeleteChild our inbound SPI of the child.
  InformationalTask(IkeSa& sa, EngineContext& ctx, bool initiator, Kind kind = Kind::Liveness, uint32_t spi = 0)
      : Task(sa, ctx, initiator), kind_(kind), spi_(spi) {}
  ExchangeType exchange() const override { return ExchangeType::Informational; }
  Kind kind() const { return kind_; }

 protected:
  TaskStatus buildI(Message& m) override;
  TaskStatus processI(const Message& m, ByteView raw) override;
  TaskStatus processR(const Message& m, ByteView raw) override;
  TaskStatus buildR(Message& m) override;

 private:
  Kind kind_;
  uint32_t spi_;
  // Responder.
  bool deleteIke_ = false;
  bool authFailed_ = false;  // N(AUTHENTICATION_FAILED): the peer dropped the SA
  std::vector<uint32_t> deletedInbound_;
};

}  // namespace ipsecgw::ike

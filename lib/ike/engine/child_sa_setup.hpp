// Creating a CHILD_SA, shared by IKE_AUTH (the first one, RFC 7296 1.2) and
// CREATE_CHILD_SA (1.3.1; later a rekey, 1.3.3): the ESP proposals, SPIs
// and traffic selectors we offer or choose, the check of the answer, and the
// KEYMAT (2.17) split into the two esp::SaConfig of a ChildSaUp event.
#pragma once

#include <optional>

#include "esp/transform.hpp"
#include "ike/engine/ike_sa.hpp"

namespace ipsecgw::ike {

// What the initiator keeps between its request and the response.
struct ChildRequest {
  size_t childIndex = 0;
  uint32_t inboundSpi = 0;
  std::vector<Proposal> offered;  // numbered as in the SA payload
  std::vector<TrafficSelector> tsi, tsr;
  bool transport = false;
};

// What both sides agreed on; the input of establishChild().
struct ChildAgreement {
  size_t childIndex = 0;
  Proposal chosen;
  uint32_t inboundSpi = 0, outboundSpi = 0;
  std::vector<TrafficSelector> tsi, tsr;  // as negotiated (narrowed)
  bool transport = false;
};

// Our offer for child `childIndex` with a fresh inbound SPI. In IKE_AUTH the
// KE transforms are dropped (`withKe` false): its keys come from SK_d alone.
std::optional<ChildRequest> makeChildRequest(IkeSa& sa, EngineContext& ctx, size_t childIndex, bool withKe);
// [N(USE_TRANSPORT_MODE)], SA, TSi, TSr.
void addChildRequest(Message& m, const ChildRequest& r);

// Responder (2.9): the first child of the connection whose selectors
// intersect the peer's TSi/TSr, narrowed, and one of its ESP proposals.
// TS_UNACCEPTABLE when no child's selectors intersect, NO_PROPOSAL_CHOSEN
// when they do but no proposal matches. `onlyChild` restricts the search
// (rekey of a known child).
Expected<ChildAgreement, NotifyType> selectChild(IkeSa& sa, EngineContext& ctx, const Message& request, bool withKe,
                                                 std::optional<size_t> onlyChild = std::nullopt);
// [N(USE_TRANSPORT_MODE)], SA (our SPI), TSi, TSr.
void addChildResponse(Message& m, const ChildAgreement& a);

// Initiator: the response must choose one of our proposals with a 4-octet
// SPI and selectors within ours (2.9: the responder may narrow).
Expected<ChildAgreement, EngineCounter> acceptChild(const ChildRequest& r, const Message& response);

// KEYMAT = prf+(SK_d, [g^ir |] Ni | Nr) (2.17), the first half protecting
// initiator-to-responder traffic, where initiator means the initiator of
// this exchange (`weInitiated`), as do Ni, TSi and TSr: in a CREATE_CHILD_SA
// the original responder may be the one asking. Emits ChildSaUp and records
// the ChildSa.
// False (counted) when the proposal has no data-plane transform or the
// derivation fails.
bool establishChild(IkeSa& sa, EngineContext& ctx, const ChildAgreement& a, bool weInitiated, ByteView gir,
                    ByteView ni, ByteView nr, uint32_t replacesInboundSpi = 0);

// The data-plane transform of a chosen ESP proposal, if it has one.
std::optional<esp::Transform> espTransformOf(const Proposal& chosen);

}  // namespace ipsecgw::ike

namespace ipsecgw::ike {

// The CHILD_SA with our inbound SPI `inboundSpi` is gone: ChildSaDown, SPI
// released, record erased. False if there is no such child.
bool retireChild(IkeSa& sa, EngineContext& ctx, uint32_t inboundSpi);
// The child whose outbound SPI (the peer's inbound one) is `spi`, or null.
ChildSa* childByOutboundSpi(IkeSa& sa, uint32_t spi);

}  // namespace ipsecgw::ike

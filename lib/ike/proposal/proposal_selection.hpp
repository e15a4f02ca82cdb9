// Choosing a proposal (RFC 7296 2.7, 3.3.6). The responder picks one of the
// initiator's proposals and, in it, exactly one transform of each type
// present. Our configured order decides (strongSwan's default): the first of
// our proposals that one of theirs can satisfy, and in it our most preferred
// algorithm of each type that they offered. The initiator then checks that
// the answer is one of the things it offered.
#pragma once

#include <cstdint>
#include <vector>

#include "ike/wire/message.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// Responder side. On success: the peer's proposal number and SPI with one
// transform per type. Failure means NO_PROPOSAL_CHOSEN.
// Transforms carrying unknown attributes are skipped (3.3.6); a type we do not
// list (a KE in an ESP proposal without PFS, an INTEG with an AEAD) is
// acceptable only if the peer also offers NONE (ID 0) for it, which is chosen.
Expected<Proposal, NotifyType> selectProposal(const std::vector<Proposal>& ours, const SaPayload& theirs);

// Initiator side: `chosen` must hold exactly one proposal, with exactly one
// transform of each type our proposal of that number had, each among those
// we offered. Else the response is a protocol error (we abandon the SA).
bool acceptChosenProposal(const std::vector<Proposal>& offered, const SaPayload& chosen);

// The single transform of `type` in a chosen proposal, or nullptr.
const Transform* chosenTransform(const Proposal& p, TransformType type);

// Our proposals as we send them: numbered 1..n (3.3.1), with `spi`.
SaPayload offerOf(const std::vector<Proposal>& ours, const Bytes& spi);

}  // namespace ipsecgw::ike

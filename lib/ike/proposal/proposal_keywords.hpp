// strongSwan's proposal keywords ("aes128gcm16-prfsha256-x25519",
// "aes256-sha256-modp2048", "aes128gcm16-esn") into IKEv2 proposals
// (RFC 7296 3.3), so that a swanctl.conf proposal means the same here.
// Several algorithms of one type in one string are alternatives within one
// proposal, in order of preference, as in strongSwan.
#pragma once

#include <string>
#include <string_view>

#include "ike/wire/message.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// IKE: needs ENCR and KE; an AEAD takes a PRF keyword ("prfsha256"), a CBC
// cipher takes an INTEG one ("sha256") from which the PRF follows when no
// PRF keyword is given (strongSwan's rule).
Expected<Proposal, std::string> parseIkeProposal(std::string_view keywords);

// ESP: needs ENCR; INTEG for CBC, none for an AEAD; an optional KE group
// makes CREATE_CHILD_SA rekeys use PFS; "esn"/"noesn" (default noesn).
Expected<Proposal, std::string> parseEspProposal(std::string_view keywords);

// The keyword for one transform ("aes128gcm16", "prfsha256", "x25519"), for
// logs and the CLI; "UNKNOWN(type:id)" for what we do not name.
std::string transformKeyword(const Transform& t);
// "aes128gcm16-prfsha256-x25519" from a (chosen) proposal.
std::string proposalKeywords(const Proposal& p);

}  // namespace ipsecgw::ike

// Traffic selectors of a CHILD_SA (RFC 7296 2.9, 3.13.1): from the
// configuration to the wire, narrowing by intersection, the initiator's
// check of a narrowed answer, and the negotiated ranges as
// policy::TrafficSelector for the data plane.
#pragma once

#include <vector>

#include "config/connection_config.hpp"
#include "ike/wire/message.hpp"
#include "policy/selector.hpp"

namespace ipsecgw::ike {

TrafficSelector toWire(const config::TrafficSelectorConfig& ts);
std::vector<TrafficSelector> toWire(const std::vector<config::TrafficSelectorConfig>& ts);

// 2.9: every non-empty intersection of one of the peer's selectors with one
// of ours (same type; addresses, ports and protocol intersected, protocol 0
// being ANY). Empty means TS_UNACCEPTABLE.
std::vector<TrafficSelector> narrow(const std::vector<TrafficSelector>& peer,
                                    const std::vector<TrafficSelector>& ours);

// The initiator accepts a narrowed answer only if it asked for all of it:
// each returned selector inside one of those it offered, and at least one.
bool withinOffered(const std::vector<TrafficSelector>& answered, const std::vector<TrafficSelector>& offered);

// One side of a CHILD_SA for the data plane. Each wire range becomes the
// exact list of CIDR prefixes that covers it; each entry describes ONE side:
// `src` holds that side's addresses and srcPortLo/Hi its ports, `proto` the
// protocol, while `dst` is the whole family and dst ports are ANY.
std::vector<policy::TrafficSelector> toPolicySide(const std::vector<TrafficSelector>& ts);

// Full selectors (src = local side, dst = remote side) for every pair of one
// local and one remote entry of toPolicySide() of the same family and a
// compatible protocol: the outbound policy of a CHILD_SA. Swap the arguments
// for the inbound check.
std::vector<policy::TrafficSelector> policySelectors(const std::vector<policy::TrafficSelector>& localSide,
                                                     const std::vector<policy::TrafficSelector>& remoteSide);

}  // namespace ipsecgw::ike

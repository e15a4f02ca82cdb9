#include "dataplane/child_sa_table.hpp"

#include <algorithm>

#include "dataplane/gateway_builder.hpp"
#include "ike/engine/traffic_selectors.hpp"

namespace ipsecgw::dataplane {

namespace {

// More specific selector pairs come first among IKE policies, as the SPD
// must search the most specific entry before a broader one that overlaps it
// (RFC 4301 4.4.1 "decorrelation" is not assumed).
uint32_t priorityOf(const policy::TrafficSelector& s) {
  const uint32_t bits = s.src.address.isV4() ? 32 : 128;
  return ChildSaTable::kPolicyPriorityBase + 2 * bits - s.src.length - s.dst.length;
}

}  // namespace

ChildSaTable::ChildSaTable(GatewayTables& tables, esp::CryptoEngine& engine) : t_(tables), engine_(engine) {
  if (t_.spd) {
    const auto ps = t_.spd->policies();
    configured_.assign(ps.begin(), ps.end());
  }
  for (const auto& p : configured_) nextPolicyId_ = std::max(nextPolicyId_, p.id + 1);
}

ChildSaTable::~ChildSaTable() { removeAll(); }

int ChildSaTable::find(uint32_t inboundSpi, const IpAddress& local) const {
  for (size_t i = 0; i < children_.size(); ++i)
    if (children_[i].inboundSpi == inboundSpi && children_[i].localAddress == local) return static_cast<int>(i);
  return -1;
}

bool ChildSaTable::rebuildSpd(std::string& error) {
  policy::SpdBuilder b;
  for (const auto& p : configured_)
    if (!b.add(p, error)) return false;
  uint32_t id = nextPolicyId_;
  for (const auto& c : children_)
    for (const auto& sel : c.outboundSelectors) {
      policy::Policy p{.id = id++, .priority = priorityOf(sel), .sel = sel, .action = policy::PolicyAction::Protect,
                       .saIndex = c.outIndex};
      if (!b.add(p, error)) {
        error = "policy " + sel.toString() + ": " + error;
        return false;
      }
    }
  policy::SpdPtr spd = b.build(error);
  if (!spd) return false;
  // Workers keep the old SPD through their current state; its last holder
  // (a state freed after the grace period) frees it.
  t_.spd = std::move(spd);
  return true;
}

bool ChildSaTable::install(ike::ChildSaUp&& up, std::string& error) {
  const std::string name = up.connection + "/" + up.child;
  InstalledChild c;
  c.ikeSaId = up.ikeSaId;
  c.connection = up.connection;
  c.child = up.child;
  c.inboundSpi = up.inbound.spi;
  c.outboundSpi = up.outbound.spi;
  c.localAddress = up.inbound.localAddress;
  // RFC 4301 5.2: what decrypted traffic may contain is remote -> local.
  c.inboundSelectors = ike::policySelectors(up.remoteTs, up.localTs);
  c.outboundSelectors = ike::policySelectors(up.localTs, up.remoteTs);
  c.replacedInboundSpi = up.replacesInboundSpi;
  if (c.inboundSelectors.empty() || c.outboundSelectors.empty()) {
    error = name + ": no pair of local and remote traffic selectors of one family";
    return false;
  }
  if (find(c.inboundSpi, c.localAddress) >= 0) {
    error = name + ": inbound SPI already installed";
    return false;
  }
  auto in = esp::SecurityAssociation::create(std::move(up.inbound), esp::Direction::Inbound, engine_, error);
  if (!in) {
    error = name + ": inbound SA: " + error;
    return false;
  }
  auto out = esp::SecurityAssociation::create(std::move(up.outbound), esp::Direction::Outbound, engine_, error);
  if (!out) {
    error = name + ": outbound SA: " + error;
    return false;
  }
  const NextHop* hop = t_.routes->lookup(out->config().remoteAddress);
  if (!hop) {
    error = name + ": no route to the peer " + out->config().remoteAddress.toString();
    return false;
  }
  // Both SAs into slots and the SPD rebuilt, published to the workers,
  // then the SAD entry: a worker that finds the new SPI also has the state
  // that holds its SA (RFC 7296 2.8 make-before-break: the peer may use it
  // as soon as it has our answer).
  c.inIndex = takeSlot(t_.freeInbound, t_.inbound);
  t_.inbound[c.inIndex] = {std::move(in), c.inboundSelectors};
  c.outIndex = takeSlot(t_.freeOutbound, t_.outbound);
  t_.outboundInnerMtu.resize(t_.outbound.size());
  t_.outboundInnerMtu[c.outIndex] = innerMtuFor(*out, t_.ports[hop->port].mtu);
  t_.outbound[c.outIndex] = std::move(out);

  // A rekey: the new outbound SA takes over the old one's traffic now, or,
  // when we answered the rekey, once the old one is removed (heirOf()); the
  // old SAs stay until their ChildSaDown.
  std::vector<policy::TrafficSelector> takenOver;
  const int old = up.replacesInboundSpi ? find(up.replacesInboundSpi, c.localAddress) : -1;
  if (old >= 0 && !up.outboundAfterReplacedDown) std::swap(takenOver, children_[old].outboundSelectors);
  if (old >= 0 && up.outboundAfterReplacedDown) c.outboundSelectors.clear();
  children_.push_back(std::move(c));
  const InstalledChild& added = children_.back();
  const policy::SadKey key = policy::SadKey::make(added.inboundSpi, added.localAddress);
  std::string why;
  if (!rebuildSpd(why)) {
    error = name + ": SPD: " + why;
  } else {
    t_.changed();
    if (t_.sad->add(key, added.inIndex, why)) return true;
    error = name + ": SAD: " + why;
  }
  // Refused: back to the tables as they were. The slots were (or may have
  // been) published, so they go through the grace period like any other.
  if (old >= 0) std::swap(takenOver, children_[old].outboundSelectors);
  const InstalledChild gone = std::move(children_.back());
  children_.pop_back();
  rebuildSpd(why);  // the previous set of policies built before
  vacate(gone);
  t_.changed();
  return false;
}

int ChildSaTable::heirOf(const InstalledChild& gone) const {
  if (gone.outboundSelectors.empty()) return -1;
  int heir = -1;
  for (size_t k = 0; k < children_.size(); ++k) {
    const InstalledChild& h = children_[k];
    if (&h == &gone || !h.outboundSelectors.empty() || h.localAddress != gone.localAddress || !h.replacedInboundSpi)
      continue;
    if (h.replacedInboundSpi == gone.inboundSpi || h.replacedInboundSpi == gone.replacedInboundSpi)
      heir = static_cast<int>(k);  // the newest such child
  }
  return heir;
}

void ChildSaTable::recordCounters(const InstalledChild& c, const esp::SecurityAssociation& sa) {
  retired_.push_back({c.connection, c.child, sa.direction(), sa.spi(), std::string(sa.info().name), sa.counters()});
}

template <typename Slots>
uint32_t ChildSaTable::takeSlot(std::vector<uint32_t>& freeSlots, Slots& slots) {
  if (freeSlots.empty()) {
    slots.emplace_back();
    return static_cast<uint32_t>(slots.size() - 1);
  }
  const uint32_t slot = freeSlots.back();
  freeSlots.pop_back();
  return slot;
}

void ChildSaTable::vacate(const InstalledChild& c) {
  t_.retire({esp::Direction::Inbound, c.inIndex, std::move(t_.inbound[c.inIndex].sa)});
  t_.inbound[c.inIndex].selectors.clear();
  t_.retire({esp::Direction::Outbound, c.outIndex, std::move(t_.outbound[c.outIndex])});
}

bool ChildSaTable::remove(const ike::ChildSaDown& down, std::string& error) {
  const int i = find(down.inboundSpi, down.localAddress);
  if (i < 0) {
    error = down.connection + "/" + down.child + ": no installed CHILD_SA with inbound SPI " +
            std::to_string(down.inboundSpi);
    return false;
  }
  const int heir = heirOf(children_[i]);
  if (heir >= 0) std::swap(children_[heir].outboundSelectors, children_[i].outboundSelectors);
  InstalledChild c = std::move(children_[i]);
  children_.erase(children_.begin() + i);
  if (!rebuildSpd(error)) {
    children_.insert(children_.begin() + i, std::move(c));
    if (heir >= 0) std::swap(children_[heir].outboundSelectors, children_[i].outboundSelectors);
    error = down.connection + "/" + down.child + ": SPD: " + error;
    return false;
  }
  // The SPD no longer names the outbound SA and the SAD no longer finds the
  // inbound one; workers may still hold either until the grace period of
  // the next publication ends (then the destructors wipe the keys).
  t_.sad->remove(policy::SadKey::make(c.inboundSpi, c.localAddress));
  recordCounters(c, *t_.inbound[c.inIndex].sa);
  recordCounters(c, *t_.outbound[c.outIndex]);
  vacate(c);
  t_.changed();
  return true;
}

void ChildSaTable::removeAll() {
  while (!children_.empty()) {
    const InstalledChild& c = children_.back();
    ike::ChildSaDown down{.ikeSaId = c.ikeSaId,
                          .connection = c.connection,
                          .child = c.child,
                          .inboundSpi = c.inboundSpi,
                          .outboundSpi = c.outboundSpi,
                          .localAddress = c.localAddress};
    std::string error;
    if (!remove(down, error)) {
      // Only a failed SPD build gets here: fall back to the configuration's
      // policies alone, then drop the SAs.
      std::vector<InstalledChild> rest;
      rest.swap(children_);
      rebuildSpd(error);
      for (const auto& r : rest) {
        t_.sad->remove(policy::SadKey::make(r.inboundSpi, r.localAddress));
        recordCounters(r, *t_.inbound[r.inIndex].sa);
        recordCounters(r, *t_.outbound[r.outIndex]);
        vacate(r);
      }
      t_.changed();
      return;
    }
  }
}

std::vector<uint32_t> ChildSaTable::trafficSeen() {
  std::vector<uint32_t> spis;
  for (auto& c : children_) {
    const uint64_t n = t_.inbound[c.inIndex].sa->counters().packets;
    if (n != c.lastInboundPackets) spis.push_back(c.inboundSpi);
    c.lastInboundPackets = n;
  }
  return spis;
}

std::vector<uint32_t> ChildSaTable::softExpired() {
  constexpr uint8_t kRekey = esp::kEventSoftLifetime | esp::kEventHardLifetime | esp::kEventSeqExhausted;
  std::vector<uint32_t> spis;
  for (auto& c : children_) {
    const uint8_t ev = t_.inbound[c.inIndex].sa->lifetime().takeEvents() |
                       t_.outbound[c.outIndex]->lifetime().takeEvents();
    if (ev & kRekey) spis.push_back(c.inboundSpi);
  }
  return spis;
}

}  // namespace ipsecgw::dataplane

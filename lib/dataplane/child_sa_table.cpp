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
  t_.spd = std::move(spd);  // single-lcore: no lookup is in flight
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
  // Inbound first (RFC 7296 2.8 make-before-break: the peer may use it as
  // soon as it has our answer).
  c.inIndex = static_cast<uint32_t>(t_.inbound.size());
  const policy::SadKey key = policy::SadKey::make(c.inboundSpi, c.localAddress);
  t_.inbound.push_back({std::move(in), c.inboundSelectors});
  if (!t_.sad->add(key, c.inIndex, error)) {
    t_.inbound.pop_back();
    error = name + ": SAD: " + error;
    return false;
  }
  c.outIndex = static_cast<uint32_t>(t_.outbound.size());
  t_.outboundInnerMtu.push_back(innerMtuFor(*out, t_.ports[hop->port].mtu));
  t_.outbound.push_back(std::move(out));

  // A rekey: the new outbound SA takes over the old one's traffic now, or,
  // when we answered the rekey, once the old one is removed (heirOf()); the
  // old SAs stay until their ChildSaDown.
  std::vector<policy::TrafficSelector> takenOver;
  const int old = up.replacesInboundSpi ? find(up.replacesInboundSpi, c.localAddress) : -1;
  if (old >= 0 && !up.outboundAfterReplacedDown) std::swap(takenOver, children_[old].outboundSelectors);
  if (old >= 0 && up.outboundAfterReplacedDown) c.outboundSelectors.clear();
  children_.push_back(std::move(c));
  if (!rebuildSpd(error)) {
    if (old >= 0) std::swap(takenOver, children_[old].outboundSelectors);
    t_.sad->remove(key);
    t_.inbound.pop_back();
    t_.outbound.pop_back();
    t_.outboundInnerMtu.pop_back();
    children_.pop_back();
    error = name + ": SPD: " + error;
    return false;
  }
  return true;
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

void ChildSaTable::retire(const InstalledChild& c, const esp::SecurityAssociation& sa) {
  retired_.push_back({c.connection, c.child, sa.direction(), sa.spi(), std::string(sa.info().name), sa.counters()});
}

// Fills slot `index` with the last inbound SA and points its SAD entry and
// child record there.
void ChildSaTable::eraseInbound(uint32_t index) {
  const uint32_t last = static_cast<uint32_t>(t_.inbound.size() - 1);
  if (index != last) {
    InboundSa& moved = t_.inbound[last];
    std::string ignored;
    t_.sad->add(policy::SadKey::make(moved.sa->spi(), moved.sa->config().localAddress), index, ignored);
    for (auto& c : children_)
      if (c.inIndex == last) c.inIndex = index;
    t_.inbound[index] = std::move(moved);
  }
  t_.inbound.pop_back();
}

void ChildSaTable::eraseOutbound(uint32_t index) {
  const uint32_t last = static_cast<uint32_t>(t_.outbound.size() - 1);
  if (index != last) {
    t_.outbound[index] = std::move(t_.outbound[last]);
    t_.outboundInnerMtu[index] = t_.outboundInnerMtu[last];
  }
  t_.outbound.pop_back();
  t_.outboundInnerMtu.pop_back();
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
  // The SPD first, with indices as they will be once the slots are filled:
  // the last outbound SA moves into this one's slot.
  const uint32_t lastOut = static_cast<uint32_t>(t_.outbound.size() - 1);
  for (auto& o : children_)
    if (o.outIndex == lastOut) o.outIndex = c.outIndex;
  if (!rebuildSpd(error)) {
    for (auto& o : children_)
      if (o.outIndex == c.outIndex) o.outIndex = lastOut;
    children_.insert(children_.begin() + i, std::move(c));
    if (heir >= 0) std::swap(children_[heir].outboundSelectors, children_[i].outboundSelectors);
    error = down.connection + "/" + down.child + ": SPD: " + error;
    return false;
  }
  t_.sad->remove(policy::SadKey::make(c.inboundSpi, c.localAddress));
  retire(c, *t_.inbound[c.inIndex].sa);
  retire(c, *t_.outbound[c.outIndex]);
  eraseInbound(c.inIndex);  // the SAs' destructors wipe their keys
  eraseOutbound(c.outIndex);
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
      for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
        t_.sad->remove(policy::SadKey::make(it->inboundSpi, it->localAddress));
        retire(*it, *t_.inbound[it->inIndex].sa);
        retire(*it, *t_.outbound[it->outIndex]);
      }
      // IKE SAs sit after the configured ones: cut them off the end.
      size_t inKeep = t_.inbound.size(), outKeep = t_.outbound.size();
      for (const auto& r : rest) {
        inKeep = std::min<size_t>(inKeep, r.inIndex);
        outKeep = std::min<size_t>(outKeep, r.outIndex);
      }
      t_.inbound.resize(inKeep);
      t_.outbound.resize(outKeep);
      t_.outboundInnerMtu.resize(outKeep);
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

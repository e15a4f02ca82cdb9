#include "dataplane/ike_service.hpp"

#include <cstdio>

#include "esp/transform.hpp"
#include "util/hex.hpp"

namespace ipsecgw::dataplane {

namespace {

std::string endpoint(const ike::Endpoint& e) { return e.address.toString() + "[" + std::to_string(e.port) + "]"; }

// "10.0.1.0/24 === 10.0.2.0/24" for each outbound pair, strongSwan's way.
std::string selectors(const std::vector<policy::TrafficSelector>& sels) {
  std::string s;
  for (const auto& t : sels) {
    if (!s.empty()) s += ", ";
    s += t.src.toString() + " === " + t.dst.toString();
    if (t.proto) s += " proto " + std::to_string(t.proto);
  }
  return s;
}

std::string childName(const std::string& conn, const std::string& child, uint64_t id) {
  return conn + "/" + child + "[" + std::to_string(id) + "]";
}

}  // namespace

IkeService::IkeService(ike::Engine& engine, DatagramTransport& io, ChildSaTable& sas, Log log)
    : engine_(engine), io_(io), sas_(sas), log_(std::move(log)) {}

void IkeService::start(const std::vector<ChildToStart>& children, uint64_t nowMs) {
  for (const auto& c : children) {
    std::string error;
    if (engine_.initiate(c.connection, c.child, nowMs, error))
      log_("IKE initiating " + c.connection + "/" + c.child);
    else
      log_("IKE cannot initiate " + c.connection + "/" + c.child + ": " + error);
  }
}

void IkeService::terminateAll(const std::vector<std::string>& connections, uint64_t nowMs) {
  for (const auto& name : connections) {
    std::string error;
    if (!engine_.terminate(name, nowMs, error) && !error.empty())
      log_("IKE terminate " + name + ": " + error);
  }
}

uint32_t IkeService::poll(uint64_t nowMs) {
  uint32_t work = 0;
  rx_.clear();
  const uint32_t n = io_.receive(rx_, kDatagramsPerPoll);
  for (auto& d : rx_) engine_.receive(std::move(d), nowMs);
  counters_.datagramsIn += n;
  work += n;
  if (!ticked_ || nowMs - lastTickMs_ >= kTickMs) {
    ticked_ = true;
    lastTickMs_ = nowMs;
    for (uint32_t spi : sas_.trafficSeen()) engine_.childTrafficSeen(spi, nowMs);
    for (uint32_t spi : sas_.softExpired()) engine_.childSoftExpired(spi, nowMs);
    engine_.tick(nowMs);
  }
  // Events before datagrams: a responder's CHILD_SA is installed before the
  // IKE_AUTH response that lets the peer use it leaves (RFC 7296 2.8).
  for (auto& e : engine_.takeEvents()) {
    if (observer_) observer_(e, nowMs);
    apply(std::move(e));
    ++work;
  }
  for (const auto& d : engine_.takeOutgoing()) {
    io_.send(d, nowMs);
    counters_.datagramsOut++;
    ++work;
  }
  return work;
}

void IkeService::apply(ike::SaEvent&& e) {
  if (auto* up = std::get_if<ike::ChildSaUp>(&e)) {
    const std::string name = childName(up->connection, up->child, up->ikeSaId);
    const uint32_t in = up->inbound.spi, out = up->outbound.spi;
    std::string line = "CHILD_SA " + name + " up: SPIs " + formatSpi(in) + "_i " + formatSpi(out) + "_o, " +
                       std::string(esp::transformInfo(up->outbound.transform).name) +
                       (up->outbound.esn ? "-esn" : "") + ", " + up->outbound.localAddress.toString() + " <-> " +
                       up->outbound.remoteAddress.toString();
    if (up->outbound.udpEncap)
      line += " UDP " + std::to_string(up->outbound.udpEncap->srcPort) + "->" +
              std::to_string(up->outbound.udpEncap->dstPort);
    if (up->replacesInboundSpi) line += ", replaces " + formatSpi(up->replacesInboundSpi) + "_i";
    std::string error;
    if (!sas_.install(std::move(*up), error)) {
      counters_.installFailures++;
      log_("CHILD_SA " + name + " not installed: " + error);
      return;
    }
    counters_.childSasUp++;
    log_(line + ", " + selectors(sas_.installed().back().outboundSelectors));
  } else if (auto* down = std::get_if<ike::ChildSaDown>(&e)) {
    const std::string name = childName(down->connection, down->child, down->ikeSaId);
    std::string error;
    const size_t before = sas_.retired().size();
    if (!sas_.remove(*down, error)) {
      counters_.removeFailures++;
      log_("CHILD_SA " + name + " down, nothing to remove: " + error);
      return;
    }
    counters_.childSasDown++;
    std::string line = "CHILD_SA " + name + " down: SPIs " + formatSpi(down->inboundSpi) + "_i " +
                       formatSpi(down->outboundSpi) + "_o";
    for (size_t i = before; i < sas_.retired().size(); ++i) {
      const auto& r = sas_.retired()[i];
      line += r.direction == esp::Direction::Inbound ? ", in " : ", out ";
      line += std::to_string(r.counters.packets) + " packets " + std::to_string(r.counters.bytes) + " bytes";
    }
    log_(line);
  } else if (auto* ikeUp = std::get_if<ike::IkeSaUp>(&e)) {
    counters_.ikeSasUp++;
    std::string line = "IKE_SA " + ikeUp->connection + "[" + std::to_string(ikeUp->ikeSaId) +
                       "] established: " + endpoint(ikeUp->local) + " <-> " + endpoint(ikeUp->remote);
    for (const auto& info : engine_.listSas()) {
      if (info.ikeSaId != ikeUp->ikeSaId) continue;
      char spis[64];
      std::snprintf(spis, sizeof spis, "%016llx_i %016llx_r", static_cast<unsigned long long>(info.spiI),
                    static_cast<unsigned long long>(info.spiR));
      line += ", " + info.proposal + ", SPIs " + spis + (info.initiator ? ", initiator" : ", responder") +
              (info.natDetected ? ", NAT-T" : "") + ", " + info.localId + " <-> " + info.remoteId;
    }
    log_(line);
  } else if (auto* ikeDown = std::get_if<ike::IkeSaDown>(&e)) {
    counters_.ikeSasDown++;
    log_("IKE_SA " + ikeDown->connection + "[" + std::to_string(ikeDown->ikeSaId) + "] down: " + ikeDown->reason);
  }
}

}  // namespace ipsecgw::dataplane

#include "dataplane/neighbor_table.hpp"

#include <string_view>

namespace ipsecgw::dataplane {

size_t NeighborKeyHash::operator()(const NeighborKey& k) const {
  std::string_view bytes(reinterpret_cast<const char*>(k.ip.bytes.data()), k.ip.bytes.size());
  return std::hash<std::string_view>{}(bytes) ^ (size_t{k.port} << 1) ^ static_cast<size_t>(k.ip.family);
}

const rte_ether_addr* NeighborTable::lookup(uint16_t port, const IpAddress& ip) const {
  auto it = entries_.find({port, ip});
  return it != entries_.end() && it->second.resolved ? &it->second.mac : nullptr;
}

NeighborTable::~NeighborTable() {
  for (auto& [key, e] : entries_)
    for (uint8_t i = 0; i < e.nHeld; ++i) rte_pktmbuf_free(e.held[i]);
}

NeighborTable::Entry* NeighborTable::entry(uint16_t port, const IpAddress& ip) {
  auto it = entries_.find({port, ip});
  if (it != entries_.end()) return &it->second;
  if (entries_.size() >= kMaxEntries) return nullptr;
  return &entries_[{port, ip}];
}

size_t NeighborTable::learn(uint16_t port, const IpAddress& ip, const rte_ether_addr& mac, rte_mbuf** released) {
  Entry* e = entry(port, ip);
  if (!e) return 0;
  if (!e->resolved || !rte_is_same_ether_addr(&e->mac, &mac)) version_++;
  e->mac = mac;
  e->resolved = true;
  size_t n = e->nHeld;
  for (size_t i = 0; i < n; ++i) released[i] = e->held[i];
  e->nHeld = 0;
  return n;
}

bool NeighborTable::hold(uint16_t port, const IpAddress& ip, rte_mbuf* m) {
  Entry* e = entry(port, ip);
  if (!e || e->nHeld == kMaxHeld) return false;
  e->held[e->nHeld++] = m;
  return true;
}

bool NeighborTable::shouldSolicit(uint16_t port, const IpAddress& ip, uint64_t nowMs) {
  Entry* e = entry(port, ip);
  if (!e || (e->lastSolicitMs != 0 && nowMs - e->lastSolicitMs < 1000)) return false;
  e->lastSolicitMs = nowMs;
  return true;
}

size_t NeighborTable::heldPackets() const {
  size_t n = 0;
  for (const auto& [key, e] : entries_) n += e.nHeld;
  return n;
}

}  // namespace ipsecgw::dataplane

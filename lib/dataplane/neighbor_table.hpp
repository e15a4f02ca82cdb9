// IP -> MAC per port, learned from ARP (RFC 826) and IPv6 neighbour
// discovery (RFC 4861), with a rate limit on the requests we send for
// unresolved addresses.
//
// Concurrency: control core only. Workers read the resolved entries from
// their ForwardingState (forwarding_state.hpp), which the control core
// publishes after every change; packets waiting for a resolution are held
// here, by the control core, which the workers hand them to.
#pragma once

#include <rte_ether.h>
#include <rte_mbuf.h>

#include <array>

#include <cstdint>
#include <unordered_map>

#include "net/ip_address.hpp"

namespace ipsecgw::dataplane {

struct NeighborKey {
  uint16_t port;
  IpAddress ip;
  bool operator==(const NeighborKey&) const = default;
};
struct NeighborKeyHash {
  size_t operator()(const NeighborKey& k) const;
};

class NeighborTable {
 public:
  // Packets waiting for one address (DESIGN.md: a bounded queue), and
  // addresses tracked at all: beyond these, packets are dropped (NoNeighbor)
  // rather than memory spent on whatever a sender asks us to resolve.
  static constexpr size_t kMaxHeld = 8;
  static constexpr size_t kMaxEntries = 4096;

  ~NeighborTable();

  // The MAC for `ip` on `port`, or nullptr while unresolved.
  const rte_ether_addr* lookup(uint16_t port, const IpAddress& ip) const;
  // Records the MAC; packets that were waiting for it are moved to
  // `released` (room for kMaxHeld) and their number returned.
  size_t learn(uint16_t port, const IpAddress& ip, const rte_ether_addr& mac, rte_mbuf** released);
  // Holds `m` until `ip` resolves. False when its queue (or the table) is
  // full: the caller drops the packet.
  bool hold(uint16_t port, const IpAddress& ip, rte_mbuf* m);
  // True if a request for `ip` should go out now (at most one per second per
  // address), and records that it did.
  bool shouldSolicit(uint16_t port, const IpAddress& ip, uint64_t nowMs);
  size_t size() const { return entries_.size(); }
  // Bumped whenever learn() resolves an address or changes its MAC: the
  // control core publishes the tables again when it moved.
  uint64_t version() const { return version_; }
  // Packets waiting for a resolution, all addresses together.
  size_t heldPackets() const;
  // fn(port, ip, mac) for every resolved entry.
  template <typename Fn>
  void forEachResolved(Fn&& fn) const {
    for (const auto& [key, e] : entries_)
      if (e.resolved) fn(key.port, key.ip, e.mac);
  }

 private:
  using Key = NeighborKey;
  using KeyHash = NeighborKeyHash;
  struct Entry {
    rte_ether_addr mac{};
    bool resolved = false;
    uint64_t lastSolicitMs = 0;
    std::array<rte_mbuf*, kMaxHeld> held{};
    uint8_t nHeld = 0;
  };
  Entry* entry(uint16_t port, const IpAddress& ip);
  std::unordered_map<Key, Entry, KeyHash> entries_;
  uint64_t version_ = 0;
};

}  // namespace ipsecgw::dataplane

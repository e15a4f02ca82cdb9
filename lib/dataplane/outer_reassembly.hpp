// Reassembly of outer fragments addressed to the gateway (ESP or NAT-T UDP
// that a path fragmented; RFC 4303 3.4.1: reassemble before ESP processing)
// on DPDK's rte_ip_frag, with bounded memory: a fixed table of partial
// packets, each waiting at most kTimeoutMs; what the table evicts (timeout,
// table full, overlapping or too many fragments) goes to a death row that
// the worker frees after each burst and counts as ReassemblyFailed.
//
// net_af_packet ports rarely see fragments: the kernel reassembles IPv4 and
// IPv6 fragments for the PMD's fanout socket (PACKET_FANOUT_FLAG_DEFRAG). NIC
// ports do, so the worker always goes through this.
//
// Concurrency: one per worker, used only by that worker's lcore.
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <memory>

#include "net/drop_reason.hpp"
#include "net/ip_layout.hpp"

struct rte_ip_frag_tbl;
struct rte_ip_frag_death_row;

namespace ipsecgw::dataplane {

class OuterReassembly {
 public:
  // Partial packets tracked at once, and hash buckets x associativity. Each
  // holds at most RTE_LIBRTE_IP_FRAG_MAX_FRAG mbufs, so the table can pin
  // kMaxPackets * 8 = 1024 mbufs of the pool, no more.
  static constexpr uint32_t kMaxPackets = 128;
  static constexpr uint32_t kBuckets = 64, kBucketEntries = 4;
  // Fragments of one ESP packet arrive back to back; a partial packet older
  // than this is given up (RFC 791 leaves the timer to the implementation).
  static constexpr uint64_t kTimeoutMs = 2000;
  // Fragments add() may take between two collect() calls: the death row has
  // room for what that many can evict (RTE_IP_FRAG_DEATH_ROW_LEN packets).
  static constexpr uint32_t kMaxAddsPerCollect = 32;

  // nullptr if the table cannot be allocated.
  static std::unique_ptr<OuterReassembly> create(int socket);
  ~OuterReassembly();
  OuterReassembly(const OuterReassembly&) = delete;
  OuterReassembly& operator=(const OuterReassembly&) = delete;

  // `m` is a fragment at its IP header, `lay` its layout. Returns the whole
  // packet in one segment once its last fragment arrived (IPv4 header
  // checksum recomputed), else nullptr: the fragment is held, or was given
  // up (then it is on the death row, or freed and `why` set).
  rte_mbuf* add(rte_mbuf* m, const IpLayout& lay, uint64_t nowTsc, DropReason& why);
  // Evicts packets past their time and frees the death row; returns the
  // number of mbufs freed there, each a fragment given up.
  uint32_t collect(uint64_t nowTsc);

 private:
  OuterReassembly(rte_ip_frag_tbl* table, std::unique_ptr<rte_ip_frag_death_row> deathRow);
  rte_ip_frag_tbl* table_;
  std::unique_ptr<rte_ip_frag_death_row> deathRow_;
};

using OuterReassemblyPtr = std::unique_ptr<OuterReassembly>;

}  // namespace ipsecgw::dataplane

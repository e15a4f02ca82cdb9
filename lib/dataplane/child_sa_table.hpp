// CHILD_SAs negotiated by IKE, installed into and removed from the live
// gateway tables at runtime (RFC 4301 4.4: SPD and SAD entries created by
// the key management protocol). Manually keyed SAs and policies from the
// configuration stay where the gateway builder put them and are never
// touched.
//
// Install (ike::ChildSaUp): the inbound SA first, into the SAD under (SPI,
// our address) with its inbound selectors remote -> local (RFC 4301 5.2);
// then the outbound SA and one PROTECT policy per local x remote selector
// pair, after the configuration's policies of lower priority number. The SPD
// is immutable (rte_acl), so every change builds a new one; that is control
// core work. Remove (ike::ChildSaDown): policies, SAD entry, both SAs
// (their destructors wipe the keys). A rekey (replacesInboundSpi) moves the
// old CHILD_SA's policies to the new outbound SA; the old SAs stay for
// in-flight packets until their ChildSaDown.
//
// Slots: the worker indexes SAs by position (GatewayTables::outbound by
// Policy::saIndex, ::inbound by the SAD's value). An SA keeps its slot for
// its whole life; a removed one leaves the slot empty until the grace period
// of the publication that removed it has passed (gateway_tables.hpp), then
// the slot is reused. Configured SAs come first and never move.
//
// Concurrency: control core only. Every change ends with
// GatewayTables::changed(), which publishes it to the workers
// (table_sync.hpp); an install publishes its SAs before their SAD entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dataplane/gateway_tables.hpp"
#include "esp/crypto_engine.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::dataplane {

// Counters of an IKE CHILD_SA's SA that was removed, kept for the stats file.
struct RetiredSa {
  std::string connection, child;
  esp::Direction direction = esp::Direction::Inbound;
  uint32_t spi = 0;
  std::string transform;
  esp::SaCounters counters;
};

// An installed CHILD_SA, for logs and tests (never keys).
struct InstalledChild {
  uint64_t ikeSaId = 0;
  std::string connection, child;
  uint32_t inboundSpi = 0, outboundSpi = 0;
  IpAddress localAddress;
  uint32_t inIndex = 0, outIndex = 0;  // into GatewayTables::inbound / ::outbound
  std::vector<policy::TrafficSelector> outboundSelectors;  // empty while another child protects them
  std::vector<policy::TrafficSelector> inboundSelectors;
  uint32_t replacedInboundSpi = 0;  // the CHILD_SA this one rekeyed, if any
  uint64_t lastInboundPackets = 0;  // for trafficSeen()
};

class ChildSaTable {
 public:
  // Priority of IKE policies (RFC 4301 4.4.1 orders the SPD): after the
  // configuration's (whose default is 0), more specific selector pairs first.
  static constexpr uint32_t kPolicyPriorityBase = 1000;

  ChildSaTable(GatewayTables& tables, esp::CryptoEngine& engine);
  ~ChildSaTable();  // removes every IKE SA still installed

  // All or nothing: on failure (bad KEYMAT, no route to the peer, SAD full,
  // SPD refused) nothing of `up` stays installed and `error` says why.
  bool install(ike::ChildSaUp&& up, std::string& error);
  // False when no installed CHILD_SA has that inbound SPI and address.
  bool remove(const ike::ChildSaDown& down, std::string& error);
  void removeAll();

  const std::vector<InstalledChild>& installed() const { return children_; }
  const std::vector<RetiredSa>& retired() const { return retired_; }

  // Inbound SPIs of CHILD_SAs that accepted packets since the last call
  // (the engine's DPD need not probe them, RFC 7296 2.4).
  std::vector<uint32_t> trafficSeen();
  // Inbound SPIs of CHILD_SAs whose SA raised a soft lifetime or sequence
  // exhaustion event since the last call (rekey them, RFC 4301 4.4.2.1).
  std::vector<uint32_t> softExpired();

 private:
  int find(uint32_t inboundSpi, const IpAddress& local) const;
  // Who protects the outbound selectors of `gone` after it: a child that
  // rekeyed it, or one that rekeyed the same SA (RFC 7296 2.8.1: of two
  // simultaneous rekeys the one installed first may be the one deleted).
  int heirOf(const InstalledChild& gone) const;
  bool rebuildSpd(std::string& error);
  // A free slot (reused after its grace period) or a new one at the end.
  template <typename Slots>
  static uint32_t takeSlot(std::vector<uint32_t>& freeSlots, Slots& slots);
  // Empties both slots of `c`, handing the SAs to the grace period.
  void vacate(const InstalledChild& c);
  void recordCounters(const InstalledChild& c, const esp::SecurityAssociation& sa);

  GatewayTables& t_;
  esp::CryptoEngine& engine_;
  std::vector<policy::Policy> configured_;  // the configuration's policies, in SPD order
  uint32_t nextPolicyId_ = 1;               // first id after the configuration's
  std::vector<InstalledChild> children_;
  std::vector<RetiredSa> retired_;
};

}  // namespace ipsecgw::dataplane

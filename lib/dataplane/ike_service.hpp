// The control core's IKE service: one pass of the control loop moves
// datagrams between the ports (DatagramTransport) and the IKEv2 engine,
// ticks the engine's timers, applies its SA events to the data plane
// (ChildSaTable) and feeds data-plane observations back (traffic seen,
// soft lifetimes). It logs one line per IKE_SA and CHILD_SA up or down,
// never a key.
//
// Concurrency: control core only (single-threaded, like the engine).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/child_sa_table.hpp"
#include "dataplane/ike_io.hpp"
#include "ike/engine/ike_engine.hpp"

namespace ipsecgw::dataplane {

struct ChildToStart {
  std::string connection, child;
};

struct IkeServiceCounters {
  uint64_t datagramsIn = 0, datagramsOut = 0;
  uint64_t ikeSasUp = 0, ikeSasDown = 0;
  uint64_t childSasUp = 0, childSasDown = 0;
  uint64_t installFailures = 0;  // ChildSaUp the data plane refused (logged)
  uint64_t removeFailures = 0;   // ChildSaDown for nothing installed (logged)
};

class IkeService {
 public:
  using Log = std::function<void(const std::string&)>;
  // The engine asks for tick() at least every 100 ms.
  static constexpr uint64_t kTickMs = 50;
  static constexpr uint32_t kDatagramsPerPoll = 64;

  IkeService(ike::Engine& engine, DatagramTransport& io, ChildSaTable& sas, Log log);

  // Initiates each child (start_action = "start"); a refusal is logged.
  void start(const std::vector<ChildToStart>& children, uint64_t nowMs);
  // One pass; returns the datagrams and events handled (0: idle).
  uint32_t poll(uint64_t nowMs);
  // Deletes every IKE SA of these connections (INFORMATIONAL, RFC 7296
  // 1.4.1); keep polling for a moment so the deletes leave.
  void terminateAll(const std::vector<std::string>& connections, uint64_t nowMs);
  bool anyIkeSa() const { return !engine_.listSas().empty(); }

  const IkeServiceCounters& counters() const { return counters_; }

  // Sees every engine event before it is applied (ipsecgwctl monitor). The
  // event still holds its keys: an observer reads names and SPIs only.
  using Observer = std::function<void(const ike::SaEvent&, uint64_t nowMs)>;
  void setObserver(Observer o) { observer_ = std::move(o); }

 private:
  void apply(ike::SaEvent&& e);

  ike::Engine& engine_;
  DatagramTransport& io_;
  ChildSaTable& sas_;
  Log log_;
  Observer observer_;
  uint64_t lastTickMs_ = 0;
  bool ticked_ = false;
  std::vector<ike::Datagram> rx_;
  IkeServiceCounters counters_;
};

}  // namespace ipsecgw::dataplane

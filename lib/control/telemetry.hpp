// DPDK telemetry endpoints of ipsecgwd (`dpdk-telemetry.py -f PREFIX`, then
// e.g. `/ipsecgw/ports`): ports, workers, drops, SAs and IKE, in the same
// terms as the control socket's commands (apps/ipsecgwctl/README.md).
//
//   /ipsecgw/status            version, uptime, lcores, crypto engine
//   /ipsecgw/ports             per port: rx/tx packets, missed, errors
//   /ipsecgw/workers           per worker: packet counters and mbuf pool
//   /ipsecgw/drops             worker drops by reason
//   /ipsecgw/sa_list           SPIs of the outbound and inbound SAs
//   /ipsecgw/sa,SPI            one SPI's SAs (decimal or 0x hex)
//   /ipsecgw/ike               IKE I/O, service and engine counters
//   /ipsecgw/ike_sa_list       ids of the IKE SAs
//   /ipsecgw/ike_sa,ID         one IKE SA with its CHILD_SAs
//
// Why a hand-off: DPDK calls the endpoints on its telemetry threads, while
// the tables, counters and the IKE engine belong to the control core
// (gateway_view.hpp). A request is parked here and answered by the control
// loop's next poll(), which costs that loop one relaxed atomic load per
// pass; the caller waits at most kAnswerTimeoutMs.
#pragma once

#include <cstdint>

#include "control/gateway_view.hpp"

namespace ipsecgw::control {

class TelemetryEndpoints {
 public:
  static constexpr uint64_t kAnswerTimeoutMs = 1000;

  // Registers the endpoints with the EAL's telemetry on first use (DPDK
  // cannot unregister, so the object lives as long as the process).
  static TelemetryEndpoints& instance();

  // Serve `view` (nullptr: stop serving; waiting requests fail at once).
  void attach(GatewayView* view);

  // On the control core: answers a waiting request, if any. Returns the
  // number answered (0 or 1).
  uint32_t poll(uint64_t nowMs);

  struct State;  // the hand-off, shared with DPDK's callback (telemetry.cpp)

 private:
  TelemetryEndpoints();
  State* state_;
};

}  // namespace ipsecgw::control

// libFuzzer target: the packet parsers the data path runs on untrusted bytes
// before any authentication: IP header/extension chain walking, NAT-T
// classification and the SPD's flow-key extraction.
#include <cstdint>
#include <span>

#include "esp/natt.hpp"
#include "net/flow_key.hpp"
#include "net/ip_layout.hpp"

using namespace ipsecgw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  IpLayout lay;
  if (locateUpperLayer(in, lay) == DropReason::None) {
    if (lay.headerLen > lay.totalLen || lay.totalLen > size || lay.nextHeaderOffset >= lay.headerLen)
      __builtin_trap();  // the layout must describe bytes that exist
  }
  esp::classifyNatTPayload(in);
  FlowKey key;
  parseFlowKey(in, key);
  return 0;
}

#pragma once
#include <cstdint>
namespace ipsecgw::esp {
// Prints the round-trip table; returns the process exit code.
int runRoundTripDemo(uint32_t packets);
}  // namespace ipsecgw::esp

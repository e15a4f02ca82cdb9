// The command line of a DPDK program of ours: its own options, then "--",
// then the EAL's. One helper for ipsecgwd and ipsecgw-trafficgen.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ipsecgw::eal {

struct SplitCommandLine {
  int ownArgc = 0;                    // argv[0 .. ownArgc): the program's options
  std::vector<std::string> ealArgs;   // argv[0], then everything after "--"
};

inline SplitCommandLine splitAtDoubleDash(int argc, char** argv) {
  SplitCommandLine s;
  s.ownArgc = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") {
      s.ownArgc = i;
      break;
    }
  s.ealArgs.push_back(argv[0]);
  for (int i = s.ownArgc + 1; i < argc; ++i) s.ealArgs.push_back(argv[i]);
  return s;
}

}  // namespace ipsecgw::eal

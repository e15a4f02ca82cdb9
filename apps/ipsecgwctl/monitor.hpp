// `ipsecgwctl monitor`: subscribes to the daemon's event stream and prints
// one line per event until SIGINT/SIGTERM or the daemon closes the stream.
#pragma once

#include <string>

namespace ipsecgw::ctl {

// Returns the exit code (README.md): 0 stopped by a signal, 1 refused by
// the daemon, 3 cannot connect or the daemon closed the stream.
int runMonitor(const std::string& socketPath, bool json, int timeoutMs);

}  // namespace ipsecgw::ctl

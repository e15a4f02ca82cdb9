// rte_eal_cleanup releases memory but leaves the runtime directory
// (/var/run/dpdk/<file-prefix>: config, fbarray and socket files) behind, and
// a killed process leaves it too. DESIGN.md: leftovers break the next start
// with the same prefix. The daemon and the tests remove it on exit.
#pragma once

#include <string>

namespace ipsecgw::eal {

// rte_eal_cleanup(), then remove the runtime directory it leaves. Call once,
// after every DPDK object is released.
void cleanupAndRemoveRuntimeDir();

}  // namespace ipsecgw::eal

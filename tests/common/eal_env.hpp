// One EAL per test executable, started the way DESIGN.md asks of tests:
// no hugepages, no PCI, a --file-prefix unique to this process, so parallel
// `meson test` runs and leftovers of a killed run cannot collide.
// Test code only.
#pragma once

#include <string>
#include <vector>

namespace ipsecgw::test {

// Calls rte_eal_init with
//   --no-huge -m 256 --no-pci --file-prefix ipsecgw-test-<name>-<pid> --log-level=error
// followed by `extraArgs` (e.g. --vdev=...). Returns false (and prints why)
// if the EAL did not start. Call once per process, before any test runs.
bool initTestEal(const std::string& name, const std::vector<std::string>& extraArgs = {});

// rte_eal_cleanup, if initTestEal succeeded.
void cleanupTestEal();

}  // namespace ipsecgw::test

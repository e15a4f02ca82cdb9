#include "eal/eal_runtime.hpp"

#include <rte_eal.h>

#include <filesystem>
#include <system_error>

namespace ipsecgw::eal {

void cleanupAndRemoveRuntimeDir() {
  std::string dir = rte_eal_get_runtime_dir();  // read before cleanup
  rte_eal_cleanup();
  // Only the prefix's own directory, never its parent.
  if (dir.empty() || std::filesystem::path(dir).filename().empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace ipsecgw::eal

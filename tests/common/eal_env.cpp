#include "common/eal_env.hpp"

#include "eal/eal_runtime.hpp"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <cstdio>

namespace ipsecgw::test {

namespace {
bool ealUp = false;
}

bool initTestEal(const std::string& name, const std::vector<std::string>& extraArgs) {
  // rte_eal_init keeps pointers into argv, so the strings live as long as
  // the process.
  static std::vector<std::string> args;
  static std::vector<char*> argv;
  args = {"ipsecgw-test-" + name, "--no-huge", "-m", "256", "--no-pci",
          "--file-prefix", "ipsecgw-test-" + name + "-" + std::to_string(::getpid()), "--log-level=error"};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  argv.clear();
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: %s\n", rte_strerror(rte_errno));
    return false;
  }
  ealUp = true;
  return true;
}

void cleanupTestEal() {
  if (ealUp) eal::cleanupAndRemoveRuntimeDir();
  ealUp = false;
}

}  // namespace ipsecgw::test

// Catch2 main for the policy tests that need DPDK (rte_acl, rte_hash): the
// EAL starts once before the session and is cleaned up after it.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "common/eal_env.hpp"

int main(int argc, char** argv) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (!ipsecgw::test::initTestEal("policy")) return 1;
  int rc = session.run();
  ipsecgw::test::cleanupTestEal();
  return rc;
}

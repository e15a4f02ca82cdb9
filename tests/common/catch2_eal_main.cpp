// Catch2 main for test executables that need a running EAL (rte_mbuf pools,
// rte_acl, rte_hash): the EAL starts once, as tests/common/eal_env.hpp
// describes, before the session and is cleaned up after it.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <errno.h>  // program_invocation_short_name

#include "common/eal_env.hpp"

int main(int argc, char** argv) {
  Catch::Session session;
  if (int rc = session.applyCommandLine(argc, argv); rc != 0) return rc;
  if (!ipsecgw::test::initTestEal(program_invocation_short_name)) return 1;
  int rc = session.run();
  ipsecgw::test::cleanupTestEal();
  return rc;
}

// libFuzzer target: the configuration parser on arbitrary text. It must
// never crash or throw (parseConfigString is noexcept, so an escaping
// exception aborts), and a failed parse must say why.
#include <cstdint>
#include <string_view>

#include "config/config_parser.hpp"

using namespace ipsecgw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // A name with no directory: relative key_file paths then resolve in the
  // fuzzer's throwaway working directory (run_fuzz.sh), never in the tree.
  config::ConfigResult r = config::parseConfigString(text, "fuzz.toml");
  if (r.ok() == !r.error.empty()) __builtin_trap();  // exactly one of config and error
  return 0;
}

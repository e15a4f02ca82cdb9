// Reads the gateway configuration (TOML, config/README.md) into a validated
// GatewayConfig.
//
// Errors: the first problem found stops the parse. The message has the form
//   FILE:LINE:COLUMN: KEY.PATH: what is wrong
// (array indexes in the key path count from 0, e.g. sa[1].transform). Key
// material never appears in a message, not even in toml++'s syntax errors,
// which are scrubbed of anything that could be a key.
//
// Neither function throws (lib/config throws internally and catches here).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.hpp"

namespace ipsecgw::config {

struct ConfigResult {
  std::optional<GatewayConfig> config;  // set on success
  std::string error;                    // set on failure
  // Things that do not stop the gateway but that the operator should see,
  // in the same FILE:LINE:COLUMN: form (ignored `ike` tables, inline keys in
  // a file others can read).
  std::vector<std::string> notes;

  bool ok() const { return config.has_value(); }
};

// Relative key_file paths are resolved against the directory of `path`.
ConfigResult parseConfigFile(const std::string& path) noexcept;

// `sourceName` names the text in messages; relative key_file paths are
// resolved against its directory part (the current directory if it has none).
ConfigResult parseConfigString(std::string_view text, std::string_view sourceName) noexcept;

}  // namespace ipsecgw::config

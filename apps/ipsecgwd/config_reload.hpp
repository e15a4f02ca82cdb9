// `ipsecgwctl reload`: re-reads the configuration file and applies what
// changed in its IKE connections (IkeControl::applyConnections). Everything
// else in the file (ports, manually keyed SAs, policies, routes, [gateway],
// [ike]) is built into the data plane at start: a file that changes any of
// it is refused, with the tables named, and nothing is applied; a file that
// does not parse is refused with the parser's message (FILE:LINE:COLUMN).
// The comparison is of the TOML tables, so the contents of a manually keyed
// SA's key_file are not compared (a PSK file's are, through the connection).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <toml++/toml.h>

#include "control/gateway_view.hpp"
#include "ike_control.hpp"
#include "util/expected.hpp"

namespace ipsecgw {

class ConfigReloader {
 public:
  // Takes the file as it is now as the running configuration's outline.
  // `ike` may be null (no [connections] at start). `view` and `ike` must
  // outlive the reloader.
  static std::unique_ptr<ConfigReloader> create(const std::string& path, control::GatewayView& view, IkeControl* ike,
                                                std::string& error);

  Expected<nlohmann::json, std::string> reload(uint64_t nowMs);

 private:
  ConfigReloader(const std::string& path, control::GatewayView& view, IkeControl* ike)
      : path_(path), view_(view), ike_(ike) {}

  std::string path_;
  control::GatewayView& view_;
  IkeControl* ike_;
  toml::table outline_;  // the file without [connections]
};

}  // namespace ipsecgw

// What `ipsecgwctl reload` compares: one IKE connection of the running
// configuration against the same-named one of the file just read. Every
// field counts, the PSK too (compared in constant time, never copied), so
// that "unchanged" means the tunnel can keep running untouched.
#pragma once

#include "config/connection_config.hpp"

namespace ipsecgw::control {

bool sameConnection(const config::ConnectionConfig& running, const config::ConnectionConfig& next);

}  // namespace ipsecgw::control

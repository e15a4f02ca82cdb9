// Picks a crypto engine by the name the config and the CLI use.
#pragma once

#include <string_view>

#include "esp/crypto_engine.hpp"

namespace ipsecgw::crypto {

// "ipsec-mb" or "openssl"; nullptr for any other name or when the engine
// cannot start on this host.
esp::CryptoEnginePtr makeEngine(std::string_view name);

}  // namespace ipsecgw::crypto

// What tests may replace inside the engine (STYLE.md "Tests": nonces forced
// to reach each rekey collision outcome, RFC 7296 2.8.1 and 2.8.2). Not part
// of the daemon's API (ike_engine.hpp); the daemon calls the plain makeEngine().
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "ike/crypto/crypto_error.hpp"
#include "ike/engine/ike_engine.hpp"
#include "util/expected.hpp"

namespace ipsecgw::ike {

// Where Ni and Nr come from; empty: OpenSSL's DRBG (makeNonce()). A test
// source must still return 16 to 256 octets (2.10).
using NonceSource = std::function<Expected<std::vector<uint8_t>, CryptoError>()>;

struct EngineHooks {
  NonceSource nonce;
};

EnginePtr makeEngine(const config::IkeSettings& settings, std::vector<config::ConnectionConfig>&& connections,
                     EngineHooks&& hooks);

}  // namespace ipsecgw::ike

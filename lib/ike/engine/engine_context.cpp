#include "ike/engine/engine_context.hpp"

#include <algorithm>

#include "ike/crypto/random.hpp"

namespace ipsecgw::ike {

const ConnectionEntry* EngineContext::findConnection(std::string_view name) const {
  for (const ConnectionEntry& c : connections)
    if (!c.retired && c.config.name == name) return &c;
  return nullptr;
}

const ConnectionEntry* EngineContext::findByAddresses(const IpAddress& local, const IpAddress& remote) const {
  for (const ConnectionEntry& c : connections) {
    if (c.retired || c.config.localAddress != local) continue;
    const auto& r = c.config.remoteAddress;
    bool any = std::all_of(r.bytes.begin(), r.bytes.end(), [](uint8_t b) { return b == 0; });
    if (r == remote || (any && r.family == remote.family)) return &c;
  }
  return nullptr;
}

Expected<std::vector<uint8_t>, CryptoError> EngineContext::nonce() const {
  if (nonceSource) return nonceSource();
  return makeNonce();
}

std::optional<uint32_t> EngineContext::allocateInboundSpi() {
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto spi = makeEspSpi();
    if (!spi) return std::nullopt;
    if (inboundSpis.insert(*spi).second) return *spi;
  }
  return std::nullopt;
}

}  // namespace ipsecgw::ike

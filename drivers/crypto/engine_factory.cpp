#include "crypto/engine_factory.hpp"

#include "crypto/ipsecmb_engine.hpp"
#include "crypto/openssl_engine.hpp"

namespace ipsecgw::crypto {

esp::CryptoEnginePtr makeEngine(std::string_view name) {
  if (name == "ipsec-mb") return IpsecMbEngine::create();
  if (name == "openssl") return OpenSslEngine::create();
  return nullptr;
}

}  // namespace ipsecgw::crypto

// A matching outbound/inbound SA pair with random keys, for ESP unit tests.
#pragma once

#include <random>
#include <string>

#include "esp/security_association.hpp"

namespace ipsecgw::test {

struct SaPairOptions {
  esp::Transform transform = esp::Transform::AesGcm128;
  esp::Mode mode = esp::Mode::Tunnel;
  IpAddress local = *IpAddress::parse("192.0.2.1");
  IpAddress remote = *IpAddress::parse("198.51.100.2");
  bool udpEncap = false;
  bool esn = false;
  uint32_t window = 128;
  uint16_t tfcPadTo = 0;
  esp::LifetimeLimits lifetime{};
};

struct SaPair {
  esp::SecurityAssociationPtr out;
  esp::SecurityAssociationPtr in;
};

inline SaPair makeSaPair(const SaPairOptions& o, esp::CryptoEngine& engine, std::mt19937& rng) {
  const auto& info = esp::transformInfo(o.transform);
  std::vector<uint8_t> km(size_t{info.cipherKeyLen} + info.saltLen + info.authKeyLen);
  for (auto& b : km) b = static_cast<uint8_t>(rng());
  auto config = [&](esp::Direction dir) {
    esp::SaConfig c;
    c.spi = 0x1000 + static_cast<uint32_t>(rng() % 100000);
    c.transform = o.transform;
    c.mode = o.mode;
    c.keymat = SecretBytes(km);
    c.esn = o.esn;
    c.replayWindow = o.window;
    // Outbound sends local -> remote; the peer's inbound SA sees the same.
    c.localAddress = dir == esp::Direction::Outbound ? o.local : o.remote;
    c.remoteAddress = dir == esp::Direction::Outbound ? o.remote : o.local;
    if (o.udpEncap) c.udpEncap = esp::UdpEncap{};
    c.tfcPadTo = o.tfcPadTo;
    c.lifetime = o.lifetime;
    return c;
  };
  std::string error;
  SaPair p;
  auto oc = config(esp::Direction::Outbound);
  auto ic = config(esp::Direction::Inbound);
  ic.spi = oc.spi;
  p.out = esp::SecurityAssociation::create(std::move(oc), esp::Direction::Outbound, engine, error);
  p.in = esp::SecurityAssociation::create(std::move(ic), esp::Direction::Inbound, engine, error);
  return p;
}

}  // namespace ipsecgw::test

#include "esp/security_association.hpp"

#include <cstring>

#include "net/checksum.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::esp {

SecurityAssociation::SecurityAssociation(SaConfig&& config, Direction dir)
    : config_(std::move(config)),
      direction_(dir),
      info_(&transformInfo(config_.transform)),
      lifetime_(config_.lifetime) {}

SecurityAssociation::~SecurityAssociation() { secureWipe(salt_, sizeof salt_); }

SecurityAssociationPtr SecurityAssociation::create(SaConfig&& config, Direction dir, CryptoEngine& engine,
                                                   std::string& error) {
  const TransformInfo& info = transformInfo(config.transform);
  size_t want = size_t{info.cipherKeyLen} + info.saltLen + info.authKeyLen;
  if (config.keymat.size() != want) {
    error = "key material for " + std::string(info.name) + " must be " + std::to_string(want) + " bytes, got " +
            std::to_string(config.keymat.size());
    return nullptr;
  }
  if (config.spi < 256) {
    error = "SPI " + std::to_string(config.spi) + " is reserved (RFC 4303 2.1: 1-255 reserved, 0 invalid)";
    return nullptr;
  }
  if (dir == Direction::Inbound &&
      (config.replayWindow < ReplayWindow::kMinSize || config.replayWindow > ReplayWindow::kMaxSize)) {
    error = "replay window must be between " + std::to_string(ReplayWindow::kMinSize) + " and " +
            std::to_string(ReplayWindow::kMaxSize);
    return nullptr;
  }
  if (config.localAddress.family != config.remoteAddress.family) {
    error = "local and remote addresses are of different families";
    return nullptr;
  }
  if (config.mode == Mode::Transport && config.tfcPadTo != 0) {
    error = "TFC padding needs tunnel mode (RFC 4303 2.7)";
    return nullptr;
  }

  SecurityAssociationPtr sa(new SecurityAssociation(std::move(config), dir));
  std::span<const uint8_t> km = sa->config_.keymat.view();
  sa->session_ = engine.createSession(sa->config_.transform, km.subspan(0, info.cipherKeyLen),
                                      km.subspan(size_t{info.cipherKeyLen} + info.saltLen, info.authKeyLen));
  if (!sa->session_) {
    error = "crypto engine " + std::string(engine.name()) + " refused the key";
    return nullptr;
  }
  std::memcpy(sa->salt_, km.data() + info.cipherKeyLen, info.saltLen);
  // The session holds the expanded keys now; the raw KEYMAT has no further use.
  sa->config_.keymat.wipe();

  if (dir == Direction::Inbound) sa->replay_.emplace(sa->config_.replayWindow, sa->config_.esn);
  sa->buildOuterTemplate();
  return sa;
}


void SecurityAssociation::buildOuterTemplate() {
  // Tunnel-mode outer header with the per-packet fields (length, TOS, ID, DF,
  // checksum) left zero; esp_outbound.cpp fills them in.
  uint8_t* h = outerTemplate_;
  const bool udp = config_.udpEncap.has_value();
  const uint8_t proto = udp ? ip::kProtoUdp : ip::kProtoEsp;
  uint32_t ipLen;
  if (config_.localAddress.isV4()) {
    ipLen = ip::kIpv4MinHeader;
    h[0] = 0x45;
    h[ip::kV4Ttl] = config_.outerTtl;
    h[ip::kV4Proto] = proto;
    std::memcpy(h + ip::kV4Src, config_.localAddress.bytes.data(), 4);
    std::memcpy(h + ip::kV4Dst, config_.remoteAddress.bytes.data(), 4);
    outerSum_ = checksumPartial(h, ipLen);
  } else {
    ipLen = ip::kIpv6Header;
    h[0] = 0x60;
    h[ip::kV6NextHeader] = proto;
    h[ip::kV6HopLimit] = config_.outerTtl;
    std::memcpy(h + ip::kV6Src, config_.localAddress.bytes.data(), 16);
    std::memcpy(h + ip::kV6Dst, config_.remoteAddress.bytes.data(), 16);
  }
  if (udp) {
    storeBe16(h + ipLen, config_.udpEncap->srcPort);
    storeBe16(h + ipLen + 2, config_.udpEncap->dstPort);
  }
  outerLen_ = ipLen + (udp ? ip::kUdpHeader : 0);
  // Transport mode adds no outer IP header, only UDP when encapsulated.
  if (config_.mode == Mode::Transport) outerLen_ = udp ? ip::kUdpHeader : 0;
}

}  // namespace ipsecgw::esp

// libFuzzer target: ESP decapsulation (lib/esp/esp_inbound.cpp).
//
// Input: [cfg][bytes...]. cfg picks mode (tunnel/transport), outer family,
// UDP encapsulation, ESN, and whether `bytes` is
//   - a whole raw packet (exercises every header and length check), or
//   - an ESP body (SPI..next header) that the harness wraps in a consistent
//     outer header and signs with a valid HMAC (NULL encryption), so that the
//     fuzzer reaches what lies behind the ICV: replay window, padding, next
//     header, inner packet parsing and the transport-mode header rebuild.
#include <cstdint>
#include <cstring>
#include <vector>

#include "crypto/engine_factory.hpp"
#include "esp/esp_crypto_layout.hpp"
#include "esp/esp_inbound.hpp"
#include "net/ip.hpp"
#include "util/byte_order.hpp"

using namespace ipsecgw;
using namespace ipsecgw::esp;

namespace {

constexpr uint32_t kSpi = 0x11223344;

struct Fixture {
  CryptoEnginePtr engine = crypto::makeEngine("ipsec-mb");
  SecurityAssociationPtr sas[16];  // indexed by cfg & 15

  Fixture() {
    for (int i = 0; i < 16; ++i) {
      bool transport = i & 1, v6 = i & 2, udp = i & 4, esn = i & 8;
      SaConfig c;
      c.spi = kSpi;
      c.transform = Transform::NullHmacSha256;
      c.mode = transport ? Mode::Transport : Mode::Tunnel;
      c.keymat = SecretBytes(std::vector<uint8_t>(32, 0x5a));  // fuzzing key, not a secret
      c.esn = esn;
      c.replayWindow = 64;
      c.localAddress = *IpAddress::parse(v6 ? "2001:db8::2" : "198.51.100.2");
      c.remoteAddress = *IpAddress::parse(v6 ? "2001:db8::1" : "192.0.2.1");
      if (udp) c.udpEncap = UdpEncap{};
      std::string error;
      sas[i] = SecurityAssociation::create(std::move(c), Direction::Inbound, *engine, error);
    }
  }
};

// Wraps an ESP body in an outer header and appends a valid ICV.
std::vector<uint8_t> wrapAndSign(Fixture& fx, SecurityAssociation& sa, bool v6, bool udp, bool esn,
                                 const uint8_t* body, size_t bodyLen, uint8_t seqHighGuess) {
  const uint32_t ipLen = v6 ? ip::kIpv6Header : ip::kIpv4MinHeader;
  const uint32_t udpLen = udp ? ip::kUdpHeader : 0;
  std::vector<uint8_t> p(8 + ipLen + udpLen + bodyLen + 16);  // 8: headroom the GMAC/ESN trick may use
  uint8_t* h = p.data() + 8;
  uint32_t total = ipLen + udpLen + static_cast<uint32_t>(bodyLen) + 16;
  if (total > 65535) return {};
  if (v6) {
    h[0] = 0x60;
    storeBe16(h + ip::kV6PayloadLen, static_cast<uint16_t>(total - ip::kIpv6Header));
    h[ip::kV6NextHeader] = udp ? ip::kProtoUdp : ip::kProtoEsp;
  } else {
    h[0] = 0x45;
    storeBe16(h + ip::kV4TotalLen, static_cast<uint16_t>(total));
    h[ip::kV4Proto] = udp ? ip::kProtoUdp : ip::kProtoEsp;
  }
  if (udp) {
    storeBe16(h + ipLen, 4500);
    storeBe16(h + ipLen + 2, 4500);
    storeBe16(h + ipLen + 4, static_cast<uint16_t>(total - ipLen));
  }
  uint8_t* esp = h + ipLen + udpLen;
  std::memcpy(esp, body, bodyLen);
  if (bodyLen >= 4) storeBe32(esp, kSpi);
  // Sign as the sender would, with the high half the fuzzer chose.
  EspOpScratch s{};
  s.esp = esp;
  s.espLen = static_cast<uint32_t>(bodyLen + 16);
  if (bodyLen < kEspHeaderLen) return p;
  uint64_t seq = uint64_t{esn ? seqHighGuess : 0u} << 32 | loadBe32(esp + 4);
  CryptoOp op;
  describeEspOp(sa, CryptoDirection::Encrypt, seq, s, op);
  fx.engine->process(sa.session(), sa.config().transform, CryptoDirection::Encrypt, {&op, 1});
  restoreAfterEspOp(sa, s);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  if (size < 2) return 0;
  const uint8_t cfg = data[0];
  const uint8_t seqHigh = data[1] & 1;
  SecurityAssociation& sa = *fx.sas[cfg & 15];
  const bool v6 = cfg & 2, udp = cfg & 4, esn = cfg & 8, raw = cfg & 0x80;
  data += 2;
  size -= 2;

  std::vector<uint8_t> pkt;
  uint32_t start = 0;
  if (raw) {
    pkt.assign(data, data + size);
  } else {
    pkt = wrapAndSign(fx, sa, v6, udp, esn, data, size, seqHigh);
    start = 8;
  }
  if (pkt.size() <= start) return 0;
  std::vector<uint8_t> buf(pkt.size() + 64);
  std::memcpy(buf.data() + 32, pkt.data(), pkt.size());
  PacketBuffer b{buf.data(), static_cast<uint32_t>(buf.size()), 32 + start,
                 static_cast<uint32_t>(pkt.size() - start)};
  PacketBuffer* ptr = &b;
  DropReason why;
  uint32_t ok = espDecapsulate(sa, *fx.engine, {&ptr, 1}, {&why, 1});
  if (ok) {
    // What came out must lie inside the buffer and be a parseable IP packet.
    if (b.offset + b.length > b.capacity) __builtin_trap();
  }
  uint32_t spi;
  peekEspSpi({pkt.data() + start, pkt.size() - start}, spi);
  return 0;
}

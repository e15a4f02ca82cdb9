#include "esp/esp_crypto_layout.hpp"

#include <cstring>

#include "util/byte_order.hpp"

namespace ipsecgw::esp {

void describeEspOp(const SecurityAssociation& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& s, CryptoOp& op) {
  const TransformInfo& info = sa.info();
  const bool esn = sa.config().esn;
  uint8_t* esp = s.esp;
  const uint32_t bodyOffset = kEspHeaderLen + info.ivLen;
  const uint32_t icvOffset = s.espLen - info.icvLen;
  const uint32_t bodyLen = icvOffset - bodyOffset;
  const uint32_t seqHigh = static_cast<uint32_t>(seq >> 32);

  // Every field is assigned exactly once here (the caller's storage is not
  // pre-initialised).
  op.data = esp;
  op.cipherOffset = 0;
  op.cipherLen = 0;
  op.authOffset = 0;
  op.authLen = 0;
  op.aad = nullptr;
  op.aadLen = 0;
  op.iv = nullptr;
  op.ivIsCounter = false;
  op.ok = false;
  if (dir == CryptoDirection::Decrypt) {
    std::memcpy(s.receivedIcv, esp + icvOffset, info.icvLen);
    op.digest = s.computedIcv;
  } else {
    op.digest = esp + icvOffset;
  }

  switch (info.kind) {
    case TransformKind::Aead:
      std::memcpy(s.aad, esp, 4);
      if (esn) {
        storeBe32(s.aad + 4, seqHigh);
        std::memcpy(s.aad + 8, esp + 4, 4);
      } else {
        std::memcpy(s.aad + 4, esp + 4, 4);
      }
      op.aad = s.aad;
      op.aadLen = esn ? 12 : 8;
      [[fallthrough]];
    case TransformKind::GmacOnly:
      std::memcpy(s.nonce, sa.salt(), 4);
      std::memcpy(s.nonce + 4, esp + kEspHeaderLen, 8);
      op.iv = s.nonce;
      break;
    case TransformKind::CbcThenHmac:
      op.iv = esp + kEspHeaderLen;
      op.ivIsCounter = dir == CryptoDirection::Encrypt;
      break;
    case TransformKind::HmacOnly:
      break;
  }

  if (info.kind == TransformKind::Aead || info.kind == TransformKind::CbcThenHmac) {
    op.cipherOffset = bodyOffset;
    op.cipherLen = bodyLen;
  }
  if (info.kind == TransformKind::Aead) return;

  // GMAC and HMAC authenticate SPI..NH in place.
  op.authOffset = 0;
  op.authLen = icvOffset;
  if (!esn) return;
  if (info.kind == TransformKind::GmacOnly) {
    // AAD must read SPI | Seq hi | Seq lo | IV...: shift the SPI four bytes
    // left (over headroom or the already-parsed outer header) and put Seq hi
    // where the SPI was.
    std::memcpy(s.displaced, esp - 4, 4);
    std::memcpy(esp - 4, esp, 4);
    storeBe32(esp, seqHigh);
    op.data = esp - 4;
    op.authLen += 4;
  } else {
    // HMAC: Seq hi follows the trailer (RFC 4303 2.2.1), where the ICV goes.
    storeBe32(esp + icvOffset, seqHigh);
    op.authLen += 4;
  }
}

void restoreDisplacedBytes(EspOpScratch& s) {
  std::memcpy(s.esp, s.esp - 4, 4);  // the SPI back in place
  std::memcpy(s.esp - 4, s.displaced, 4);
}

}  // namespace ipsecgw::esp

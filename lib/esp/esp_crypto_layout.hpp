// How an ESP packet maps onto a CryptoOp, shared by the outbound and inbound
// paths so that both sides of the wire describe the same bytes the same way.
//
//   RFC 4303 2:   SPI | Seq | IV | payload | TFC pad | pad | pad len | NH | ICV
//   AEAD (RFC 4106 5, RFC 7634 3):  AAD = SPI | [Seq hi] | Seq lo,
//                                   nonce = salt | IV, cipher = payload..NH
//   GMAC (RFC 4543 3.3): AAD = SPI | [Seq hi] | Seq lo | IV | payload..NH
//   HMAC (RFC 4303 2.2.1, 3.3.2): MAC over SPI..NH [| Seq hi]; with CBC over
//                                 SPI | Seq | IV | ciphertext [| Seq hi]
//
// The high half of an ESN is authenticated but never sent. Where it must sit
// inside the packet (GMAC, HMAC) it is written in temporarily and the displaced
// bytes are put back after the engine ran.
#pragma once

#include <cstdint>
#include <cstring>

#include "esp/crypto_engine.hpp"
#include "esp/security_association.hpp"
#include "util/byte_order.hpp"

namespace ipsecgw::esp {

inline constexpr uint32_t kEspHeaderLen = 8;  // SPI + sequence number
inline constexpr uint32_t kEspTrailerLen = 2; // pad length + next header
inline constexpr uint32_t kMaxIcvLen = 16;
inline constexpr uint32_t kBurstChunk = 32;   // ops handed to the engine at once

// Per-packet scratch that lives only for one burst, on the stack.
struct EspOpScratch {
  uint8_t aad[12];
  uint8_t nonce[12];
  uint8_t computedIcv[kMaxIcvLen];  // inbound: the engine writes here
  const uint8_t* receivedIcv;       // inbound: in the packet, or savedIcv
  uint8_t savedIcv[kMaxIcvLen];     // inbound HMAC+ESN: the ICV before Seq hi covers it
  uint8_t displaced[4];             // bytes an in-packet ESN high half replaced
  uint8_t* esp;
  uint32_t espLen;
};

// Describes the ESP packet at scratch.esp (SPI through ICV, espLen bytes) as a
// crypto op for `dir`. Outbound ICVs go straight into the packet; inbound ones
// into scratch.computedIcv, to be compared with scratch.receivedIcv. Inline:
// it runs once per packet in both directions.
inline void describeEspOp(const SecurityAssociation& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& s, CryptoOp& op) {
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
    // The received ICV is compared where it lies, unless the ESN high half
    // is about to be written over it (HMAC with ESN).
    s.receivedIcv = esp + icvOffset;
    if (esn && (info.kind == TransformKind::CbcThenHmac || info.kind == TransformKind::HmacOnly)) {
      static_assert(kMaxIcvLen == 16);
      std::memcpy(s.savedIcv, esp + icvOffset, kMaxIcvLen);
      s.receivedIcv = s.savedIcv;
    }
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


// Undo the temporary ESN placement (if any) once the engine has run. Only
// GMAC with ESN displaces bytes; the check is inline, the work is not.
void restoreDisplacedBytes(EspOpScratch& scratch);
inline void restoreAfterEspOp(const SecurityAssociation& sa, EspOpScratch& scratch) {
  if (sa.config().esn && sa.info().kind == TransformKind::GmacOnly) restoreDisplacedBytes(scratch);
}

}  // namespace ipsecgw::esp

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
#include <type_traits>

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
  uint8_t aad[12];                  // ESN only: SPI | Seq hi | Seq lo (else the AAD is read in place)
  uint8_t nonce[12];
  uint8_t computedIcv[kMaxIcvLen];  // inbound: the engine writes here
  const uint8_t* receivedIcv;       // inbound: in the packet, or savedIcv
  uint8_t savedIcv[kMaxIcvLen];     // inbound HMAC+ESN: the ICV before Seq hi covers it
  uint8_t displaced[4];             // bytes an in-packet ESN high half replaced
  uint8_t* esp;
  uint32_t espLen;
};

// What the per-packet code needs from an SA, copied into a local once per
// burst. Packet bytes are written through uint8_t pointers, which may alias
// any object, so a field read through the SA (config, TransformInfo) would be
// reloaded from memory after every such store; a local copy whose address
// never escapes stays in registers.
struct EspSaParams {
  TransformKind kind;
  bool esn;
  uint32_t spi;
  uint32_t salt;  // the nonce's first 4 bytes, in wire order (RFC 4106 4)

  static EspSaParams of(const SecurityAssociation& sa) {
    EspSaParams p{sa.info().kind, sa.config().esn, sa.spi(), 0};
    std::memcpy(&p.salt, sa.salt(), 4);
    return p;
  }
};

// Describes the ESP packet at scratch.esp (SPI through ICV, espLen bytes) as a
// crypto op for `dir`. Outbound ICVs go straight into the packet; inbound ones
// into scratch.computedIcv, to be compared with scratch.receivedIcv. Inline and
// specialised per kind (sa.kind == Kind): it runs once per packet in both
// directions, inside burst loops that are specialised the same way.
template <TransformKind Kind>
inline void describeEspOpAs(const EspSaParams& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& s,
                            CryptoOp& op) {
  constexpr TransformKind kind = Kind;
  constexpr KindGeometry geo = kindGeometry(Kind);
  const bool esn = sa.esn;
  uint8_t* esp = s.esp;
  constexpr uint32_t bodyOffset = kEspHeaderLen + geo.ivLen;
  const uint32_t icvOffset = s.espLen - geo.icvLen;
  const uint32_t bodyLen = icvOffset - bodyOffset;
  const uint32_t seqHigh = static_cast<uint32_t>(seq >> 32);

  // Every field the kind uses is assigned exactly once here (the caller's
  // storage is not pre-initialised); an AEAD op leaves the auth region and
  // ivIsCounter, which CryptoOp documents as unused for it, alone.
  op.data = esp;
  if constexpr (kind != TransformKind::Aead) {
    op.cipherOffset = 0;
    op.cipherLen = 0;
    op.authOffset = 0;
    op.authLen = 0;
    op.aad = nullptr;
    op.aadLen = 0;
    op.iv = nullptr;
    op.ivIsCounter = false;
  }
  op.ok = false;
  if (dir == CryptoDirection::Decrypt) {
    // The received ICV is compared where it lies, unless the ESN high half
    // is about to be written over it (HMAC with ESN).
    s.receivedIcv = esp + icvOffset;
    if (esn && (kind == TransformKind::CbcThenHmac || kind == TransformKind::HmacOnly)) {
      static_assert(kMaxIcvLen == 16);
      std::memcpy(s.savedIcv, esp + icvOffset, kMaxIcvLen);
      s.receivedIcv = s.savedIcv;
    }
    op.digest = s.computedIcv;
  } else {
    op.digest = esp + icvOffset;
  }

  if constexpr (kind == TransformKind::Aead) {
    if (esn) {
      std::memcpy(s.aad, esp, 4);
      storeBe32(s.aad + 4, seqHigh);
      std::memcpy(s.aad + 8, esp + 4, 4);
      op.aad = s.aad;
      op.aadLen = 12;
    } else {
      // SPI | Seq is the packet's own first 8 bytes, which the cipher
      // (starting after the IV) never touches: no copy.
      op.aad = esp;
      op.aadLen = 8;
    }
  }
  if constexpr (kind == TransformKind::Aead || kind == TransformKind::GmacOnly) {
    std::memcpy(s.nonce, &sa.salt, 4);
    std::memcpy(s.nonce + 4, esp + kEspHeaderLen, 8);
    op.iv = s.nonce;
  }
  if constexpr (kind == TransformKind::CbcThenHmac) {
    op.iv = esp + kEspHeaderLen;
    op.ivIsCounter = dir == CryptoDirection::Encrypt;
  }
  if constexpr (kind == TransformKind::Aead || kind == TransformKind::CbcThenHmac) {
    op.cipherOffset = bodyOffset;
    op.cipherLen = bodyLen;
  }
  if constexpr (kind == TransformKind::Aead) return;

  // GMAC and HMAC authenticate SPI..NH in place.
  op.authOffset = 0;
  op.authLen = icvOffset;
  if (!esn) return;
  if (kind == TransformKind::GmacOnly) {
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

// Calls `fn` with the kind as a compile-time constant (std::integral_constant),
// so that a burst routine is specialised once per burst, not tested per packet.
template <typename Fn>
inline decltype(auto) withKind(TransformKind k, Fn&& fn) {
  switch (k) {
    case TransformKind::Aead: return fn(std::integral_constant<TransformKind, TransformKind::Aead>{});
    case TransformKind::GmacOnly: return fn(std::integral_constant<TransformKind, TransformKind::GmacOnly>{});
    case TransformKind::CbcThenHmac: return fn(std::integral_constant<TransformKind, TransformKind::CbcThenHmac>{});
    case TransformKind::HmacOnly: break;
  }
  return fn(std::integral_constant<TransformKind, TransformKind::HmacOnly>{});
}

inline void describeEspOp(const EspSaParams& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& s, CryptoOp& op) {
  withKind(sa.kind, [&](auto k) { describeEspOpAs<decltype(k)::value>(sa, dir, seq, s, op); });
}
inline void describeEspOp(const SecurityAssociation& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& s,
                          CryptoOp& op) {
  describeEspOp(EspSaParams::of(sa), dir, seq, s, op);
}


// Undo the temporary ESN placement (if any) once the engine has run. Only
// GMAC with ESN displaces bytes; the check is inline, the work is not.
void restoreDisplacedBytes(EspOpScratch& scratch);
inline void restoreAfterEspOp(const EspSaParams& sa, EspOpScratch& scratch) {
  if (sa.esn && sa.kind == TransformKind::GmacOnly) restoreDisplacedBytes(scratch);
}
inline void restoreAfterEspOp(const SecurityAssociation& sa, EspOpScratch& scratch) {
  restoreAfterEspOp(EspSaParams::of(sa), scratch);
}

}  // namespace ipsecgw::esp

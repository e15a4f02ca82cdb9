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

#include "esp/crypto_engine.hpp"
#include "esp/security_association.hpp"

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
  uint8_t receivedIcv[kMaxIcvLen];  // inbound: copied from the packet first
  uint8_t displaced[4];             // bytes an in-packet ESN high half replaced
  uint8_t* esp;
  uint32_t espLen;
};

// Describes the ESP packet at scratch.esp (SPI through ICV, espLen bytes) as a
// crypto op for `dir`. Outbound ICVs go straight into the packet; inbound ones
// into scratch.computedIcv, after the received ICV was saved.
void describeEspOp(const SecurityAssociation& sa, CryptoDirection dir, uint64_t seq, EspOpScratch& scratch,
                   CryptoOp& op);

// Undo the temporary ESN placement (if any) once the engine has run. Only
// GMAC with ESN displaces bytes; the check is inline, the work is not.
void restoreDisplacedBytes(EspOpScratch& scratch);
inline void restoreAfterEspOp(const SecurityAssociation& sa, EspOpScratch& scratch) {
  if (sa.config().esn && sa.info().kind == TransformKind::GmacOnly) restoreDisplacedBytes(scratch);
}

}  // namespace ipsecgw::esp

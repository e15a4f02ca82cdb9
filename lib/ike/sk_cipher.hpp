// The boundary between the IKE message codec (lib/ike/wire) and the IKE SA's
// keys (lib/ike/crypto): the codec lays out an Encrypted payload (SK, RFC 7296
// 3.14; SKF, RFC 7383 2.5) and the cipher fills in and checks its IV,
// ciphertext and ICV. Neither side knows the other's internals.
//
// Layout of a protected message (the codec writes every header with its final
// lengths before calling seal):
//
//   [IKE header][unencrypted payloads][SK/SKF generic header (+ SKF's 4 bytes)]
//   [IV][plaintext inner payloads | padding | pad length][ICV]
//    ^ ivOffset
//
// What is authenticated differs by kind and is the cipher's business:
//   - AEAD (AES-GCM, RFC 5282 5.1; ChaCha20-Poly1305, RFC 7634 3): AAD is
//     message[0, ivOffset); the ICV is the AEAD tag.
//   - Encrypt-then-MAC (AES-CBC + HMAC-SHA2, RFC 7296 3.14 and 2.13): the ICV
//     is the truncated MAC over message[0, end of ciphertext).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ipsecgw::ike {

class SkCipher {
 public:
  virtual ~SkCipher() = default;

  virtual size_t ivLength() const = 0;
  virtual size_t icvLength() const = 0;
  // Plaintext + padding + the pad-length byte must be a multiple of this
  // (16 for AES-CBC; 1 for the AEADs, RFC 5282 3).
  virtual size_t blockSize() const = 0;

  // `message` holds the whole datagram as laid out above; plaintext (already
  // padded, pad-length byte included) fills [ivOffset + ivLength, end - icvLength).
  // Writes a fresh IV, encrypts in place, writes the ICV. False on a crypto
  // library failure (never on bad input: the codec's layout is trusted).
  virtual bool seal(std::span<uint8_t> message, size_t ivOffset) = 0;

  // The inverse for a received datagram: verifies the ICV in constant time
  // and decrypts in place. False, with `message` unchanged in meaning, when the
  // ICV does not verify or the lengths do not fit the cipher (short,
  // ciphertext not a multiple of the block size). On success the plaintext is
  // [ivOffset + ivLength, end - icvLength); the codec strips the padding.
  virtual bool open(std::span<uint8_t> message, size_t ivOffset) = 0;
};

using SkCipherPtr = std::unique_ptr<SkCipher>;

}  // namespace ipsecgw::ike

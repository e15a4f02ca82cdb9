// IKEv2 datagrams to and from Messages (RFC 7296 3; SKF RFC 7383 2.5).
//
// Receiving is two steps so that the exchange layer can find the IKE SA by
// SPI and check the message ID before spending any crypto:
//   1. decodeMessage(datagram): header + outer payload chain. A plain message
//      (IKE_SA_INIT) is complete here; a protected one ends with an SK/SKF
//      payload whose EncryptedPayload body tells where the IV starts.
//   2. openMessage(datagram, outer, cipher) for SK: verifies the ICV,
//      decrypts in place, strips the padding and decodes the inner chain.
//      openFragment(...) for SKF gives the fragment's inner bytes; once a
//      Reassembler has them all, decodeChain(first, bytes) decodes them.
// Sending: encodeMessage() for plain messages, encodeEncrypted() to put every
// payload of a Message inside SK, encodeFragments() to split them over SKF.
#pragma once

#include <span>
#include <vector>

#include "ike/sk_cipher.hpp"
#include "ike/wire/message.hpp"
#include "ike/wire/wire_error.hpp"

namespace ipsecgw::ike {

inline constexpr size_t kIkeHeaderLen = 28;

// The header alone (version and exact length checked), e.g. to log or to
// look an SA up even when the payload chain turns out bad.
WireResult<Header> decodeHeader(std::span<const uint8_t> datagram);

// Step 1: header and outer chain. Length must equal datagram.size() exactly.
WireResult<Message> decodeMessage(std::span<const uint8_t> datagram);

// Step 2 (SK): `datagram` is the one decodeMessage() read; it is decrypted in
// place. The result holds outer's header, its payloads before SK, then the
// inner payloads, with decrypted = true.
WireResult<Message> openMessage(std::span<uint8_t> datagram, const Message& outer, SkCipher& cipher);

// Step 2 (SKF, RFC 7383 2.5). firstInner is meaningful in fragment 1 only.
struct Fragment {
  uint16_t number = 0;
  uint16_t total = 0;
  PayloadType firstInner = PayloadType::NoNext;
  Bytes inner;  // this fragment's share of the inner payload chain
};
WireResult<Fragment> openFragment(std::span<uint8_t> datagram, const Message& outer, SkCipher& cipher);

// An inner payload chain (e.g. reassembled from fragments) starting with `first`.
WireResult<std::vector<Payload>> decodeChain(PayloadType first, std::span<const uint8_t> chain);

// Plain message: header + payloads. Fails on an EncryptedPayload body.
WireResult<Bytes> encodeMessage(const Message& m);

// The inner chain bytes alone (what SK/SKF carries before padding).
WireResult<Bytes> encodeChain(std::span<const Payload> payloads);

// [header][SK][IV][m.payloads | pad | pad length][ICV], sealed by `cipher`
// (RFC 7296 3.14). Padding is zeros up to cipher.blockSize().
WireResult<Bytes> encodeEncrypted(const Message& m, SkCipher& cipher);

// One SKF datagram carrying `innerChunk` as fragment `number` of `total`
// (RFC 7383 2.5); firstInner goes into fragment 1's Next Payload, 0 elsewhere.
WireResult<Bytes> encodeFragment(const Header& h, PayloadType firstInner, uint16_t number, uint16_t total,
                                 std::span<const uint8_t> innerChunk, SkCipher& cipher);

// m.payloads encoded once and cut into chunks of at most maxInnerPerFragment
// bytes, each sealed as an SKF datagram (RFC 7383 2.5.1 leaves the size to
// the sender: path MTU minus headers, IV, ICV and padding).
WireResult<std::vector<Bytes>> encodeFragments(const Message& m, size_t maxInnerPerFragment, SkCipher& cipher);

}  // namespace ipsecgw::ike

// Why a datagram did not decode (or a message did not encode). One list gives
// enum, log name and help text, like DropReason. The exchange layer maps some
// of them to a notify (RFC 7296 2.21.1: INVALID_SYNTAX, INVALID_MAJOR_VERSION,
// UNSUPPORTED_CRITICAL_PAYLOAD with the offending type).
#pragma once

#include <cstdint>
#include <string_view>

#include "util/expected.hpp"

namespace ipsecgw::ike {

#define IPSECGW_IKE_WIRE_ERRORS(X)                                                             \
  X(TruncatedHeader, "truncated-header", "datagram shorter than the 28-byte IKE header")       \
  X(BadVersion, "bad-version", "major version is not 2 (RFC 7296 2.5)")                        \
  X(LengthMismatch, "length-mismatch", "header length differs from the datagram size")         \
  X(TruncatedPayload, "truncated-payload", "generic payload header runs past its parent")      \
  X(BadPayloadLength, "bad-payload-length", "payload length shorter than its fixed part or past the end") \
  X(TrailingBytes, "trailing-bytes", "bytes left after the last payload of a chain")           \
  X(BadProposal, "bad-proposal", "proposal structure, numbering or last-substructure field wrong") \
  X(BadTransform, "bad-transform", "transform structure, count or attribute wrong")            \
  X(BadKe, "bad-ke", "KE payload shorter than its fixed part")                                 \
  X(BadId, "bad-id", "ID payload shorter than its fixed part")                                 \
  X(BadCert, "bad-cert", "CERT or CERTREQ payload without an encoding byte")                   \
  X(BadAuth, "bad-auth", "AUTH payload shorter than its fixed part")                           \
  X(BadNonce, "bad-nonce", "nonce outside 16..256 bytes (RFC 7296 3.9)")                       \
  X(BadNotify, "bad-notify", "notify structure or SPI size wrong")                             \
  X(BadDelete, "bad-delete", "delete SPI size/count do not fill the payload exactly")          \
  X(BadTrafficSelector, "bad-ts", "traffic selector count, type or length wrong")              \
  X(SkNotLast, "sk-not-last", "SK/SKF payload is not the last payload of the message")         \
  X(BadEncrypted, "bad-encrypted", "SK/SKF shorter than IV + ICV or inside another SK")        \
  X(BadFragment, "bad-fragment", "SKF fragment number 0, total 0 or number > total")           \
  X(NotEncrypted, "not-encrypted", "asked to open a message that has no SK/SKF payload")       \
  X(UnsupportedCriticalPayload, "unsupported-critical", "unknown payload type with the critical bit") \
  X(IcvFailure, "icv-failure", "SK integrity check failed or lengths do not fit the cipher")   \
  X(BadPadding, "bad-padding", "pad length leaves no room in the decrypted SK plaintext")     \
  X(TooLong, "too-long", "encoding would overflow a 16-bit payload or a field count")          \
  X(SealFailed, "seal-failed", "the SK cipher reported a failure while sealing")

enum class WireErrc : uint8_t {
#define IPSECGW_IKE_WIRE_ENUM(name, label, help) name,
  IPSECGW_IKE_WIRE_ERRORS(IPSECGW_IKE_WIRE_ENUM)
#undef IPSECGW_IKE_WIRE_ENUM
      Count
};

struct WireError {
  WireErrc code;
  // The payload being parsed when it failed (0 for the header); for
  // UnsupportedCriticalPayload, the type to put in the notify's data.
  uint8_t payloadType = 0;

  bool operator==(const WireError&) const = default;
};

std::string_view wireErrorName(WireErrc e);
std::string_view wireErrorHelp(WireErrc e);

template <typename T>
using WireResult = Expected<T, WireError>;

inline Unexpected<WireError> wireError(WireErrc code, uint8_t payloadType = 0) {
  return {WireError{code, payloadType}};
}

}  // namespace ipsecgw::ike

// The payload chain (RFC 7296 3.2): generic headers linked by Next Payload.
// Internal to lib/ike/wire; message_codec.hpp is the public face.
#pragma once

#include <span>

#include "ike/wire/byte_writer.hpp"
#include "ike/wire/message.hpp"
#include "ike/wire/wire_error.hpp"

namespace ipsecgw::ike {

// Walks `chain` starting with payload type `first`. `chainOffset` is where
// `chain` starts in the datagram (recorded in an SK/SKF's ivOffset).
// allowEncrypted: the outer chain, where SK/SKF may end the message; an inner
// chain (inside SK) may not hold another one.
WireResult<std::vector<Payload>> walkChain(PayloadType first, std::span<const uint8_t> chain, size_t chainOffset,
                                           bool allowEncrypted);

// Appends the payloads with their generic headers; the last one's Next
// Payload is `after` (NoNext, or SK when an SK payload follows).
std::optional<WireError> writeChain(std::span<const Payload> payloads, PayloadType after, ByteWriter& w);

}  // namespace ipsecgw::ike

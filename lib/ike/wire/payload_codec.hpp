// Payload bodies (everything after the 4-byte generic payload header) to and
// from their typed structs. Internal to lib/ike/wire: the chain walker
// (chain.cpp) owns the generic headers; SK/SKF are laid out by message_codec.
#pragma once

#include <optional>
#include <span>

#include "ike/wire/byte_writer.hpp"
#include "ike/wire/message.hpp"
#include "ike/wire/wire_error.hpp"

namespace ipsecgw::ike {

// Types with a PayloadBody other than EncryptedPayload (SK/SKF excluded).
bool isModelledPayloadType(uint8_t type);

// Decodes the body of a modelled payload type; every nested length is checked
// against its parent and must fill it exactly.
WireResult<PayloadBody> decodePayloadBody(PayloadType type, std::span<const uint8_t> body);

// Appends the body; nullopt on success.
std::optional<WireError> encodePayloadBody(const Payload& p, ByteWriter& w);

}  // namespace ipsecgw::ike

// Identities on the wire (RFC 7296 3.5) from the configured ones, and the
// check of a peer's ID payload against the configured remote id.
#pragma once

#include <optional>

#include "config/connection_config.hpp"
#include "ike/crypto/x509_certificate.hpp"
#include "ike/wire/message.hpp"

namespace ipsecgw::ike {

// Our ID payload: the configured id, or our address when it is %any (as
// strongSwan does when no id is given).
IdPayload idPayloadFor(const config::IdentityConfig& id, const IpAddress& fallback);

// "RestOfIDPayload" for AUTH (2.15): type, three reserved octets, data.
Bytes idPayloadBody(const IdPayload& id);

// %any accepts any identity; otherwise type and data must match exactly
// (a DN as a name, RFC 5280 7.1).
bool idMatches(const config::IdentityConfig& expected, const IdPayload& got);

// Which certificate entry an ID payload of type `t` is checked against;
// nullopt for types a certificate cannot vouch for (KEY_ID, ...).
std::optional<CertIdKind> certIdKind(IdType t);

}  // namespace ipsecgw::ike

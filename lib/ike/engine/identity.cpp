#include "ike/engine/identity.hpp"

#include <algorithm>

#include "ike/crypto/x509_certificate.hpp"

namespace ipsecgw::ike {

namespace {
IdPayload addressId(const IpAddress& a) {
  IdPayload p;
  p.type = a.isV4() ? IdType::Ipv4Addr : IdType::Ipv6Addr;
  p.data.resize(a.size());
  std::copy_n(a.bytes.begin(), a.size(), p.data.begin());
  return p;
}
}  // namespace

IdPayload idPayloadFor(const config::IdentityConfig& id, const IpAddress& fallback) {
  using T = config::IdentityConfig::Type;
  switch (id.type) {
    case T::Any: return addressId(fallback);
    case T::Ipv4:
    case T::Ipv6:
      if (auto a = IpAddress::parse(id.value)) return addressId(*a);
      return addressId(fallback);
    case T::Fqdn:
    case T::Email: {
      IdPayload p;
      p.type = id.type == T::Fqdn ? IdType::Fqdn : IdType::Rfc822Addr;
      p.data.assign(id.value.begin(), id.value.end());
      return p;
    }
    case T::Dn: {
      IdPayload p;
      p.type = IdType::DerAsn1Dn;
      p.data = id.der;
      return p;
    }
  }
  return addressId(fallback);
}

Bytes idPayloadBody(const IdPayload& id) {
  Bytes b(4 + id.data.size(), 0);
  b[0] = static_cast<uint8_t>(id.type);
  std::copy(id.data.begin(), id.data.end(), b.begin() + 4);
  return b;
}

bool idMatches(const config::IdentityConfig& expected, const IdPayload& got) {
  if (expected.type == config::IdentityConfig::Type::Any) return true;
  IdPayload want = idPayloadFor(expected, IpAddress{});
  if (want.type != got.type) return false;
  // Two encodings of one DN (PrintableString or UTF8String, spacing) are
  // the same name (RFC 5280 7.1).
  if (want.type == IdType::DerAsn1Dn) return distinguishedNamesEqual(want.data, got.data);
  return want.data == got.data;
}

std::optional<CertIdKind> certIdKind(IdType t) {
  switch (t) {
    case IdType::Ipv4Addr: return CertIdKind::Ipv4;
    case IdType::Ipv6Addr: return CertIdKind::Ipv6;
    case IdType::Fqdn: return CertIdKind::Fqdn;
    case IdType::Rfc822Addr: return CertIdKind::Email;
    case IdType::DerAsn1Dn: return CertIdKind::Dn;
    default: return std::nullopt;
  }
}

}  // namespace ipsecgw::ike

#include "ike/engine/identity.hpp"

#include <algorithm>

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
  return want.type == got.type && want.data == got.data;
}

}  // namespace ipsecgw::ike

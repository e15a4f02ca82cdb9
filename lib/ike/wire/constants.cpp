#include "ike/wire/constants.hpp"

namespace ipsecgw::ike {

// A switch per list: the compiler checks the cases are distinct, and values
// outside the list fall through to "UNKNOWN".
#define IPSECGW_IKE_NAME_CASE(name, value, label) \
  case Enum::name:                                \
    return label;
#define IPSECGW_IKE_NAME_FN(Type, LIST)         \
  std::string_view name(Type v) {               \
    using Enum = Type;                          \
    switch (v) { LIST(IPSECGW_IKE_NAME_CASE) }  \
    return "UNKNOWN";                           \
  }

IPSECGW_IKE_NAME_FN(ExchangeType, IPSECGW_IKE_EXCHANGE_TYPES)
IPSECGW_IKE_NAME_FN(PayloadType, IPSECGW_IKE_PAYLOAD_TYPES)
IPSECGW_IKE_NAME_FN(NotifyType, IPSECGW_IKE_NOTIFY_TYPES)
IPSECGW_IKE_NAME_FN(TransformType, IPSECGW_IKE_TRANSFORM_TYPES)
IPSECGW_IKE_NAME_FN(ProtocolId, IPSECGW_IKE_PROTOCOL_IDS)
IPSECGW_IKE_NAME_FN(IdType, IPSECGW_IKE_ID_TYPES)
IPSECGW_IKE_NAME_FN(AuthMethod, IPSECGW_IKE_AUTH_METHODS)
IPSECGW_IKE_NAME_FN(TsType, IPSECGW_IKE_TS_TYPES)

#undef IPSECGW_IKE_NAME_FN
#undef IPSECGW_IKE_NAME_CASE

}  // namespace ipsecgw::ike

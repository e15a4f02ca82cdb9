#include "ike/wire/wire_error.hpp"

#include <array>

namespace ipsecgw::ike {

namespace {
constexpr size_t kCount = static_cast<size_t>(WireErrc::Count);
constexpr std::array<std::string_view, kCount> kNames = {
#define IPSECGW_IKE_WIRE_NAME(name, label, help) label,
    IPSECGW_IKE_WIRE_ERRORS(IPSECGW_IKE_WIRE_NAME)
#undef IPSECGW_IKE_WIRE_NAME
};
constexpr std::array<std::string_view, kCount> kHelp = {
#define IPSECGW_IKE_WIRE_HELP(name, label, help) help,
    IPSECGW_IKE_WIRE_ERRORS(IPSECGW_IKE_WIRE_HELP)
#undef IPSECGW_IKE_WIRE_HELP
};
}  // namespace

std::string_view wireErrorName(WireErrc e) { return kNames.at(static_cast<size_t>(e)); }
std::string_view wireErrorHelp(WireErrc e) { return kHelp.at(static_cast<size_t>(e)); }

}  // namespace ipsecgw::ike

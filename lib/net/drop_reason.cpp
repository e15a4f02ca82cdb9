#include "net/drop_reason.hpp"

#include <array>

namespace ipsecgw {

namespace {
constexpr std::array<std::string_view, kDropReasonCount> kNames = {
#define IPSECGW_DROP_NAME(name, label, help) label,
    IPSECGW_DROP_REASONS(IPSECGW_DROP_NAME)
#undef IPSECGW_DROP_NAME
};
constexpr std::array<std::string_view, kDropReasonCount> kHelp = {
#define IPSECGW_DROP_HELP(name, label, help) help,
    IPSECGW_DROP_REASONS(IPSECGW_DROP_HELP)
#undef IPSECGW_DROP_HELP
};
}  // namespace

std::string_view dropReasonName(DropReason r) { return kNames.at(static_cast<size_t>(r)); }
std::string_view dropReasonHelp(DropReason r) { return kHelp.at(static_cast<size_t>(r)); }

}  // namespace ipsecgw

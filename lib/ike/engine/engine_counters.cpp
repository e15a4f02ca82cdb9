#include "ike/engine/engine_counters.hpp"

namespace ipsecgw::ike {

namespace {
struct Entry {
  std::string_view name, help;
};
constexpr Entry kEntries[] = {
#define IPSECGW_IKE_ENGINE_ENTRY(name, label, help) {label, help},
    IPSECGW_IKE_ENGINE_COUNTERS(IPSECGW_IKE_ENGINE_ENTRY)
#undef IPSECGW_IKE_ENGINE_ENTRY
};
static_assert(std::size(kEntries) == static_cast<size_t>(EngineCounter::Count));
}  // namespace

std::string_view engineCounterName(EngineCounter c) { return kEntries[static_cast<size_t>(c)].name; }
std::string_view engineCounterHelp(EngineCounter c) { return kEntries[static_cast<size_t>(c)].help; }

}  // namespace ipsecgw::ike

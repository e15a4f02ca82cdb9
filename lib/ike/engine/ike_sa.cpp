#include "ike/engine/ike_sa.hpp"

#include <algorithm>

#include "ike/crypto/random.hpp"

#include "ike/engine/task_manager.hpp"

namespace ipsecgw::ike {

IkeSa::IkeSa(uint64_t id_, bool initiator_, EngineContext& ctx)
    : id(id_), initiator(initiator_), tasks(std::make_unique<TaskManager>(*this, ctx)) {}

IkeSa::~IkeSa() = default;

uint64_t rekeyDeadline(uint64_t nowMs, uint32_t rekeyTimeS) {
  if (!rekeyTimeS) return 0;
  const uint64_t full = uint64_t(rekeyTimeS) * 1000;
  uint32_t r = 0;
  randomBytes(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&r), sizeof r));
  return nowMs + full - (full / 10 ? r % (full / 10) : 0);
}

bool lowestNonceIn(ByteView aNi, ByteView aNr, ByteView bNi, ByteView bNr) {
  auto less = [](ByteView x, ByteView y) { return std::lexicographical_compare(x.begin(), x.end(), y.begin(), y.end()); };
  ByteView a = less(aNi, aNr) ? aNi : aNr;
  ByteView b = less(bNi, bNr) ? bNi : bNr;
  return less(a, b);
}

void IkeSa::kill(std::string_view reason) {
  if (dead) return;
  dead = true;
  downReason = reason;
}

}  // namespace ipsecgw::ike

#include "ike/engine/ike_sa.hpp"

#include "ike/engine/task_manager.hpp"

namespace ipsecgw::ike {

IkeSa::IkeSa(uint64_t id_, bool initiator_, EngineContext& ctx)
    : id(id_), initiator(initiator_), tasks(std::make_unique<TaskManager>(*this, ctx)) {}

IkeSa::~IkeSa() = default;

void IkeSa::kill(std::string_view reason) {
  if (dead) return;
  dead = true;
  downReason = reason;
}

}  // namespace ipsecgw::ike

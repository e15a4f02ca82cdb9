#include "ike/engine/fragment_collector.hpp"

namespace ipsecgw::ike {

FragmentVerdict FragmentCollector::add(uint32_t messageId, ExchangeType exchange, Fragment&& f, uint64_t nowMs) {
  if (busy() && (messageId != messageId_ || exchange != exchange_)) parts_.reset();
  if (!busy()) {
    messageId_ = messageId;
    exchange_ = exchange;
    startedMs_ = nowMs;
  }
  return parts_.add(std::move(f));
}

bool FragmentCollector::expire(uint64_t nowMs) {
  if (!busy() || nowMs - startedMs_ < kTimeoutMs) return false;
  parts_.reset();
  return true;
}

}  // namespace ipsecgw::ike

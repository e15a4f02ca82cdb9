// An idle poll loop backs off (DESIGN.md: several gateways, peers and hosts
// share two cores): after 1000 empty polls it sleeps 50 us per poll, up to
// 1 ms once idle for long. Any work resets it. Off for benchmarks
// (--no-idle-backoff), where a sleeping worker would only add latency.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace ipsecgw {

class IdleBackoff {
 public:
  explicit IdleBackoff(bool enabled) : enabled_(enabled) {}
  void after(uint32_t work) {
    if (!enabled_) return;
    if (work) {
      idle_ = 0;
      return;
    }
    if (++idle_ < 1000) return;
    std::this_thread::sleep_for(std::chrono::microseconds(idle_ < 20000 ? 50 : 1000));
  }

 private:
  bool enabled_;
  uint32_t idle_ = 0;
};

}  // namespace ipsecgw

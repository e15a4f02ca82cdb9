// A token bucket: `ratePerSecond` tokens a second, at most `burst` saved up.
// The worker spends one per ICMP error it sends (RFC 1812 4.3.2.8 and RFC
// 4443 2.4(f) ask routers to limit the rate of ICMP errors; a token bucket is
// the method RFC 4443 suggests). One bucket per worker, not per destination:
// it bounds what a flood of bad packets can make the gateway send, which is
// the point; a per-source limit would need a table an attacker can fill.
//
// Concurrency: owned by one worker; not shared.
#pragma once

#include <algorithm>
#include <cstdint>

namespace ipsecgw::dataplane {

class TokenBucket {
 public:
  // Starts full.
  TokenBucket(uint32_t ratePerSecond, uint32_t burst)
      : rate_(ratePerSecond), capMilli_(uint64_t{burst} * 1000), milli_(capMilli_) {}

  // True, spending a token, if one is available at `nowMs` (a monotonic
  // millisecond clock).
  bool take(uint64_t nowMs) {
    if (nowMs > lastMs_) {
      // Tokens in thousandths, so a rate below 1000/s still refills every ms.
      milli_ = std::min(capMilli_, milli_ + (nowMs - lastMs_) * rate_);
      lastMs_ = nowMs;
    }
    if (milli_ < 1000) return false;
    milli_ -= 1000;
    return true;
  }

 private:
  uint64_t rate_;
  uint64_t capMilli_;
  uint64_t milli_;
  uint64_t lastMs_ = 0;
};

}  // namespace ipsecgw::dataplane

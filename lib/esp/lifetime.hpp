// SA lifetimes by volume (RFC 4301 4.4.2.1): soft and hard limits in bytes and
// packets. Crossing a soft limit raises SoftLifetime once (the control core
// starts a rekey); a packet that would cross a hard limit is refused and the SA
// stops for good. Time-based lifetimes belong to the control core's timers.
#pragma once

#include <cstdint>

namespace ipsecgw::esp {

struct LifetimeLimits {
  // 0 means "no limit".
  uint64_t softBytes = 0;
  uint64_t hardBytes = 0;
  uint64_t softPackets = 0;
  uint64_t hardPackets = 0;
};

// Events an SA raises towards the control core, each at most once per SA.
enum SaEvent : uint8_t {
  kEventSoftLifetime = 1 << 0,  // time to rekey
  kEventHardLifetime = 1 << 1,  // the SA refuses traffic from now on
  kEventSeqExhausted = 1 << 2,  // outbound sequence space used up: rekey now
};

class LifetimeCounter {
 public:
  explicit LifetimeCounter(const LifetimeLimits& limits) : limits_(limits) {}

  // Account one packet of `bytes`. False if it would pass a hard limit; the
  // packet must then be dropped and is not counted.
  bool consume(uint64_t bytes) {
    if (expired_) return false;
    uint64_t packets = packets_ + 1;
    uint64_t total = bytes_ + bytes;
    if ((limits_.hardPackets && packets > limits_.hardPackets) || (limits_.hardBytes && total > limits_.hardBytes)) {
      expired_ = true;
      raise(kEventHardLifetime);
      return false;
    }
    packets_ = packets;
    bytes_ = total;
    if ((limits_.softPackets && packets >= limits_.softPackets) || (limits_.softBytes && total >= limits_.softBytes))
      raise(kEventSoftLifetime);
    return true;
  }

  void raise(SaEvent e) {
    if (raised_ & e) return;
    raised_ |= e;
    pending_ |= e;
  }
  // Events raised since the last call; each is reported exactly once.
  uint8_t takeEvents() {
    uint8_t e = pending_;
    pending_ = 0;
    return e;
  }

  bool expired() const { return expired_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t packets() const { return packets_; }
  const LifetimeLimits& limits() const { return limits_; }

 private:
  LifetimeLimits limits_;
  uint64_t bytes_ = 0;
  uint64_t packets_ = 0;
  bool expired_ = false;
  uint8_t raised_ = 0;
  uint8_t pending_ = 0;
};

}  // namespace ipsecgw::esp
